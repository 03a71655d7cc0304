#!/usr/bin/env python3
"""Checks the shape of bot/ (issue #11): the one-way middle stays one-way.

  python3 tools/layers.py [--objects DIR]

Prints the module graph's cycles from two sources, the `#include "..."` lines and (with
--objects, a directory holding the deskbot_core objects, e.g. build/CMakeFiles/
deskbot_core.dir) the symbols each object defines and uses (`nm`), and checks the
rules: no cycle but matcher <-> replyset, no channel-name comparison outside
bot/channels/, no sqlite3 outside bot/store*.c, no libpq outside bot/store_pg.c, no app.h below app. Exits 1 when a
rule is broken, naming the file and line.
"""
import argparse
import os
import re
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
ALLOWED_CYCLES = [{"matcher", "replyset"}]
# The app and the subcommand entry points sit above everything; they may see all.
APP_FILES = re.compile(r"^(app|main)$")
CHANNEL_NAMES = r'"(vk|telegram|web|crm|notify|max)"'


def sources():
    out = []
    for sub in ("bot", "bot/channels", "handlers"):
        d = os.path.join(ROOT, sub)
        for name in sorted(os.listdir(d)):
            if name.endswith((".c", ".h")):
                out.append(os.path.join(sub, name))
    return out


def module_of(path):
    """bot/store_cases.c -> store_cases; bot/channels/vk.c -> channels/vk."""
    rel = path[4:] if path.startswith("bot/") else path
    mod = os.path.splitext(rel)[0]
    # app.c and the files that fill in its parts (app_internal.h) are one module.
    return "app" if re.match(r"app(_[a-z_]+)?$", mod) else mod


def read(path):
    with open(os.path.join(ROOT, path), encoding="utf-8") as f:
        return f.read()


def include_graph(files):
    """Edges module -> module from #include lines, resolved the way the build does
    (the including file's folder, then bot/, then the root)."""
    known = {f for f in files}
    graph = {}
    for f in files:
        mod = module_of(f)
        graph.setdefault(mod, set())
        for inc in re.findall(r'^#include "([^"]+)"', read(f), re.M):
            for base in (os.path.dirname(f), "bot", ""):
                cand = os.path.normpath(os.path.join(base, inc))
                if cand in known:
                    dep = module_of(cand)
                    if dep != mod:
                        graph[mod].add(dep)
                    break
    return graph


def symbol_graph(objdir):
    """Edges object -> object: an undefined symbol of one defined by the other."""
    defined, used = {}, {}
    for dirpath, _, names in os.walk(objdir):
        for name in names:
            if not name.endswith(".c.o"):
                continue
            path = os.path.join(dirpath, name)
            rel = os.path.relpath(path, objdir)
            mod = module_of(rel[:-2].replace(os.sep, "/"))
            out = subprocess.run(["nm", "-P", path], capture_output=True, text=True,
                                 check=True).stdout
            for line in out.splitlines():
                parts = line.split()
                if len(parts) < 2:
                    continue
                sym, kind = parts[0], parts[1]
                if kind == "U":
                    used.setdefault(mod, set()).add(sym)
                elif kind in "TDBR":
                    defined[sym] = mod
    graph = {m: set() for m in set(used) | set(defined.values())}
    for mod, syms in used.items():
        for s in syms:
            dep = defined.get(s)
            if dep and dep != mod:
                graph[mod].add(dep)
    return graph


def cycles(graph):
    """Strongly connected components with more than one member (Tarjan)."""
    index, low, stack, on, out = {}, {}, [], set(), []
    counter = [0]

    def visit(v):
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on.add(v)
        for w in graph.get(v, ()):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = set()
            while True:
                w = stack.pop()
                on.discard(w)
                comp.add(w)
                if w == v:
                    break
            if len(comp) > 1:
                out.append(comp)

    sys.setrecursionlimit(10000)
    for v in sorted(graph):
        if v not in index:
            visit(v)
    return out


def grep(files, pattern, keep):
    hits = []
    for f in files:
        if not keep(f):
            continue
        for n, line in enumerate(read(f).splitlines(), 1):
            if re.search(pattern, line):
                hits.append(f"{f}:{n}: {line.strip()}")
    return hits


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--objects", help="directory with the deskbot_core objects")
    args = ap.parse_args()
    files = sources()
    broken = 0

    graphs = [("include", include_graph(files))]
    if args.objects:
        graphs.append(("symbol", symbol_graph(args.objects)))
    for label, g in graphs:
        bad = [c for c in cycles(g) if c not in ALLOWED_CYCLES]
        for c in cycles(g):
            mark = "allowed" if c in ALLOWED_CYCLES else "CYCLE"
            print(f"{label} graph: {mark}: {' <-> '.join(sorted(c))}")
        if not bad:
            print(f"{label} graph: no cycle but {ALLOWED_CYCLES}")
        broken += len(bad)

    rules = [
        ("channel-name comparison outside bot/channels/",
         # a comparison with a channel's name or a message's channel (a word of the
         # customer's text that happens to be "vk" is not one)
         r"strc[a-z]*\([^;]*(channel|->name|platform)[^;]*" + CHANNEL_NAMES +
         r"|strc[a-z]*\(" + CHANNEL_NAMES + r"[^;]*(channel|->name|platform)",
         lambda f: not f.startswith("bot/channels/")),
        # store.h and the other store headers are the backend-neutral API: only the
        # SQLite backend's files and its private header name SQLite.
        ("sqlite3 outside bot/store*.c and bot/store_int.h", r"sqlite3",
         lambda f: not re.match(r"bot/(store[a-z_]*\.c|store_int\.h)$", f)),
        # the PostgreSQL backend is one file behind the same seam (bot/store_sql.h)
        ("libpq outside bot/store_pg.c", r"libpq-fe|PGconn|PGresult",
         lambda f: f != "bot/store_pg.c"),
        ("app.h included below app", r'^#include "app(_internal)?\.h"',
         lambda f: not APP_FILES.match(os.path.basename(module_of(f)))),
    ]
    for label, pattern, keep in rules:
        hits = grep(files, pattern, keep)
        print(f"{label}: {len(hits)}")
        for h in hits:
            print("  " + h)
        broken += len(hits)
    return 1 if broken else 0


if __name__ == "__main__":
    sys.exit(main())
