'use strict';
/* Browser tests of the console and the web chat: headless Debian Chromium driven by
 * playwright-core, against the real deskbot binary started by harness.js.
 *
 *   node console.test.js            (DESKBOT_BINARY, DESKBOT_SOURCE_DIR from ctest)
 *
 * Screenshots of the queue, a case and the reports (wide and 390 px) go to the build
 * directory (beside DESKBOT_BINARY, in screenshots/) for review. Prints one line per step
 * and "N passed, N failed" at the end. */

const fs = require('fs');
const os = require('os');
const path = require('path');
const { chromium } = require('playwright-core');
const { spawn } = require('child_process');
const http = require('http');
const { startDeskbot, startFakeTelegram, SOURCE_DIR } = require('./harness');

const PASSWORD = 'correct horse battery';
/* Display names (config operators[].display_name): what customers and colleagues see. */
const NAMES = { marina: 'Марина Соколова', oleg: 'Олег Петров' };
const SHOTS = process.env.DESKBOT_SCREENSHOTS ||
  path.join(path.dirname(process.env.DESKBOT_BINARY || path.join(SOURCE_DIR, 'build', 'deskbot')), 'screenshots');
const TG_TOKEN = '424242:browser-test-token';
const TG_CHAT = 7000009001;
const HOSTILE = [
  '<script>window.__pwned = 1</script>',
  '<img src=x onerror="window.__pwned = 1">',
  'javascript:window.__pwned=1',
  '"><svg onload="window.__pwned = 1">',
  "' onmouseover='window.__pwned = 1"
];
const CHROMIUM = process.env.CHROMIUM || '/usr/bin/chromium';

let passed = 0;
let failed = 0;

/* The VK fake (tests/fakes/fake_vk.py), for the comments under the community's posts
 * that the «Публичные» page shows. */
async function startFakeVk() {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'deskbot-fakevk-'));
  const portFile = path.join(dir, 'port');
  const src = process.env.DESKBOT_SOURCE_DIR || path.resolve(__dirname, '..', '..');
  const proc = spawn('python3', [path.join(src, 'tests', 'fakes', 'fake_vk.py'), '--port', '0',
    '--port-file', portFile, '--token', 'vk-browser', '--group-id', '4242', '--max-seconds', '600'],
  { stdio: 'ignore' });
  for (let i = 0; i < 100 && !fs.existsSync(portFile); i++) await new Promise((r) => setTimeout(r, 100));
  const port = parseInt(fs.readFileSync(portFile, 'utf8'), 10);
  const call = (method, p, body) => new Promise((resolve, reject) => {
    const data = body === undefined ? null : Buffer.from(JSON.stringify(body));
    const req = http.request({ host: '127.0.0.1', port, path: p, method,
      headers: data ? { 'Content-Type': 'application/json', 'Content-Length': data.length } : {} }, (res) => {
      let text = '';
      res.on('data', (c) => { text += c; });
      res.on('end', () => resolve(JSON.parse(text)));
    });
    req.on('error', reject);
    if (data) req.write(data);
    req.end();
  });
  return {
    url: 'http://127.0.0.1:' + port,
    inject: (items) => call('POST', '/_control/inject', items),
    calls: (m) => call('GET', '/_control/calls?method=' + encodeURIComponent(m)),
    stop: () => { proc.kill(); fs.rmSync(dir, { recursive: true, force: true }); }
  };
}

function assert(cond, msg) {
  if (!cond) throw new Error(msg);
}

async function step(name, fn) {
  const t0 = Date.now();
  try {
    await fn();
    passed++;
    console.log('ok   ' + name + ' (' + ((Date.now() - t0) / 1000).toFixed(1) + 's)');
    return true;
  } catch (e) {
    failed++;
    console.log('FAIL ' + name + ' (' + ((Date.now() - t0) / 1000).toFixed(1) + 's): ' + (e && e.stack || e));
    return false;
  }
}

async function login(browser, bot, who, viewport) {
  const phone = viewport && viewport.width < 500;
  const ctx = await browser.newContext({ viewport: viewport || { width: 1440, height: 900 }, locale: 'ru-RU', timezoneId: 'Europe/Moscow',
    isMobile: phone, hasTouch: phone, deviceScaleFactor: phone ? 2 : 1 });
  const page = await ctx.newPage();
  page.on('pageerror', (e) => console.log('[page error ' + who + '] ' + e.message));
  await page.goto(bot.url('/console'));
  await page.waitForSelector('#login-view:not([hidden])');
  await page.fill('#login', who);
  await page.fill('#password', PASSWORD);
  await page.click('#login-btn');
  await page.waitForSelector('#app-view:not([hidden])');
  await page.waitForSelector('body[data-live="on"]');
  return { ctx, page };
}

async function openFilters(p) {
  await p.evaluate(() => { document.querySelector('#filters-box').open = true; });
}

/* The texts of the bot's and people's lines in the chat, in order. */
async function chatReplies(chat) {
  return chat.$$eval('#messages .msg', (ns) => ns.filter((n) => n.dataset.from !== 'customer')
    .map((n) => ({ from: n.dataset.from, text: n.querySelector('.text').textContent })));
}

async function say(chat, text) {
  const before = (await chatReplies(chat)).length;
  await chat.fill('#chat-input', text);
  await chat.click('#chat-send');
  await chat.waitForFunction((n) => Array.from(document.querySelectorAll('#messages .msg'))
    .filter((m) => m.dataset.from !== 'customer').length > n, before, { timeout: 10000 });
  await chat.waitForFunction(() => !document.querySelector('#messages .msg.pending'), null, { timeout: 10000 });
  const all = await chatReplies(chat);
  return all.slice(before);
}

/* Goes through the idea collection; returns the idea's number from the thanks. */
async function proposeIdea(chat, opener, what, why) {
  const r = await say(chat, opener);
  assert(/что вы предлагаете/.test(r.map((x) => x.text).join(' ')), 'no "what": ' + JSON.stringify(r));
  await say(chat, what);
  const thanks = (await say(chat, why)).map((x) => x.text).join(' ');
  const m = thanks.match(/№(\d+)/);
  assert(m, 'no idea number in the thanks: ' + thanks);
  return parseInt(m[1], 10);
}

/* Presses the vote button of idea id (on the keyboard of the top list); returns the
 * replies it brought. */
async function voteIdea(chat, id) {
  const button = '#keyboard button[data-payload="idea:vote:' + id + '"]';
  await chat.waitForSelector(button);
  const before = (await chatReplies(chat)).length;
  await chat.click(button);
  await chat.waitForFunction((n) => Array.from(document.querySelectorAll('#messages .msg'))
    .filter((x) => x.dataset.from !== 'customer').length > n, before, { timeout: 10000 });
  await chat.waitForFunction(() => !document.querySelector('#messages .msg.pending'), null, { timeout: 10000 });
  return (await chatReplies(chat)).slice(before);
}

/* Complains, answers the short interview, returns the case number the bot gave. */
async function complain(chat) {
  let replies = await say(chat, 'ВЫ ЧТО ТВОРИТЕ?! Третий день не работает мобильный интернет, ничего не грузится! Подам в суд!');
  for (let i = 0; i < 6; i++) {
    const text = replies.map((r) => r.text).join('\n');
    const m = text.match(/(\d{6})/);
    if (m && /обращени/i.test(text)) return m[1];
    let answer = 'не знаю';
    if (/телефон|номер/i.test(text)) answer = 'мой номер +7 916 123-45-67';
    else if (/где|населённ|улиц/i.test(text)) answer = 'Москва, улица Ленина, 5';
    else if (/опишите|что произошло/i.test(text)) answer = 'С понедельника интернет не работает, перезагрузка не помогла';
    replies = await say(chat, answer);
  }
  throw new Error('no case number after the interview: ' + JSON.stringify(replies));
}

/* The same interview from Telegram, through the fake: returns the case number. */
async function tgComplain(tg, chat) {
  let said = 0;
  let text = 'Третий день не работает мобильный интернет, ничего не грузится! Верните деньги!';
  for (let i = 0; i < 7; i++) {
    await tg.inject({ chat_id: chat, user_id: chat, text, first_name: 'Пётр' });
    const deadline = Date.now() + 10000;
    let msgs = await tg.sent(chat);
    while (msgs.length <= said && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 100));
      msgs = await tg.sent(chat);
    }
    const fresh = msgs.slice(said).map((m) => m.text).join('\n');
    said = msgs.length;
    const m = fresh.match(/(\d{6})/);
    if (m && /обращени/i.test(fresh)) return m[1];
    if (/телефон|номер/i.test(fresh)) text = '+7 916 765-43-21';
    else if (/где|населённ|улиц/i.test(fresh)) text = 'Тверь, улица Советская, 3';
    else if (/опишите|что произошло/i.test(fresh)) text = 'С воскресенья нет интернета, перезагрузка не помогла';
    else text = 'не знаю';
  }
  throw new Error('no case from Telegram');
}

