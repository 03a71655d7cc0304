#!/usr/bin/env python3
"""The console's English table is complete and has nothing stale.

    tools/console_strings.py [--js console.js] [--html console.html] [--table console_i18n.js]
    tools/console_strings.py --mutation   (the check fails on an injected literal / stale key)

Extracts every string literal with a Cyrillic letter from console.js (comments skipped,
regular expression literals skipped) and every Cyrillic text node and title /
placeholder / aria-label / alt attribute from console.html, and checks each is a key of
window.DESKBOT_EN in console_i18n.js (the text as the page or tr() looks it up: a text
node trimmed). Fails (exit 1) naming file:line and the text for each one missing, for
each key no longer used anywhere (stale), for a key given twice, and for a key whose
English does not keep its {placeholders} or still has Cyrillic. Defaults to the files
in bot/console/ beside this tool. Stdlib only."""

import argparse
import html.parser
import os
import re
import sys

CYR = re.compile('[\u0400-\u04ff]')
PLACEHOLDER = re.compile(r'\{[a-z_][a-z0-9_]*\}')
ATTRS = ('title', 'placeholder', 'aria-label', 'alt')

# After these, a '/' starts a regular expression literal, not a division.
REGEX_AFTER = set('(,=:[!&|?{};+-*%<>~^')
REGEX_KEYWORDS = {'return', 'typeof', 'case', 'do', 'else', 'in', 'of', 'new', 'delete', 'void', 'throw'}


def unescape(body):
    out, i = [], 0
    while i < len(body):
        c = body[i]
        if c != '\\':
            out.append(c)
            i += 1
            continue
        n = body[i + 1] if i + 1 < len(body) else ''
        if n == 'u' and body[i + 2:i + 3] == '{':
            end = body.index('}', i)
            out.append(chr(int(body[i + 3:end], 16)))
            i = end + 1
        elif n == 'u':
            out.append(chr(int(body[i + 2:i + 6], 16)))
            i += 6
        elif n == 'x':
            out.append(chr(int(body[i + 2:i + 4], 16)))
            i += 4
        else:
            out.append({'n': '\n', 't': '\t', 'r': '\r', '0': '\0', '\n': ''}.get(n, n))
            i += 2
    return ''.join(out)


def js_strings(src):
    """Yields (line, value, next_char) for each string literal of a JavaScript source:
    quoted strings, and template literals' static text (each piece between ${...})."""
    i, line, n = 0, 1, len(src)
    prev = ''      # the last significant character
    word = ''      # the last identifier, for "return /re/"
    depth = []     # template nesting: brace depth at each open ${
    braces = 0
    while i < n:
        c = src[i]
        if c == '\n':
            line += 1
            i += 1
            continue
        if c in ' \t\r':
            i += 1
            continue
        if src.startswith('//', i):
            j = src.find('\n', i)
            i = n if j < 0 else j
            continue
        if src.startswith('/*', i):
            j = src.find('*/', i + 2)
            j = n if j < 0 else j + 2
            line += src.count('\n', i, j)
            i = j
            continue
        if c in '\'"':
            j, start = i + 1, line
            while j < n and src[j] != c:
                if src[j] == '\\':
                    j += 1
                if j < n and src[j] == '\n':
                    line += 1
                j += 1
            value = unescape(src[i + 1:j])
            k = j + 1
            while k < n and src[k] in ' \t\r\n':
                k += 1
            yield start, value, src[k] if k < n else ''
            i, prev, word = j + 1, '"', ''
            continue
        if c == '`' or (c == '}' and depth and depth[-1] == braces):
            if c == '}':
                depth.pop()
            j, start, piece = i + 1, line, []
            while j < n and src[j] != '`' and not src.startswith('${', j):
                if src[j] == '\\':
                    piece.append(src[j:j + 2])
                    j += 2
                    continue
                if src[j] == '\n':
                    line += 1
                piece.append(src[j])
                j += 1
            yield start, unescape(''.join(piece)), ''
            if src.startswith('${', j):
                depth.append(braces)
                i = j + 2
                prev = '{'
            else:
                i, prev = j + 1, '"'
            word = ''
            continue
        if c == '/' and (prev in REGEX_AFTER or prev == '' or word in REGEX_KEYWORDS):
            j, klass = i + 1, False
            while j < n and src[j] != '\n':
                if src[j] == '\\':
                    j += 2
                    continue
                if src[j] == '[':
                    klass = True
                elif src[j] == ']':
                    klass = False
                elif src[j] == '/' and not klass:
                    break
                j += 1
            i = j + 1
            while i < n and src[i].isalpha():
                i += 1
            prev, word = '"', ''
            continue
        if c.isalnum() or c in '_$':
            j = i
            while j < n and (src[j].isalnum() or src[j] in '_$'):
                j += 1
            word = src[i:j]
            prev = 'a'
            i = j
            continue
        if c == '{':
            braces += 1
        elif c == '}':
            braces -= 1
        prev, word = c, ''
        i += 1


def table_keys(src):
    """The keys of window.DESKBOT_EN: the string literals followed by ':'."""
    body = src[src.index('DESKBOT_EN'):]
    first = src[:src.index('DESKBOT_EN')].count('\n')
    keys, dups = {}, []
    pending = None
    for line, value, nxt in js_strings(body):
        if nxt == ':':
            pending = (line + first, value)
        elif pending:
            if pending[1] in keys:
                dups.append(pending)
            keys[pending[1]] = (pending[0], value)
            pending = None
    return keys, dups


