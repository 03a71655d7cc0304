'use strict';
/* Starts the real deskbot binary for the browser tests and the console bench: a private
 * temporary directory (a copy of the reply set, the store), a free port on 127.0.0.1,
 * operators with hashes made by `deskbot passwd`. The JavaScript twin of
 * tests/integration/harness.py. */

const { spawn, execFileSync } = require('child_process');
const fs = require('fs');
const http = require('http');
const net = require('net');
const os = require('os');
const path = require('path');

const SOURCE_DIR = process.env.DESKBOT_SOURCE_DIR || path.resolve(__dirname, '..', '..');
let BINARY = process.env.DESKBOT_BINARY || path.join(SOURCE_DIR, 'build', 'deskbot');

function freePort() {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.listen(0, '127.0.0.1', () => {
      const port = s.address().port;
      s.close(() => resolve(port));
    });
    s.on('error', reject);
  });
}

const hashes = new Map(); /* password -> hash: yescrypt is slow on purpose */
function passwordHash(password) {
  if (!hashes.has(password)) {
    hashes.set(password, execFileSync(BINARY, ['passwd'], { input: password + '\n', timeout: 30000 }).toString().trim());
  }
  return hashes.get(password);
}

function get(port, p) {
  return new Promise((resolve, reject) => {
    const req = http.get({ host: '127.0.0.1', port, path: p, timeout: 1000 }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode));
    });
    req.on('error', reject);
    req.on('timeout', () => { req.destroy(new Error('timeout')); });
  });
}

function copyDir(from, to) {
  fs.mkdirSync(to, { recursive: true });
  for (const e of fs.readdirSync(from, { withFileTypes: true })) {
    const a = path.join(from, e.name), b = path.join(to, e.name);
    if (e.isDirectory()) copyDir(a, b); else fs.copyFileSync(a, b);
  }
}

/* operators: [{login, password, role, display_name}]. Resolves to {port, dir, url(p), stop()}.
 * The free port is only free when asked: another process may take it before deskbot
 * binds it, so a start that fails to listen is tried again on another port. */
async function startDeskbot(opts = {}) {
  for (let attempt = 1; ; attempt++) {
    try {
      return await startDeskbotOnce(opts);
    } catch (e) {
      if (!e.portInUse || attempt >= 3) throw e;
      console.log('deskbot could not listen on its port (taken meanwhile); trying another');
    }
  }
}

async function startDeskbotOnce({ operators, extra, logLevel, binary } = {}) {
  if (binary) BINARY = binary;
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'deskbot-browser-'));
  copyDir(path.join(SOURCE_DIR, 'replies'), path.join(dir, 'replies'));
  const port = await freePort();
  const cfg = Object.assign({
    http: { listen: '127.0.0.1:' + port },
    store: { path: path.join(dir, 'deskbot.db') },
    replies: { dir: path.join(dir, 'replies') },
    log: { level: logLevel || 'info' },
    operators: (operators || []).map((o) => Object.assign({ login: o.login, password_hash: passwordHash(o.password), role: o.role || 'operator' },
      o.display_name ? { display_name: o.display_name } : {}))
  }, extra || {});
  fs.writeFileSync(path.join(dir, 'config.json'), JSON.stringify(cfg));
  const logPath = path.join(dir, 'deskbot.log');
  const log = fs.openSync(logPath, 'a');
  const proc = spawn(BINARY, ['run', '--config', path.join(dir, 'config.json')], { cwd: dir, stdio: ['ignore', log, log] });
  let exited = null;
  proc.on('exit', (code, sig) => { exited = { code, sig }; });
  const deadline = Date.now() + 20000;
  for (;;) {
    if (exited) {
      const text = fs.readFileSync(logPath, 'utf8');
      const err = new Error('deskbot exited early: ' + JSON.stringify(exited) + '\n' + text);
      err.portInUse = text.includes('cannot listen on');
      if (err.portInUse) {
        fs.closeSync(log);
        if (!process.env.DESKBOT_KEEP_TMP) fs.rmSync(dir, { recursive: true, force: true });
      }
      throw err;
    }
    try {
      const s = await get(port, '/healthz');
      if (s === 200 || s === 503) break;
    } catch (e) { /* not yet */ }
    if (Date.now() > deadline) { proc.kill('SIGKILL'); throw new Error('deskbot did not start'); }
    await new Promise((r) => setTimeout(r, 50));
  }
  return {
    port, dir, logPath,
    url: (p) => 'http://127.0.0.1:' + port + p,
    readLog: () => fs.readFileSync(logPath, 'utf8'),
    /* SIGTERM, then the exit code (0 expected: a clean shutdown, no leak under ASan). */
    async stop() {
      if (!exited) {
        proc.kill('SIGTERM');
        const t0 = Date.now();
        while (!exited && Date.now() - t0 < 20000) await new Promise((r) => setTimeout(r, 50));
        if (!exited) { proc.kill('SIGKILL'); throw new Error('deskbot did not stop'); }
      }
      fs.closeSync(log);
      return exited.code;
    },
    cleanup() {
      if (!exited) proc.kill('SIGKILL');
      if (!process.env.DESKBOT_KEEP_TMP) fs.rmSync(dir, { recursive: true, force: true });
    }
  };
}

function request(port, method, p, body) {
  return new Promise((resolve, reject) => {
    const data = body === undefined ? null : Buffer.from(JSON.stringify(body));
    const req = http.request({ host: '127.0.0.1', port, path: p, method, timeout: 10000,
      headers: data ? { 'Content-Type': 'application/json', 'Content-Length': data.length } : {} }, (res) => {
      const chunks = [];
      res.on('data', (c) => chunks.push(c));
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        if (res.statusCode !== 200) reject(new Error(method + ' ' + p + ': ' + res.statusCode + ' ' + text));
        else resolve(JSON.parse(text));
      });
    });
    req.on('error', reject);
    req.on('timeout', () => { req.destroy(new Error('timeout')); });
    if (data) req.write(data);
    req.end();
  });
}

/* The fake Telegram Bot API (tests/fakes/fake_telegram.py) on 127.0.0.1, for a customer
 * who writes from Telegram (and sends a photo). Resolves to {apiUrl, inject(item),
 * sent(peer), stop()}. */
async function startFakeTelegram(token) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'deskbot-fake-tg-'));
  const portFile = path.join(dir, 'port');
  const log = fs.openSync(path.join(dir, 'fake.log'), 'a');
  const proc = spawn('python3', [path.join(SOURCE_DIR, 'tests', 'fakes', 'fake_telegram.py'), '--port', '0',
    '--port-file', portFile, '--token', token, '--max-seconds', '900'], { stdio: ['ignore', log, log] });
  let port = 0;
  const deadline = Date.now() + 10000;
  while (!port) {
    if (Date.now() > deadline) { proc.kill('SIGKILL'); throw new Error('fake telegram did not start'); }
    try { port = parseInt(fs.readFileSync(portFile, 'utf8'), 10) || 0; } catch (e) { /* not yet */ }
    if (!port) await new Promise((r) => setTimeout(r, 20));
  }
  return {
    apiUrl: 'http://127.0.0.1:' + port,
    inject: (item) => request(port, 'POST', '/_control/inject', { updates: [item] }),
    sent: async (peer) => (await request(port, 'GET', '/_control/sent?peer=' + peer)).messages,
    stop() {
      proc.kill('SIGTERM');
      fs.closeSync(log);
      fs.rmSync(dir, { recursive: true, force: true });
    }
  };
}

module.exports = { startDeskbot, startFakeTelegram, SOURCE_DIR };