/* WCAG 2 contrast of every visible text against the background it is drawn on
 * (composited up the ancestors, the element's opacity applied): 4.5:1, 3:1 for large
 * text. Disabled controls are exempt, as in WCAG. Returns the failures. */
async function contrastProblems(page) {
  return page.evaluate(() => {
    const rgba = (s) => {
      const m = /rgba?\(([^)]+)\)/.exec(s || '');
      if (!m) return null;
      const p = m[1].split(/[ ,/]+/).filter(Boolean).map(parseFloat);
      return { r: p[0], g: p[1], b: p[2], a: p.length > 3 ? p[3] : 1 };
    };
    const over = (top, bottom) => ({ r: top.r * top.a + bottom.r * (1 - top.a), g: top.g * top.a + bottom.g * (1 - top.a), b: top.b * top.a + bottom.b * (1 - top.a), a: 1 });
    const lum = (c) => {
      const f = (v) => { v /= 255; return v <= 0.03928 ? v / 12.92 : Math.pow((v + 0.055) / 1.055, 2.4); };
      return 0.2126 * f(c.r) + 0.7152 * f(c.g) + 0.0722 * f(c.b);
    };
    const background = (el) => {
      const layers = [];
      for (let e = el; e; e = e.parentElement) {
        const c = rgba(getComputedStyle(e).backgroundColor);
        if (c && c.a > 0) { layers.push(c); if (c.a >= 1) break; }
      }
      let bg = { r: 255, g: 255, b: 255, a: 1 };
      for (let i = layers.length - 1; i >= 0; i--) bg = over(layers[i], bg);
      return bg;
    };
    const out = [];
    const seen = new Set();
    const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
    for (let n = walker.nextNode(); n; n = walker.nextNode()) {
      const el = n.parentElement;
      if (!n.textContent.trim() || !el || seen.has(el)) continue;
      seen.add(el);
      const box = el.getBoundingClientRect();
      const cs = getComputedStyle(el);
      if (!box.width || !box.height || cs.visibility === 'hidden' || el.closest('[hidden], option, script, style')) continue;
      if (el.closest('button:disabled, select:disabled, input:disabled, textarea:disabled')) continue;
      let opacity = 1;
      for (let e = el; e; e = e.parentElement) opacity *= parseFloat(getComputedStyle(e).opacity);
      const fg0 = rgba(el instanceof SVGElement ? cs.fill : cs.color);
      if (!fg0) continue;
      const bg = background(el instanceof SVGElement ? el.closest('svg').parentElement : el);
      const fg = over({ r: fg0.r, g: fg0.g, b: fg0.b, a: fg0.a * opacity }, bg);
      const a = lum(fg), b = lum(bg);
      const ratio = (Math.max(a, b) + 0.05) / (Math.min(a, b) + 0.05);
      const size = parseFloat(cs.fontSize), bold = parseInt(cs.fontWeight, 10) >= 700;
      const need = size >= 24 || (bold && size >= 18.66) ? 3 : 4.5;
      if (ratio < need) out.push({ text: n.textContent.trim().slice(0, 30), cls: el.className && el.className.baseVal !== undefined ? el.className.baseVal : el.className, id: el.id, ratio: Math.round(ratio * 100) / 100, need });
    }
    return out;
  });
}

/* Walks the page with Tab (at most max stops): every stop must show a focus ring (an
 * outline of 2 px or more, or a box-shadow) whose colour stands 3:1 against what is
 * around it. Returns {stops: ids, problems}. */
async function focusWalk(page, max) {
  await page.evaluate(() => { if (document.activeElement) document.activeElement.blur(); });
  await page.keyboard.press('Escape');
  const stops = [];
  const keys = [];
  const problems = [];
  for (let i = 0; i < max; i++) {
    await page.keyboard.press('Tab');
    const r = await page.evaluate(() => {
      const e = document.activeElement;
      if (!e || e === document.body) return null;
      const rgba = (s) => { const m = /rgba?\(([^)]+)\)/.exec(s || ''); if (!m) return null; const p = m[1].split(/[ ,/]+/).filter(Boolean).map(parseFloat); return { r: p[0], g: p[1], b: p[2], a: p.length > 3 ? p[3] : 1 }; };
      const lum = (c) => { const f = (v) => { v /= 255; return v <= 0.03928 ? v / 12.92 : Math.pow((v + 0.055) / 1.055, 2.4); }; return 0.2126 * f(c.r) + 0.7152 * f(c.g) + 0.0722 * f(c.b); };
      let bg = null;
      for (let x = e.parentElement; x && !bg; x = x.parentElement) { const c = rgba(getComputedStyle(x).backgroundColor); if (c && c.a >= 1) bg = c; }
      bg = bg || { r: 255, g: 255, b: 255, a: 1 };
      const cs = getComputedStyle(e);
      const outline = cs.outlineStyle !== 'none' && parseFloat(cs.outlineWidth) >= 2;
      const shadow = cs.boxShadow && cs.boxShadow !== 'none';
      const ring = rgba(outline ? cs.outlineColor : cs.boxShadow);
      const ratio = ring ? (Math.max(lum(ring), lum(bg)) + 0.05) / (Math.min(lum(ring), lum(bg)) + 0.05) : 0;
      const id = e.id || (e.tagName.toLowerCase() + (e.getAttribute('href') ? '[' + e.getAttribute('href') + ']' : ':' + e.textContent.trim().slice(0, 20)));
      const key = Array.prototype.indexOf.call(document.querySelectorAll('*'), e);
      return { id, key, ring: (outline || shadow) && ratio >= 3, ratio: Math.round(ratio * 100) / 100 };
    });
    if (!r || keys.includes(r.key)) break;
    keys.push(r.key);
    stops.push(r.id);
    if (!r.ring) problems.push(r);
  }
  return { stops, problems };
}

/* No page wider than the screen: nothing to scroll sideways. */
async function overflow(page) {
  return page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
}

async function a11y(page, where) {
  const bad = await contrastProblems(page);
  assert(bad.length === 0, where + ': low contrast: ' + JSON.stringify(bad.slice(0, 8)));
}

