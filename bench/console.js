'use strict';
/* bench/console: fifty operators' console sockets open at once while web-chat customers
 * open 100 new cases a second; measures how long each case takes to reach every
 * operator's queue (from the customer's message leaving the client to the case_created
 * frame arriving on an operator socket: the pipeline, the store commit and the hub).
 *
 *   node bench/console.js [--binary build-bench/deskbot] [--operators 50] [--rate 100]
 *                         [--seconds 10]
 *
 * Needs the npm package ws (installed in tests/browser by bench/console.sh). Every
 * connection goes to 127.0.0.1 only; the run is bounded in count and time. */

const path = require('path');
const crypto = require('crypto');
const http = require('http');
const WebSocket = require(require.resolve('ws', { paths: [path.join(__dirname, '..', 'tests', 'browser')] }));
const { startDeskbot } = require(path.join(__dirname, '..', 'tests', 'browser', 'harness.js'));

function arg(name, def) {
  const i = process.argv.indexOf('--' + name);
  return i > 0 && i + 1 < process.argv.length ? process.argv[i + 1] : def;
}
const BINARY = path.resolve(arg('binary', process.env.DESKBOT_BINARY || 'build-bench/deskbot'));
const OPERATORS = parseInt(arg('operators', '50'), 10);
const RATE = parseFloat(arg('rate', '100'));
const SECONDS = parseFloat(arg('seconds', '10'));
const PASSWORD = 'bench password';
const now = () => Number(process.hrtime.bigint()) / 1e6;

function post(port, p, body) {
  return new Promise((resolve, reject) => {
    const data = JSON.stringify(body);
    const req = http.request({ host: '127.0.0.1', port, path: p, method: 'POST',
      headers: { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(data) } }, (res) => {
      let text = '';
      res.on('data', (c) => { text += c; });
      res.on('end', () => resolve({ status: res.statusCode, body: text, cookie: (res.headers['set-cookie'] || [''])[0].split(';')[0] }));
    });
    req.on('error', reject);
    req.end(data);
  });
}

function open(port, p, cookie) {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket('ws://127.0.0.1:' + port + p, { headers: { Cookie: cookie } });
    ws.once('open', () => resolve(ws));
    ws.once('error', reject);
  });
}

function pct(sorted, p) {
  if (!sorted.length) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.ceil(p / 100 * sorted.length) - 1)];
}

async function main() {
  const ops = [];
  for (let i = 1; i <= OPERATORS; i++) ops.push({ login: 'op' + String(i).padStart(2, '0'), password: PASSWORD, role: 'operator' });
  const bot = await startDeskbot({ operators: ops, logLevel: 'warn', binary: BINARY });
  const sent = new Map();     /* peer id -> time the customer's message left */
  const latencies = [];
  let notices = 0;
  let stray = 0;
  const sockets = [];
  try {
    /* Fifty sessions, fifty sockets. */
    for (const o of ops) {
      const r = await post(bot.port, '/api/login', { login: o.login, password: PASSWORD });
      if (r.status !== 200) throw new Error('login ' + o.login + ': ' + r.status + ' ' + r.body);
      const ws = await open(bot.port, '/ws', r.cookie);
      await new Promise((resolve) => {
        ws.once('message', () => resolve());
        ws.send(JSON.stringify({ type: 'hello' }));
      });
      ws.on('message', (data) => {
        const t = now();
        const m = JSON.parse(data);
        if (m.type !== 'case_created') return;
        notices++;
        const t0 = m.case ? sent.get(m.case.peer_id) : undefined;
        if (t0 === undefined) { stray++; return; }
        latencies.push(t - t0);
      });
      sockets.push(ws);
    }
    console.log('console: ' + sockets.length + ' operator sockets connected');

    /* Customers: each asks for a person, which opens a case at once. */
    const total = Math.round(RATE * SECONDS);
    const interval = 1000 / RATE;
    let started = 0, acked = 0, failed = 0;
    const t0 = now();
    await new Promise((resolve) => {
      const tick = setInterval(() => {
        const due = Math.min(total, Math.floor((now() - t0) / interval) + 1);
        while (started < due) {
          started++;
          const token = crypto.randomBytes(32).toString('hex');
          const ws = new WebSocket('ws://127.0.0.1:' + bot.port + '/chat/ws', { headers: { Cookie: 'deskbot_chat=' + token } });
          let peer = null;
          ws.on('open', () => ws.send(JSON.stringify({ type: 'hello' })));
          ws.on('message', (data) => {
            const m = JSON.parse(data);
            if (m.type === 'hello') peer = m.peer_id;
            else if (m.type === 'history') {
              sent.set(peer, now());
              ws.send(JSON.stringify({ type: 'message', text: 'Позовите оператора, пожалуйста', id: 'b1' }));
            } else if (m.type === 'ack') {
              acked++;
              ws.close();
            } else if (m.type === 'error') {
              failed++;
              ws.close();
            }
          });
          ws.on('error', () => { failed++; });
        }
        if (started >= total) { clearInterval(tick); resolve(); }
      }, Math.max(1, Math.floor(interval / 2)));
    });
    const sendSeconds = (now() - t0) / 1000;
    /* Let the last notices arrive (bounded). */
    const expect = total * sockets.length;
    const deadline = now() + 10000;
    while (latencies.length < expect && now() < deadline) await new Promise((r) => setTimeout(r, 50));

    latencies.sort((a, b) => a - b);
    const within = latencies.filter((x) => x <= 200).length;
    const f = (x) => isNaN(x) ? 'n/a' : x.toFixed(1) + ' ms';
    console.log('console: connections ' + sockets.length + ' operators; customers ' + started +
      ' (' + acked + ' stored, ' + failed + ' failed)');
    console.log('console: cases/s offered ' + (started / sendSeconds).toFixed(1) + ' over ' + sendSeconds.toFixed(1) + ' s');
    console.log('console: case notices ' + latencies.length + ' of ' + expect + ' expected (' + stray + ' unmatched)');
    console.log('console: notice latency p50 ' + f(pct(latencies, 50)) + ', p99 ' + f(pct(latencies, 99)) +
      ', max ' + f(latencies[latencies.length - 1]) + '; within 200 ms: ' +
      (latencies.length ? (100 * within / latencies.length).toFixed(2) : '0') + '%');
    if (!latencies.length) {
      console.log('console: no case was created: is complaint/person handling in the pipeline?');
      process.exitCode = 1;
    }
  } finally {
    for (const ws of sockets) ws.close();
    const code = await bot.stop();
    if (code !== 0) console.log('console: deskbot exited with ' + code + '\n' + bot.readLog().slice(-3000));
    bot.cleanup();
  }
}

main().catch((e) => { console.error(e); process.exit(1); });