class HtmlTexts(html.parser.HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.found = []   # (line, text)
        self.skip = 0

    def handle_starttag(self, tag, attrs):
        if tag in ('script', 'style'):
            self.skip += 1
        for k, v in attrs:
            if k in ATTRS and v and CYR.search(v):
                self.found.append((self.getpos()[0], v))

    def handle_startendtag(self, tag, attrs):
        for k, v in attrs:
            if k in ATTRS and v and CYR.search(v):
                self.found.append((self.getpos()[0], v))

    def handle_endtag(self, tag):
        if tag in ('script', 'style'):
            self.skip -= 1

    def handle_data(self, data):
        if self.skip or not CYR.search(data):
            return
        lead = len(data) - len(data.lstrip())
        self.found.append((self.getpos()[0] + data[:lead].count('\n'), data.strip()))


def mutation(a):
    """The check's own proof: copies of the files with an untranslated literal appended
    to console.js, then with an unused key added to the table; each must fail, naming it."""
    import shutil
    import subprocess
    import tempfile
    ok = True
    with tempfile.TemporaryDirectory(prefix='console-strings-') as d:
        for name in ('js', 'html', 'table'):
            shutil.copy(getattr(a, name), os.path.join(d, os.path.basename(getattr(a, name))))
        js, html_, table = (os.path.join(d, os.path.basename(getattr(a, k))) for k in ('js', 'html', 'table'))
        cmd = [sys.executable, os.path.abspath(__file__), '--js', js, '--html', html_, '--table', table]
        base = subprocess.run(cmd, capture_output=True, text=True)
        if base.returncode != 0:
            print('the unchanged copy already fails:\n' + base.stdout)
            return 1
        cases = [
            (js, "\n$('q').placeholder = 'Непереведённая строка';\n", "'Непереведённая строка' is not in console_i18n.js"),
            (html_, '\n<p title="Подсказка без перевода">x</p>\n', "'Подсказка без перевода' is not in console_i18n.js"),
            (table, None, "'Ключ, которого нет на странице' is stale"),
        ]
        for path, text, want in cases:
            with open(path, encoding='utf-8') as f:
                orig = f.read()
            if text is None:
                end = orig.rindex('};')
                mutated = orig[:end].rstrip() + ",\n  'Ключ, которого нет на странице': 'A key not on the page'\n" + orig[end:]
            else:
                mutated = orig + text
            with open(path, 'w', encoding='utf-8') as f:
                f.write(mutated)
            r = subprocess.run(cmd, capture_output=True, text=True)
            with open(path, 'w', encoding='utf-8') as f:
                f.write(orig)
            caught = r.returncode == 1 and want in r.stdout
            print('%s %s: exit %d%s' % ('caught' if caught else 'MISSED', os.path.basename(path), r.returncode,
                                         '' if caught else '\n' + r.stdout))
            ok = ok and caught
    return 0 if ok else 1


def main():
    here = os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', 'bot', 'console')
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument('--js', default=os.path.join(here, 'console.js'))
    ap.add_argument('--html', default=os.path.join(here, 'console.html'))
    ap.add_argument('--table', default=os.path.join(here, 'console_i18n.js'))
    ap.add_argument('--mutation', action='store_true',
                    help='prove the check: an injected literal and a stale key must each fail')
    a = ap.parse_args()
    if a.mutation:
        return mutation(a)
    for k in ('js', 'html', 'table'):
        rel = os.path.relpath(getattr(a, k))
        setattr(a, k, getattr(a, k) if rel.startswith('..') else rel)

    with open(a.table, encoding='utf-8') as f:
        keys, dups = table_keys(f.read())
    with open(a.js, encoding='utf-8') as f:
        used = [(a.js, line, v) for line, v, _ in js_strings(f.read()) if CYR.search(v)]
    p = HtmlTexts()
    with open(a.html, encoding='utf-8') as f:
        p.feed(f.read())
    used += [(a.html, line, v) for line, v in p.found]

    bad = 0
    for line, k in dups:
        print('%s:%d: %r is in the table twice' % (a.table, line, k))
        bad += 1
    for path, line, text in used:
        if text not in keys:
            print('%s:%d: %r is not in console_i18n.js' % (path, line, text))
            bad += 1
    texts = {t for _, _, t in used}
    for k, (line, en) in keys.items():
        if k not in texts:
            print('%s:%d: %r is stale: neither console.js nor console.html uses it' % (a.table, line, k))
            bad += 1
        elif sorted(PLACEHOLDER.findall(k)) != sorted(PLACEHOLDER.findall(en)):
            print('%s:%d: %r -> %r: the placeholders differ' % (a.table, line, k, en))
            bad += 1
        elif CYR.search(en):
            print('%s:%d: %r -> %r: the English has Cyrillic' % (a.table, line, k, en))
            bad += 1
    print('console_strings: %d texts (%d distinct), %d keys, %d problems' % (len(used), len(texts), len(keys), bad))
    return 1 if bad else 0


if __name__ == '__main__':
    sys.exit(main())