async function main() {
  fs.mkdirSync(SHOTS, { recursive: true });
  /* A customer who writes from Telegram (and sends a photo), through the fake API. */
  const tg = await startFakeTelegram(TG_TOKEN);
  const vk = await startFakeVk();
  const bot = await startDeskbot({
    operators: [
      { login: 'marina', password: PASSWORD, role: 'admin', display_name: NAMES.marina },
      { login: 'oleg', password: PASSWORD, role: 'operator', display_name: NAMES.oleg }
    ],
    /* A second Telegram bot (config telegram.pages) that never reaches its API: the
     * console names it by its title. */
    extra: { telegram: { token: TG_TOKEN, api_url: tg.apiUrl, timeout: 2, rate_per_s: 1000, chat_rate_per_s: 1000,
      pages: [{ label: 'sales', title: 'Продажи', token: '1:browser-test', api_url: 'http://127.0.0.1:9' }] },
      vk: { token: 'vk-browser', group_id: 4242, api_url: vk.url + '/method', wait: 2 } }
  });
  const profile = fs.mkdtempSync(path.join(os.tmpdir(), 'deskbot-chromium-'));
  let browser = null;
  try {
    /* launch() gives the browser a fresh temporary --user-data-dir of its own (it
     * refuses one in args); each context below is isolated like a new profile. */
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
        '--disable-background-networking', '--disable-component-update', '--disable-sync'],
      env: Object.assign({}, process.env, { HOME: profile })
    });

    await step('a missing session is refused', async () => {
      const ctx = await browser.newContext();
      const page = await ctx.newPage();
      await page.goto(bot.url('/console'));
      await page.waitForSelector('#login-view:not([hidden])');
      const r = await page.evaluate(async () => {
        const a = await fetch('/api/cases');
        const b = await fetch('/api/cases/1/claim', { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: '{}' });
        const ws = await new Promise((resolve) => {
          const w = new WebSocket('ws://' + location.host + '/ws');
          w.onopen = () => { w.close(); resolve('open'); };
          w.onerror = () => resolve('refused');
        });
        return [a.status, b.status, ws];
      });
      assert(r[0] === 401 && r[1] === 401 && r[2] === 'refused', 'not refused: ' + r);
      assert(await page.isHidden('#app-view'), 'the app is shown without a session');
      await ctx.close();
    });

    await step('a wrong password is refused', async () => {
      const ctx = await browser.newContext();
      const page = await ctx.newPage();
      await page.goto(bot.url('/console'));
      await page.fill('#login', 'marina');
      await page.fill('#password', 'wrong password');
      await page.click('#login-btn');
      await page.waitForFunction(() => document.querySelector('#login-error').textContent.length > 0);
      assert(await page.isHidden('#app-view'), 'logged in with a wrong password');
      assert(/Неверный/.test(await page.textContent('#login-error')), 'no message');
      await ctx.close();
    });

    let A, B;
    await step('secretaries log in', async () => {
      A = await login(browser, bot, 'marina');
      B = await login(browser, bot, 'oleg');
      const cookies = await A.ctx.cookies();
      const c = cookies.find((x) => x.name === 'deskbot_session');
      assert(c && c.httpOnly && c.sameSite === 'Strict', 'cookie flags: ' + JSON.stringify(c));
      assert(await A.page.evaluate(() => document.cookie.indexOf('deskbot_session') < 0), 'session cookie readable by scripts');
    });

    await step('the channel filter offers each page, by its title', async () => {
      const opts = await A.page.$$eval('#f-channel option', (os) => os.map((o) => [o.value, o.textContent]));
      const sales = opts.find((o) => o[0] === 'telegram:sales');
      assert(sales && sales[1] === 'Продажи', 'options: ' + JSON.stringify(opts));
      assert(opts.some((o) => o[0] === 'telegram' && o[1] === 'Telegram'), 'options: ' + JSON.stringify(opts));
    });

    const chatCtx = await browser.newContext();
    const chat = await chatCtx.newPage();
    chat.on('pageerror', (e) => console.log('[page error chat] ' + e.message));
    let caseNumber = null;
    let ideaCtx = null, author = null, voter = null, ideaId = 0, secondId = 0;
    let caseId = null;

    await step('a customer in the web chat complains and gives a phone; the case appears live with its flags', async () => {
      await chat.goto(bot.url('/chat'));
      await chat.fill('#chat-name', '<img src=x onerror="window.__pwned = 1">Иван');
      await chat.dispatchEvent('#chat-name', 'change');
      await chat.waitForSelector('body[data-connected="yes"]');
      /* The name goes with the hello: reconnect so that the server has it. */
      await chat.reload();
      await chat.waitForSelector('body[data-connected="yes"]');
      /* An empty chat is greeted. */
      await chat.waitForSelector('#chat-empty:not([hidden])');
      assert(/Здравствуйте/.test(await chat.textContent('#chat-empty')), 'no greeting');
      caseNumber = await complain(chat);
      assert(await chat.isHidden('#chat-empty'), 'greeting left over a conversation');
      caseId = parseInt(caseNumber, 10);
      /* A word form the search must find from another form. */
      await chat.fill('#chat-input', 'Интернета нет до сих пор');
      await chat.click('#chat-send');
      await chat.waitForFunction(() => !document.querySelector('#messages .msg.pending'), null, { timeout: 10000 });
      /* No reload: the row arrives over the live socket. */
      const row = '#queue-body li[data-case-id="' + caseId + '"]';
      await A.page.waitForSelector(row, { timeout: 10000 });
      await B.page.waitForSelector(row, { timeout: 10000 });
      const flags = await A.page.$$eval(row + ' .flag', (ns) => ns.map((n) => n.dataset.flag));
      assert(flags.includes('legal_threat'), 'flags shown: ' + flags);
      const title = await A.page.title();
      assert(/^\(\d+\)/.test(title), 'no title notice: ' + title);
      /* The list shows the customer's last words, an unread mark, the wait and the SLA. */
      await A.page.waitForSelector(row + '[data-unread="1"] .conv-last');
      const item = await A.page.textContent(row);
      assert(/SLA/.test(item) && /\d+ (с|мин)/.test(item), 'no wait or SLA: ' + item);
    });

    await step('the web chat shows times and never hides the newest message under its buttons', async () => {
      const r = await chat.evaluate(() => {
        const box = document.querySelector('#messages').getBoundingClientRect();
        const all = document.querySelectorAll('#messages .msg');
        const last = all[all.length - 1].getBoundingClientRect();
        const times = Array.from(all).filter((m) => /^\d{2}:\d{2}$/.test((m.querySelector('time') || {}).textContent || '')).length;
        return { hidden: last.bottom - box.bottom, times, n: all.length, buttons: document.querySelectorAll('#keyboard button').length };
      });
      console.log('  chat: the newest message ends ' + (-r.hidden).toFixed(1) + ' px above the view\'s bottom, ' + r.buttons + ' buttons below');
      assert(r.hidden <= 1, 'newest message ' + r.hidden + ' px out of view: ' + JSON.stringify(r));
      assert(r.times === r.n, 'lines without a time: ' + JSON.stringify(r));
      await chat.screenshot({ path: path.join(SHOTS, 'chat.png') });
    });

    await step('labels are Russian: titles of intents and categories, not their ids', async () => {
      const row = '#queue-body li[data-case-id="' + caseId + '"]';
      const topic = await A.page.textContent(row + ' .conv-topic');
      assert(!/complaint|_/.test(topic) && /[а-яё]/i.test(topic), 'topic: ' + topic);
      const all = await A.page.evaluate(() => document.querySelector('#app-view').innerText);
      for (const word of ['Обращения', 'Фильтры', 'Сохранить вид', 'Выйти', 'Выберите обращение'])
        assert(all.includes(word), 'no label ' + word);
      assert(/Поиск/.test(await A.page.getAttribute('#q', 'placeholder')), 'search box not labelled');
      assert(!/\b(complaint|legal_threat|claimed|new|high)\b/.test(all), 'an id on the page: ' + all.slice(0, 400));
    });

    await step('two secretaries claim one case at once: one holder, the other is told who', async () => {
      assert(caseId, 'no case');
      await Promise.all([A.page.goto(bot.url('/console#/case/' + caseId)), B.page.goto(bot.url('/console#/case/' + caseId))]);
      for (const p of [A.page, B.page]) {
        await p.waitForSelector('#case-pane[data-case-id="' + caseId + '"]');
        await p.waitForSelector('#claim-btn:not([disabled])');
      }
      await Promise.all([A.page.click('#claim-btn'), B.page.click('#claim-btn')]);
      const r = await A.page.evaluate(async (id) => (await (await fetch('/api/cases/' + id)).json()).case.assignee, caseId);
      assert(r === 'marina' || r === 'oleg', 'holder: ' + r);
      const loser = r === 'marina' ? B.page : A.page;
      await loser.waitForFunction(() => /уже взял в работу/.test(document.querySelector('#case-error').textContent));
      /* The refusal names the colleague as the team knows them, not by login. */
      const refusal = await loser.textContent('#case-error');
      assert(refusal.includes(NAMES[r]) && !refusal.includes(r), 'refusal: ' + refusal);
      const who = await loser.getAttribute('#case-error', 'data-holder');
      assert(who === r, 'loser told ' + who + ', holder is ' + r);
      /* On a colleague's case "Взять в работу" is disabled and says who holds it. */
      await loser.waitForSelector('#claim-btn[disabled]');
      assert((await loser.getAttribute('#claim-btn', 'title')).includes(NAMES[r]), 'claim button does not name the holder');
      /* ...and the API refuses a plain claim of it too, naming the holder. */
      const plain = await loser.evaluate(async (id) => {
        const csrf = (await (await fetch('/api/session')).json()).csrf;
        const x = await fetch('/api/cases/' + id + '/claim', { method: 'POST', headers: { 'Content-Type': 'application/json', 'X-CSRF-Token': csrf }, body: '{}' });
        return { status: x.status, body: await x.json() };
      }, caseId);
      assert(plain.status === 409 && plain.body.error === 'обращение уже взял в работу ' + NAMES[r], 'plain claim: ' + JSON.stringify(plain));
      if (r === 'oleg') { const t = A; A = B; B = t; } /* A is the holder from here on */
    });

    await step('the holder inserts a template by typing "/" and a few letters, and sends it with Ctrl+Enter', async () => {
      await A.page.waitForSelector('#send-btn:not([disabled])');
      /* An approved document to the web chat (no text: typing is left for the template
       * below): the chat shows a link to /chat/files/N, which gives the file's bytes to
       * this chat's cookie. */
      await A.page.waitForSelector('#file-pick-label:not([hidden]) #file-pick:not([disabled])');
      await A.page.selectOption('#file-pick', 'internet_setup');
      await A.page.click('#send-btn');
      const link = await chat.waitForSelector('#messages .msg-operator a.file[href^="/chat/files/"]', { timeout: 10000 });
      assert((await link.textContent()).includes('internet_setup.pdf'), 'file link: ' + await link.textContent());
      const got = await chat.evaluate(async (h) => {
        const r = await fetch(h);
        return { status: r.status, type: r.headers.get('Content-Type'), head: new TextDecoder().decode((await r.arrayBuffer()).slice(0, 5)) };
      }, await link.getAttribute('href'));
      assert(got.status === 200 && got.type === 'application/pdf' && got.head === '%PDF-', 'the chat\'s file: ' + JSON.stringify(got));
      await A.page.click('#reply-text');
      await A.page.keyboard.type('/gree');
      await A.page.waitForSelector('#slash-menu:not([hidden]) li[data-template="op_greeting"]');
      /* The customer sees that someone is writing (the console's typing notice). */
      await chat.waitForSelector('#chat-typing:not([hidden])', { timeout: 5000 });
      await A.page.keyboard.press('Enter');
      await A.page.waitForSelector('#slash-menu', { state: 'hidden' });
      let text = await A.page.inputValue('#reply-text');
      assert(text.includes(caseNumber) && !text.includes('{operator}') && !text.includes('/gree'), 'template not filled: ' + text);
      /* The customer is told the secretary's display name, never the login. */
      const holderLogin = await A.page.evaluate(() => document.querySelector('#me').textContent.split(' ')[0]);
      assert(text.includes('Меня зовут ' + NAMES[holderLogin] + ',') && !text.includes(holderLogin), 'greeting: ' + text);
      assert(await A.page.getAttribute('#reply-text', 'data-template') === 'op_greeting', 'template id not kept');
      text = text.replace('{name}', 'Иван');
      await A.page.fill('#reply-text', text);
      await A.page.focus('#reply-text');
      await A.page.keyboard.press('Control+Enter');
      await A.page.waitForFunction((t) => Array.from(document.querySelectorAll('#transcript .msg-operator .text')).some((n) => n.textContent === t), text);
      await chat.waitForFunction((t) => Array.from(document.querySelectorAll('#messages .msg-operator .text')).some((n) => n.textContent === t), text, { timeout: 10000 });
    });

    await step('hostile text from a customer stays inert text', async () => {
      for (const h of HOSTILE) {
        await chat.fill('#chat-input', h);
        await chat.click('#chat-send');
      }
      await chat.waitForFunction(() => !document.querySelector('#messages .msg.pending'), null, { timeout: 10000 });
      const last = HOSTILE[HOSTILE.length - 1];
      await A.page.waitForFunction((t) => Array.from(document.querySelectorAll('#transcript .msg-customer .text')).some((n) => n.textContent === t), last, { timeout: 10000 });
      for (const p of [A.page, chat]) {
        const r = await p.evaluate(() => ({
          pwned: window.__pwned,
          imgs: document.querySelectorAll('#transcript img, #messages img, #queue-body img, #case-fields img').length,
          scripts: document.querySelectorAll('#transcript script, #messages script').length,
          svgs: document.querySelectorAll('#transcript svg, #messages svg').length
        }));
        assert(r.pwned === undefined && r.imgs === 0 && r.scripts === 0 && r.svgs === 0, 'hostile markup live: ' + JSON.stringify(r));
      }
      const texts = await A.page.$$eval('#transcript .msg-customer .text', (ns) => ns.map((n) => n.textContent));
      for (const h of HOSTILE) assert(texts.includes(h), 'not shown verbatim: ' + h);
      const name = await A.page.evaluate(() => Array.from(document.querySelectorAll('#case-fields dd')).map((d) => d.textContent).join('|'));
      assert(name.includes('<img src=x onerror='), 'hostile name not shown as text: ' + name);
      await A.page.goto(bot.url('/console#/queue'));
      await A.page.waitForSelector('#queue-body li[data-case-id="' + caseId + '"]');
      assert(await A.page.evaluate(() => window.__pwned === undefined && !document.querySelector('#queue-body img')), 'hostile markup in the queue');
      await A.page.goto(bot.url('/console#/case/' + caseId));
      await A.page.waitForSelector('#case-pane[data-case-id="' + caseId + '"]');
    });

    await step('search finds the case by a word form the customer used; a miss says so', async () => {
      const p = A.page;
      await p.goto(bot.url('/console#/queue'));
      const row = '#queue-body li[data-case-id="' + caseId + '"]';
      await p.waitForSelector(row);
      for (const q of ['интернет', 'интернетом', 'ИНТЕРНЕТУ', caseNumber]) {
        await p.fill('#q', q);
        await p.waitForFunction((x) => document.body.dataset.query === x, q);
        await p.waitForSelector(row);
      }
      await p.fill('#q', 'роуминг');
      await p.waitForFunction(() => document.body.dataset.query === 'роуминг');
      await p.waitForSelector('#queue-empty:not([hidden])');
      assert(/Ничего не нашлось/.test(await p.textContent('#queue-empty')), 'no "nothing found"');
      await p.fill('#q', '');
      await p.waitForFunction(() => document.body.dataset.query === '');
      await p.waitForSelector(row);
    });

    await step('filters saved as a personal view survive a reload', async () => {
      const p = A.page;
      await p.click('#filters-box summary');
      await p.selectOption('#f-flag', 'legal_threat');
      await p.click('#view-save');
      await p.fill('#view-name', 'Угрозы судом');
      await p.click('#view-ok');
      await p.waitForSelector('#views option[value="Угрозы судом"]', { state: 'attached' });
      await p.reload();
      await p.waitForSelector('#views option[value="Угрозы судом"]', { state: 'attached' });
      await openFilters(p);
      await p.selectOption('#views', 'Угрозы судом');
      assert(await p.inputValue('#f-flag') === 'legal_threat', 'view not applied');
      await p.waitForSelector('#queue-body li[data-case-id="' + caseId + '"]');
      const other = await B.page.evaluate(async () => (await (await fetch('/api/views')).json()).views.length);
      assert(other === 0, 'a colleague sees the view');
      await p.click('#view-delete');
      await p.waitForFunction(() => !document.querySelector('#views option[value="Угрозы судом"]'));
      await p.click('#f-reset');
    });

    let case2 = null;
    await step('keyboard: help overlay, next case, claim, note, close', async () => {
      const chat2Ctx = await browser.newContext();
      const chat2 = await chat2Ctx.newPage();
      await chat2.goto(bot.url('/chat'));
      await chat2.waitForSelector('body[data-connected="yes"]');
      case2 = parseInt(await complain(chat2), 10);
      const p = A.page;
      await p.goto(bot.url('/console#/case/' + caseId));
      await p.waitForSelector('#case-pane[data-case-id="' + caseId + '"]');
      await p.waitForSelector('#queue-body li[data-case-id="' + case2 + '"]');
      await p.evaluate(() => document.activeElement && document.activeElement.blur());
      await p.keyboard.press('?');
      await p.waitForSelector('#help:not([hidden])');
      assert(/Горячие клавиши/.test(await p.textContent('#help')), 'no help');
      await p.keyboard.press('Escape');
      await p.waitForSelector('#help', { state: 'hidden' });
      /* j and k walk the list. */
      const order = await p.$$eval('#queue-body li', (ns) => ns.map((n) => parseInt(n.dataset.caseId, 10)));
      const i = order.indexOf(caseId);
      await p.keyboard.press(i === order.length - 1 ? 'k' : 'j');
      await p.waitForSelector('#case-pane[data-case-id="' + case2 + '"]');
      await p.keyboard.press('c');
      await p.waitForSelector('#case-pane[data-status="claimed"]');
      await p.keyboard.press('n');
      assert(await p.evaluate(() => document.activeElement.id) === 'note-text', 'n does not go to the note');
      await p.keyboard.type('Проверить вышку');
      await p.keyboard.press('Control+Enter');
      await p.waitForFunction(() => /Проверить вышку/.test(document.querySelector('#notes').textContent));
      await p.keyboard.press('Escape');
      await p.keyboard.press('x');
      assert(await p.evaluate(() => document.activeElement.id) === 'resolution', 'x does not go to the resolution');
      await p.keyboard.type('Связь восстановлена');
      await p.keyboard.press('Enter');
      await p.waitForSelector('#case-pane[data-status="closed"]');
      await p.keyboard.press('Escape');
      await p.keyboard.press(i === order.length - 1 ? 'j' : 'k');
      await p.waitForSelector('#case-pane[data-case-id="' + caseId + '"]');
      await chat2Ctx.close();
    });

    await step('hand-over to a colleague, and the admin takes over', async () => {
      const pages = {};
      pages[await A.page.evaluate(() => document.querySelector('#me').textContent.split(' ')[0])] = A.page;
      pages[await B.page.evaluate(() => document.querySelector('#me').textContent.split(' ')[0])] = B.page;
      const holder = Object.keys(pages).find((k) => pages[k] === A.page);
      const colleague = holder === 'marina' ? 'oleg' : 'marina';
      const assignee = async () => A.page.evaluate(async (id) => (await (await fetch('/api/cases/' + id)).json()).case.assignee, caseId);
      await A.page.selectOption('#assign-to', colleague);
      await A.page.click('#assign-btn');
      await A.page.waitForFunction((c) => document.querySelector('#case-assignee').textContent.includes(c), NAMES[colleague]);
      assert(await assignee() === colleague, 'not handed over');
      /* marina (admin) takes the case back from oleg, or gives it back to him. */
      const m = pages.marina;
      await m.goto(bot.url('/console#/case/' + caseId));
      await m.waitForSelector('#case-pane[data-case-id="' + caseId + '"]');
      if (colleague === 'oleg') {
        await m.waitForSelector('#takeover-btn:not([hidden])');
        await m.click('#takeover-btn');
        await m.waitForFunction((n) => document.querySelector('#case-assignee').textContent.includes(n), NAMES.marina);
      } else {
        await m.selectOption('#assign-to', 'oleg');
        await m.click('#assign-btn');
        await m.waitForFunction((n) => document.querySelector('#case-assignee').textContent.includes(n), NAMES.oleg);
      }
      assert(await assignee() === holder, 'not back with ' + holder);
      const audit = await m.textContent('#audit');
      assert(/передача/.test(audit) && !/\bassign\b/.test(audit), 'audit: ' + audit);
      await A.page.goto(bot.url('/console#/case/' + caseId));
      await A.page.waitForSelector('#case-pane[data-case-id="' + caseId + '"]');
      await A.page.waitForSelector('#send-btn:not([disabled])');
      await A.page.screenshot({ path: path.join(SHOTS, 'case.png') });
      await A.page.goto(bot.url('/console#/queue'));
      await openFilters(A.page);
      await A.page.selectOption('#f-status', 'all');
      await A.page.waitForSelector('#queue-body li[data-case-id="' + case2 + '"]');
      await A.page.screenshot({ path: path.join(SHOTS, 'queue.png') });
      await A.page.selectOption('#f-status', 'open');
      await A.page.goto(bot.url('/console#/case/' + caseId));
      await A.page.waitForSelector('#case-pane[data-case-id="' + caseId + '"]');
    });

    await step('return to bot (b): the next FAQ question is answered automatically', async () => {
      await A.page.waitForSelector('#handback-btn:not([disabled])');
      await A.page.evaluate(() => document.activeElement && document.activeElement.blur());
      await A.page.keyboard.press('b');
      await A.page.waitForSelector('#case-mode[data-mode="bot"]');
      await chat.waitForTimeout(300);
      const replies = await say(chat, 'Как проверить баланс?');
      const bots = replies.filter((r) => r.from === 'bot');
      assert(bots.length > 0 && !bots.some((b) => /уже у сотрудника/.test(b.text)), 'no automatic answer: ' + JSON.stringify(replies));
      assert(/баланс/i.test(bots.map((b) => b.text).join(' ')), 'not a balance answer: ' + JSON.stringify(bots));
    });

    await step('the customer who reconnects sees the history', async () => {
      await chat.reload();
      await chat.waitForSelector('body[data-connected="yes"]');
      await chat.waitForFunction(() => document.querySelectorAll('#messages .msg-operator').length > 0);
      assert(await chat.evaluate(() => window.__pwned === undefined), 'pwned after reload');
    });

    await step('the admin view reloads the reply set and shows the figures', async () => {
      await A.ctx.close();
      A = await login(browser, bot, 'marina');
      await A.page.goto(bot.url('/console#/admin'));
      await A.page.waitForSelector('#admin-pane:not([hidden])');
      await A.page.click('#reload-btn');
      await A.page.waitForSelector('#reload-result.ok');
      await A.page.waitForFunction(() => document.querySelectorAll('#stats-body tr').length > 3);
      await A.page.screenshot({ path: path.join(SHOTS, 'admin.png'), fullPage: true });
    });

    let tgCase = null;
    await step('a photo the customer sent from Telegram is shown, fetched and served by deskbot itself', async () => {
      tgCase = parseInt(await tgComplain(tg, TG_CHAT), 10);
      const p = A.page;
      const foreign = [];
      p.on('request', (r) => { if (!r.url().startsWith(bot.url('/')) && !r.url().startsWith('data:')) foreign.push(r.url()); });
      await p.goto(bot.url('/console#/case/' + tgCase));
      await p.waitForSelector('#case-pane[data-case-id="' + tgCase + '"]');
      await p.waitForSelector('#claim-btn:not([disabled])');
      await p.click('#claim-btn');
      await p.waitForSelector('#case-pane[data-status="claimed"]');
      await tg.inject({ chat_id: TG_CHAT, user_id: TG_CHAT, photo: true, caption: 'Вот что показывает телефон' });
      /* No reload: the line arrives live, the picture once deskbot has fetched it. */
      await p.waitForFunction(() => {
        const i = document.querySelector('#transcript .msg-customer .file-preview');
        return i && i.complete && i.naturalWidth > 0;
      }, null, { timeout: 20000 });
      const src = await p.getAttribute('#transcript .file-preview', 'src');
      assert(/^\/api\/files\/\d+$/.test(src), 'preview not served by deskbot: ' + src);
      const csp = await p.evaluate(async () => (await fetch('/console')).headers.get('content-security-policy'));
      assert(/img-src 'self' data:;/.test(csp) && /default-src 'self'/.test(csp), 'CSP: ' + csp);
      assert(foreign.length === 0, 'the browser asked other hosts: ' + foreign.join(' '));
      await a11y(p, 'case');
      await p.screenshot({ path: path.join(SHOTS, 'case.png') });
    });

    await step('the secretary attaches an approved file; the customer gets it and the transcript shows it from the store', async () => {
      const p = A.page;
      await p.waitForSelector('#file-pick-label:not([hidden]) #file-pick:not([disabled])');
      const offered = await p.$$eval('#file-pick option', (os) => os.map((o) => o.value).filter(Boolean));
      assert(offered.join(',') === 'internet_setup,router_label', 'files offered: ' + offered);
      const label = await p.$eval('#file-pick option[value="router_label"]', (o) => o.textContent);
      assert(label.startsWith('Где на роутере имя сети и пароль'), 'file title: ' + label);
      await p.selectOption('#file-pick', 'router_label');
      await p.fill('#reply-text', 'Имя сети и пароль — на наклейке, вот где');
      await p.click('#send-btn');
      await p.waitForFunction(() => {
        const i = document.querySelector('#transcript .msg-operator .file-photo .file-preview');
        return i && i.complete && i.naturalWidth > 0;
      }, null, { timeout: 20000 });
      const src = await p.$eval('#transcript .msg-operator .file-preview', (i) => i.getAttribute('src'));
      assert(/^\/api\/files\/\d+$/.test(src), 'the sent file is not served by deskbot: ' + src);
      assert(await p.inputValue('#file-pick') === '', 'the file stays chosen after the send');
      let got = [];
      for (let i = 0; i < 100 && got.length === 0; i++) {
        got = (await tg.sent(TG_CHAT)).filter((m) => m.file);
        if (!got.length) await new Promise((r) => setTimeout(r, 100));
      }
      assert(got.length === 1 && got[0].method === 'sendPhoto' && got[0].caption === 'Имя сети и пароль — на наклейке, вот где', 'Telegram got: ' + JSON.stringify(got));
    });

    await step('the customer is asked to rate after resolving; the rating arrives on the case', async () => {
      const p = A.page;
      const before = (await tg.sent(TG_CHAT)).length;
      await p.selectOption('#status-select', 'resolved');
      await p.click('#status-btn');
      await p.waitForSelector('#case-pane[data-status="resolved"]');
      let q = null;
      for (const end = Date.now() + 10000; !q && Date.now() < end;) {
        q = (await tg.sent(TG_CHAT)).slice(before).find((m) => JSON.stringify(m.keyboard || {}).includes('rate:'));
        if (!q) await new Promise((r) => setTimeout(r, 100));
      }
      assert(q && /Оцените/.test(q.text), 'no rating question: ' + JSON.stringify(q));
      const data = q.keyboard.inline_keyboard.flat().map((b) => b.callback_data);
      assert(data.length === 5, 'buttons: ' + data);
      await tg.inject({ type: 'callback_query', chat_id: TG_CHAT, user_id: TG_CHAT, data: data[4], message_id: q.message_id });
      let shown = '';
      for (const end = Date.now() + 10000; !/5 из 5/.test(shown) && Date.now() < end;) {
        await p.reload();
        await p.waitForSelector('#case-pane[data-case-id="' + tgCase + '"]');
        shown = await p.textContent('#case-fields');
      }
      assert(/Оценка клиента/.test(shown) && /5 из 5/.test(shown), 'no rating on the case: ' + shown);
    });

    await step('contrast and focus rings pass on the queue and a case (1440 px), and Tab reaches every action', async () => {
      const p = A.page;
      await p.goto(bot.url('/console#/queue'));
      await p.waitForSelector('#queue-body li[data-case-id="' + caseId + '"]');
      await a11y(p, 'queue');
      let walk = await focusWalk(p, 40);
      assert(walk.problems.length === 0, 'focus not shown: ' + JSON.stringify(walk.problems));
      for (const id of ['q', 'views', 'logout-btn']) assert(walk.stops.includes(id), 'Tab never reaches ' + id + ': ' + walk.stops);
      /* The list is one Tab stop; arrows walk it and Enter opens a case. */
      assert(walk.stops.filter((x) => x.startsWith('li:')).length === 1, 'the list is not one Tab stop: ' + walk.stops);
      await openFilters(p);
      await p.selectOption('#f-status', 'all');
      await p.waitForFunction(() => document.querySelectorAll('#queue-body li').length > 1);
      await p.focus('#queue-body li[tabindex="0"]');
      const first = await p.evaluate(() => document.activeElement.dataset.caseId);
      await p.keyboard.press('ArrowDown');
      const second = await p.evaluate(() => document.activeElement.dataset.caseId);
      assert(second && second !== first, 'ArrowDown does not move in the list');
      await p.keyboard.press('Enter');
      await p.waitForSelector('#case-pane[data-case-id="' + second + '"]');
      await p.selectOption('#f-status', 'open');
      await p.goto(bot.url('/console#/case/' + tgCase));
      await p.waitForSelector('#case-pane[data-case-id="' + tgCase + '"]');
      await p.waitForSelector('#transcript .file-preview');
      walk = await focusWalk(p, 120);
      assert(walk.problems.length === 0, 'focus not shown: ' + JSON.stringify(walk.problems));
      for (const id of ['status-select', 'resolution', 'close-btn', 'note-text'])
        assert(walk.stops.includes(id), 'Tab never reaches ' + id + ': ' + walk.stops);
      assert(walk.stops.some((s) => s.startsWith('a[/api/files/')), 'Tab never reaches the photo: ' + walk.stops);
    });

    await step('at 390 px: the queue, search by a word form, a template with "/" by keyboard, the photo, the reports; no sideways scroll, contrast and focus pass', async () => {
      const M = await login(browser, bot, 'marina', { width: 390, height: 844 });
      const p = M.page;
      const row = '#queue-body li[data-case-id="' + caseId + '"]';
      await p.waitForSelector(row);
      assert(await overflow(p) <= 0, 'queue wider than the screen by ' + await overflow(p) + ' px');
      assert(await p.isVisible('#q') && await p.isHidden('#case-pane'), 'the phone queue shows more than the list');
      await a11y(p, 'queue at 390 px');
      const walk = await focusWalk(p, 40);
      assert(walk.problems.length === 0, 'focus not shown at 390 px: ' + JSON.stringify(walk.problems));
      await p.screenshot({ path: path.join(SHOTS, 'queue-390.png') });
      await p.fill('#q', 'интернетом');
      await p.waitForFunction(() => document.body.dataset.query === 'интернетом');
      await p.waitForSelector(row);
      await p.fill('#q', '');
      await p.waitForFunction(() => document.body.dataset.query === '');

      /* A new customer; the secretary works the case from the keyboard alone. */
      const c3ctx = await browser.newContext();
      const chat3 = await c3ctx.newPage();
      await chat3.goto(bot.url('/chat'));
      await chat3.waitForSelector('body[data-connected="yes"]');
      const case3 = parseInt(await complain(chat3), 10);
      await p.goto(bot.url('/console#/case/' + case3));
      await p.waitForSelector('#case-pane[data-case-id="' + case3 + '"]');
      assert(await p.isHidden('#queue-pane') && await p.isVisible('#back-link'), 'the phone case shows the list too, or no way back');
      await p.evaluate(() => document.activeElement && document.activeElement.blur());
      await p.keyboard.press('c');
      await p.waitForSelector('#case-pane[data-status="claimed"]');
      await p.waitForSelector('#send-btn:not([disabled])');
      const walk2 = await focusWalk(p, 120);
      assert(walk2.problems.length === 0, 'focus not shown at 390 px: ' + JSON.stringify(walk2.problems));
      for (const id of ['back-link', 'reply-text', 'send-btn', 'handback-btn']) assert(walk2.stops.includes(id), 'Tab never reaches ' + id + ': ' + walk2.stops);
      await p.focus('#reply-text');
      await p.keyboard.type('/gree');
      await p.waitForSelector('#slash-menu:not([hidden]) li[data-template="op_greeting"]');
      await p.keyboard.press('Enter');
      await p.waitForSelector('#slash-menu', { state: 'hidden' });
      const text = (await p.inputValue('#reply-text')).replace('{name}', 'Анна');
      assert(text.includes(String(case3).padStart(6, '0')), 'template not filled: ' + text);
      await p.fill('#reply-text', text);
      await p.focus('#reply-text');
      await p.keyboard.press('Control+Enter');
      await chat3.waitForFunction((t) => Array.from(document.querySelectorAll('#messages .msg-operator .text')).some((n) => n.textContent === t), text, { timeout: 10000 });
      assert(await overflow(p) <= 0, 'case wider than the screen by ' + await overflow(p) + ' px');
      await a11y(p, 'case at 390 px');
      await p.evaluate(() => { document.activeElement.blur(); document.querySelector('#desk').scrollTo(0, 0); });
      await p.screenshot({ path: path.join(SHOTS, 'case-390.png') });
      await c3ctx.close();

      await p.goto(bot.url('/console#/case/' + tgCase));
      await p.waitForFunction(() => { const i = document.querySelector('#transcript .file-preview'); return i && i.complete && i.naturalWidth > 0; }, null, { timeout: 10000 });
      const img = await p.evaluate(() => document.querySelector('#transcript .file-preview').getBoundingClientRect().right);
      assert(img <= 390, 'the photo runs off the screen: ' + img);
      await p.evaluate(() => { document.activeElement.blur(); document.querySelector('.file-preview').scrollIntoView({ block: 'center' }); });
      await p.screenshot({ path: path.join(SHOTS, 'case-photo-390.png') });

      await p.goto(bot.url('/console#/reports'));
      await p.waitForSelector('#reports-pane:not([hidden]) .chart svg rect');
      assert(await overflow(p) <= 0, 'reports wider than the screen by ' + await overflow(p) + ' px');
      await a11y(p, 'reports at 390 px');
      await p.screenshot({ path: path.join(SHOTS, 'reports-390.png'), fullPage: true });
      await M.ctx.close();
    });

    await step('the reports page draws the day in SVG charts, each with its CSV', async () => {
      const p = A.page;
      await p.goto(bot.url('/console#/reports'));
      await p.waitForSelector('#reports-pane:not([hidden]) .chart svg rect');
      const r = await p.evaluate(() => ({
        charts: document.querySelectorAll('#rep-charts .chart').length,
        svgs: document.querySelectorAll('#rep-charts .chart svg').length,
        csv: document.querySelectorAll('#rep-charts button[data-csv]').length,
        tiles: document.querySelector('#rep-summary').innerText,
        ops: document.querySelector('[data-chart="by_secretary"] table').innerText
      }));
      assert(r.charts >= 9 && r.svgs === r.charts && r.csv === r.charts, 'charts: ' + JSON.stringify(r));
      assert(/сообщений клиентов/.test(r.tiles) && /обращений/.test(r.tiles), 'tiles: ' + r.tiles);
      assert(/marina|oleg/.test(r.ops), 'no secretary in the table: ' + r.ops);
      await a11y(p, 'reports');
      const walk = await focusWalk(p, 40);
      assert(walk.problems.length === 0, 'focus not shown on the reports: ' + JSON.stringify(walk.problems));
      await p.screenshot({ path: path.join(SHOTS, 'reports.png'), fullPage: true });
      const [download] = await Promise.all([p.waitForEvent('download'), p.click('button[data-csv="by_category"]')]);
      const file = await download.path();
      const bytes = fs.readFileSync(file);
      assert(bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf, 'CSV without BOM');
      assert(/Жалоба/.test(bytes.toString('utf8')) && /;/.test(bytes.toString('utf8')), 'CSV: ' + bytes.toString('utf8'));
      /* Days are whole dates a Russian spreadsheet reads: dd.mm.yyyy. */
      const [perDay] = await Promise.all([p.waitForEvent('download'), p.click('button[data-csv="messages_by_day"]')]);
      const rows = fs.readFileSync(await perDay.path(), 'utf8').replace(/^\uFEFF/, '').trim().split('\r\n');
      assert(rows.length > 1 && rows.slice(1).every((l) => /^"\d{2}\.\d{2}\.\d{4}";"\d+"$/.test(l)), 'day CSV: ' + JSON.stringify(rows.slice(0, 3)));
    });

    await step('the idea board: a chat customer proposes, another votes with a button', async () => {
      ideaCtx = await browser.newContext({ locale: 'ru-RU' });
      author = await ideaCtx.newPage();
      await author.goto(bot.url('/chat'));
      await author.waitForSelector('body[data-connected="yes"]');
      ideaId = await proposeIdea(author, 'У меня есть предложение', 'Сделайте тариф для умных часов',
        'Чтобы часы не съедали пакет телефона');
      voter = await (await browser.newContext({ locale: 'ru-RU' })).newPage();
      await voter.goto(bot.url('/chat'));
      await voter.waitForSelector('body[data-connected="yes"]');
      await say(voter, 'покажи лучшие идеи');
      const thanks = (await voteIdea(voter, ideaId)).map((x) => x.text).join(' ');
      assert(/голос/.test(thanks), 'no vote thanks: ' + thanks);
      /* The voter's own idea, voted for too: after the merge the voter counts once. */
      secondId = await proposeIdea(voter, 'хочу предложить идею', 'Тариф для часов с сим-картой', 'Удобно для детей');
      await say(voter, 'покажи идеи');
      await voteIdea(voter, secondId);
    });

    await step('the ideas page: Russian labels, route, status told to the author, merge, CSV export', async () => {
      const p = A.page;
      await p.goto(bot.url('/console#/ideas'));
      await p.waitForSelector('#nav-ideas:not([hidden])');
      const row = '#ideas-body tr[data-idea-id="' + ideaId + '"]';
      await p.waitForSelector(row);
      assert(/умных часов/.test(await p.textContent(row)), 'idea text missing');
      assert((await p.textContent(row + ' .idea-votes')) === '1', 'votes: ' + await p.textContent(row + ' .idea-votes'));
      const labels = await p.$$eval(row + ' select[aria-label="Статус"] option', (os) => os.map((o) => o.textContent));
      assert(JSON.stringify(labels) === JSON.stringify(['новая', 'на рассмотрении', 'запланирована', 'сделана', 'отклонена']),
        'status labels: ' + JSON.stringify(labels));
      await p.selectOption(row + ' select[aria-label="Подразделение"]', 'Тарифы и цены');
      await p.waitForFunction((sel) => document.querySelector(sel + ' select[aria-label="Подразделение"]').value === 'Тарифы и цены', row);
      const told = (await chatReplies(author)).length;
      await p.selectOption(row + ' select[aria-label="Статус"]', 'planned');
      await author.waitForFunction((n) => Array.from(document.querySelectorAll('#messages .msg'))
        .filter((x) => x.dataset.from !== 'customer').length > n, told, { timeout: 10000 });
      const notice = (await chatReplies(author)).slice(told).map((x) => x.text).join(' ');
      assert(/запланирована/.test(notice) && notice.includes('№' + ideaId), 'notice: ' + notice);
      /* Merge the voter's idea into the first: one vote each before, still 1 after. */
      const second = '#ideas-body tr[data-idea-id="' + secondId + '"]';
      await p.fill(second + ' input.merge-into', String(ideaId));
      await p.click(second + ' button');
      await p.waitForSelector(second, { state: 'detached' });
      assert((await p.textContent(row + ' .idea-votes')) === '1', 'votes after the merge: ' + await p.textContent(row + ' .idea-votes'));
      await p.check('#ideas-merged');
      assert(/объединена с №/.test(await p.textContent(second)), 'merged row not marked');
      await p.screenshot({ path: path.join(SHOTS, 'ideas.png'), fullPage: true });
      const [download] = await Promise.all([p.waitForEvent('download'), p.click('#ideas-export-csv')]);
      const bytes = fs.readFileSync(await download.path());
      assert(bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf, 'ideas CSV without BOM');
      const text = bytes.toString('utf8');
      assert(/умных часов/.test(text) && /Тарифы и цены/.test(text) && /planned/.test(text), 'ideas CSV: ' + text);
      await ideaCtx.close();
      await voter.context().close();
    });

    await step('«Непонятые вопросы»: a missed question attached to an intent in the page is then answered in the web chat; undo', async () => {
      const services = JSON.parse(fs.readFileSync(path.join(SOURCE_DIR, 'replies', 'intents', 'services.json'), 'utf8'));
      const answer = services.intents.find((i) => i.id === 'support_contacts').answer.ru;
      const chat = await (await browser.newContext({ locale: 'ru-RU' })).newPage();
      await chat.goto(bot.url('/chat'));
      await chat.waitForSelector('body[data-connected="yes"]');
      const q = 'какого цвета ваш логотип';
      const missed = (await say(chat, q)).map((x) => x.text).join(' ');
      assert(!missed.includes(answer.slice(0, 40)), 'understood before the attach: ' + missed);
      const p = A.page;
      await p.goto(bot.url('/console#/misses'));
      await p.waitForSelector('#nav-misses:not([hidden])');
      const row = '#misses-body tr.miss-group:has(li:text-is("' + q + '"))';
      await p.waitForSelector(row);
      /* The intents by their titles; the group's row, from the keyboard. */
      const titles = await p.$$eval(row + ' select.miss-intent option', (os) => os.map((o) => o.textContent));
      assert(titles.includes('Контакты поддержки') && !titles.includes('support_contacts'), 'intent titles: ' + titles.slice(0, 5));
      await p.selectOption(row + ' select.miss-intent', 'support_contacts');
      await p.focus(row + ' button.miss-attach');
      await p.keyboard.press('Enter');
      await p.waitForSelector('#misses-diff-box:not([hidden])');
      const diff = await p.textContent('#misses-diff');
      assert(diff.includes('+++ b/intents/services.json') && diff.includes('+          "' + q + '"'), 'diff: ' + diff);
      await p.waitForSelector(row, { state: 'detached' });
      await a11y(p, 'misses');
      await p.screenshot({ path: path.join(SHOTS, 'misses.png'), fullPage: true });
      const understood = (await say(chat, q)).map((x) => x.text).join(' ');
      assert(understood.includes(answer.slice(0, 40)), 'not answered after the attach: ' + understood);
      /* Undo: the file as it was, the question missed again and listed again. */
      await p.click('#misses-changes-body tr:first-child button.miss-undo');
      await p.waitForSelector(row);
      const again = (await say(chat, q)).map((x) => x.text).join(' ');
      assert(!again.includes(answer.slice(0, 40)), 'still answered after the undo: ' + again);
      await chat.context().close();
    });

    await step('«Публичные» shows a thread with its readings and sends a public reply from a template', async () => {
      const r = await vk.inject([
        { type: 'wall_reply_new', from_id: 9101, post_id: 77, text: 'уже третий день не работает интернет, безобразие' },
        { type: 'wall_reply_new', from_id: 9102, post_id: 77, text: 'делайте репост, пусть все узнают ' + HOSTILE[0] + HOSTILE[1] },
        { type: 'wall_reply_new', from_id: 9103, post_id: 77, text: 'как проверить баланс' }]);
      const ids = r.injected.map((x) => x.comment_id);
      const p = A.page;
      await p.goto(bot.url('/console#/public'));
      await p.waitForSelector('#public-pane:not([hidden])');
      for (let i = 0; i < 50; i++) {
        await p.click('#public-refresh');
        try {
          await p.waitForSelector('.public-thread[data-post-id="77"] .public-comment:nth-child(3)', { timeout: 300 });
          break;
        } catch (e) { /* the comments are still on their way */ }
      }
      const text = await p.textContent('.public-thread[data-post-id="77"]');
      assert(/жалоба/.test(text) && /провокация/.test(text) && /вопрос/.test(text), 'readings: ' + text);
      assert(/жалуются: 1/.test(text) && /провокации: 1/.test(text), 'thread counts: ' + text);
      assert(text.includes(HOSTILE[0]), 'hostile text not shown as text: ' + text);
      assert(await p.evaluate(() => window.__pwned === undefined), 'pwned by a comment');
      const row = '.public-comment[data-comment-id="' + ids[2] + '"]';
      await p.selectOption(row + ' .public-template', 'public_invite_private');
      await p.click(row + ' .public-send');
      await p.waitForFunction((sel) => /в очередь/.test(document.querySelector(sel).textContent), row);
      let sent = [];
      for (let i = 0; i < 50 && !sent.length; i++) {
        const c = await vk.calls('wall.createComment');
        sent = c.calls.filter((x) => String(x.params.reply_to_comment) === String(ids[2]) && /личные сообщения/.test(x.params.message) && /Спасибо за вопрос/.test(x.params.message));
        if (!sent.length) await new Promise((res) => setTimeout(res, 100));
      }
      assert(sent.length === 1, 'the secretary\'s public reply did not reach VK');
      await p.screenshot({ path: path.join(SHOTS, 'public.png'), fullPage: true });
    });

    await step('logout ends the session', async () => {
      await A.page.goto(bot.url('/console#/queue'));
      await A.page.click('#logout-btn');
      await A.page.waitForSelector('#login-view:not([hidden])');
      const s = await A.page.evaluate(async () => (await fetch('/api/cases')).status);
      assert(s === 401, 'session alive after logout: ' + s);
    });
    await step('a chat token the server did not issue is replaced, and the chat works', async () => {
      const forged = 'ab'.repeat(32);
      const ctx = await browser.newContext();
      await ctx.addCookies([{ name: 'deskbot_chat', value: forged, url: bot.url('/chat') }]);
      const p = await ctx.newPage();
      await p.goto(bot.url('/chat'));
      await p.waitForSelector('body[data-connected="yes"]');
      const mine = (await ctx.cookies(bot.url('/chat'))).filter((k) => k.name === 'deskbot_chat');
      assert(mine.some((k) => k.value !== forged && /^[0-9a-f]{64}$/.test(k.value)),
        'no server-issued token: ' + JSON.stringify(mine));
      await ctx.close();
    });
    await step('console.language "en": the same console in English, from the one table', async () => {
      const en = await startDeskbot({
        operators: [{ login: 'anna', password: PASSWORD, role: 'operator', display_name: 'Anna' }],
        extra: { console: { language: 'en' } }
      });
      const ctx = await browser.newContext();
      try {
        const p = await ctx.newPage();
        await p.goto(en.url('/console'));
        await p.waitForFunction(() => document.documentElement.lang === 'en');
        assert((await p.textContent('#login-btn')).trim() === 'Log in', 'login button: ' + await p.textContent('#login-btn'));
        await p.fill('#login', 'anna');
        await p.fill('#password', 'wrong');
        await p.click('#login-btn');
        await p.waitForFunction(() => /Wrong login or password/.test(document.querySelector('#login-error').textContent));
        await p.fill('#password', PASSWORD);
        await p.click('#login-btn');
        await p.waitForSelector('#app-view:not([hidden])');
        assert(/\(operator\)/.test(await p.textContent('#me')), 'me: ' + await p.textContent('#me'));
        assert((await p.textContent('#claim-btn')).trim() === 'Claim', 'claim: ' + await p.textContent('#claim-btn'));
        assert(/Search/.test(await p.getAttribute('#q', 'placeholder')), 'search placeholder');
        const err = await p.evaluate(async () => (await (await fetch('/api/cases/999')).json()).error);
        assert(err === 'no such case', 'API error: ' + err);
        const visible = await p.evaluate(() => document.querySelector('#app-view').innerText);
        const left = visible.split('\n').filter((l) => /[а-яё]/i.test(l));
        assert(left.length === 0, 'Russian left on the English page: ' + JSON.stringify(left));
        await p.screenshot({ path: path.join(SHOTS, 'queue-en.png') });
      } finally {
        await ctx.close();
        await en.stop();
        en.cleanup();
      }
    });
    await step('console.language "en": queue, a case, the reports, the admin page, «Публичные» and the help have no Russian but what customers wrote', async () => {
      const en = await startDeskbot({
        operators: [
          { login: 'anna', password: PASSWORD, role: 'admin', display_name: 'Anna Smith' },
          { login: 'ben', password: PASSWORD, role: 'operator', display_name: 'Ben Jones' }
        ],
        extra: { console: { language: 'en' } }
      });
      const chatEnCtx = await browser.newContext();
      let A2 = null;
      try {
        /* A Russian customer: what they wrote stays Russian, the console around it not. */
        const chatEn = await chatEnCtx.newPage();
        await chatEn.goto(en.url('/chat'));
        await chatEn.waitForSelector('body[data-connected="yes"]');
        const id = parseInt(await complain(chatEn), 10);
        A2 = await login(browser, en, 'anna');
        const p = A2.page;
        await p.waitForFunction(() => document.documentElement.lang === 'en');
        /* Customer-written content, left out by name: the transcript, a queue row's last
         * message and the customer's name, and the case card's fields the customer gave. */
        const russianLeft = () => p.evaluate(() => {
          const CUSTOMER = '#transcript, #queue-body .conv-last, #queue-body .who, [data-customer]';
          const cyr = /[\u0400-\u04FF]/;
          /* Hidden for the reading (console.css: [hidden] is display: none; the page's CSP
           * takes no inline <style>), then as they were. */
          const skipped = Array.from(document.querySelectorAll(CUSTOMER)).filter((e) => !e.hidden);
          for (const e of skipped) e.hidden = true;
          const text = document.body.innerText;
          for (const e of skipped) e.hidden = false;
          /* Each line left, with where it is (the element holding a text node of it). */
          const where = (line) => {
            const walk = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
            for (let n = walk.nextNode(); n; n = walk.nextNode()) {
              const t = n.nodeValue.trim();
              if (!t || !cyr.test(t) || !line.includes(t)) continue;
              const e = n.parentNode;
              return (e.closest(CUSTOMER) ? '(customer, ' + getComputedStyle(e).display + ') ' : '') + e.tagName.toLowerCase() + (e.id ? '#' + e.id : '') + (e.className && typeof e.className === 'string' ? '.' + e.className.split(' ').join('.') : '');
            }
            return '?';
          };
          const left = text.split('\n').filter((l) => cyr.test(l)).map((l) => 'text in ' + where(l) + ': ' + l.trim());
          for (const e of document.querySelectorAll('[title], [placeholder], [aria-label]')) {
            if (e.closest(CUSTOMER)) continue;
            for (const a of ['title', 'placeholder', 'aria-label']) {
              const v = e.getAttribute(a);
              if (v && cyr.test(v)) left.push(a + ' of ' + e.tagName.toLowerCase() + (e.id ? '#' + e.id : '') + ': ' + v);
            }
          }
          if (cyr.test(document.title)) left.push('document.title: ' + document.title);
          return left;
        });
        const none = async (where) => {
          const left = await russianLeft();
          assert(left.length === 0, 'Russian left on the English ' + where + ': ' + JSON.stringify(left));
        };
        /* The queue, with the filters open. */
        const row = '#queue-body li[data-case-id="' + id + '"]';
        await p.waitForSelector(row + ' .conv-last');
        await openFilters(p);
        assert(/Cases: \d+/.test(await p.textContent('#queue-count')), 'count: ' + await p.textContent('#queue-count'));
        assert(/[\u0400-\u04FF]/.test(await p.textContent(row + ' .conv-last')), 'the customer\'s words are not Russian: the check would prove nothing');
        await none('queue');
        /* A case: the card, the actions, the history; claimed, with a note. */
        await p.click(row);
        await p.waitForSelector('#case-pane[data-case-id="' + id + '"]');
        await p.waitForSelector('#transcript .msg');
        await none('case');
        await p.click('#claim-btn');
        await p.waitForSelector('#case-pane[data-status="claimed"]');
        await p.fill('#note-text', 'Call back tomorrow');
        await p.click('#note-btn');
        await p.waitForFunction(() => /Call back tomorrow/.test(document.querySelector('#notes').textContent));
        await p.fill('#reply-text', 'Hello {name}');
        await p.dispatchEvent('#reply-text', 'input');
        await p.waitForFunction(() => /Fill in \{name\} before sending/.test(document.querySelector('#reply-error').textContent));
        assert(/assignee: Anna Smith/.test(await p.textContent('#case-assignee')), 'assignee: ' + await p.textContent('#case-assignee'));
        await none('claimed case');
        await p.screenshot({ path: path.join(SHOTS, 'case-en.png') });
        /* The help overlay. */
        await p.evaluate(() => document.activeElement && document.activeElement.blur());
        await p.keyboard.press('?');
        await p.waitForSelector('#help:not([hidden])');
        assert(/Keyboard shortcuts/.test(await p.textContent('#help')), 'help: ' + await p.textContent('#help'));
        await none('help overlay');
        await p.keyboard.press('Escape');
        await p.waitForSelector('#help', { state: 'hidden' });
        /* The reports, the admin page and «Публичные» (no VK here: the empty list). */
        await p.goto(en.url('/console#/reports'));
        await p.waitForSelector('#reports-pane:not([hidden]) .chart svg rect');
        assert(/customer messages/.test(await p.textContent('#rep-summary')), 'tiles: ' + await p.textContent('#rep-summary'));
        await none('reports');
        await p.goto(en.url('/console#/admin'));
        await p.waitForSelector('#stats-body tr');
        await none('admin page');
        await p.goto(en.url('/console#/public'));
        await p.waitForSelector('#public-threads p');
        await none('«Публичные» page');
      } finally {
        if (A2) await A2.ctx.close();
        await chatEnCtx.close();
        await en.stop();
        en.cleanup();
      }
    });
    await chatCtx.close();
  } catch (e) {
    failed++;
    console.log('FAIL setup: ' + (e && e.stack || e));
  } finally {
    if (browser) await browser.close();
    fs.rmSync(profile, { recursive: true, force: true });
    let code = null;
    try { code = await bot.stop(); } catch (e) { console.log('FAIL stop: ' + e.message); failed++; }
    if (code !== 0 && code !== null) {
      failed++;
      console.log('FAIL deskbot exited with ' + code + '\n' + bot.readLog().slice(-4000));
    } else if (failed) {
      console.log('---- deskbot log ----\n' + bot.readLog().slice(-4000));
    }
    bot.cleanup();
    tg.stop();
    vk.stop();
  }
  console.log(passed + ' passed, ' + failed + ' failed');
  process.exit(failed ? 1 : 0);
}

main();
