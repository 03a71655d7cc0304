/* deskbot console: the conversation list (search, filters, saved views) on the left,
 * the conversation in the middle, the case card and the customer's history on the
 * side; the admin view. Plain JavaScript, no build step.
 * Everything that comes from customers (or anyone) is put on the page with textContent
 * or as attribute values through the DOM API, never as HTML. */
'use strict';

(function () {
  const $ = (id) => document.getElementById(id);
  const OPEN = ['new', 'claimed', 'waiting'];
  const SEVERITY_RANK = { critical: 0, high: 1, normal: 2, low: 3 };
  const SEVERITY_TEXT = { critical: 'критичная', high: 'высокая', normal: 'обычная', low: 'низкая' };
  const STATUS_TEXT = { new: 'новое', claimed: 'в работе', waiting: 'ждём клиента', resolved: 'решено', closed: 'закрыто' };
  const FLAG_TEXT = {
    obscene: 'мат', legal_threat: 'угроза судом', spread_call: 'призыв к репосту',
    shouting: 'крик', repeat_contact: 'повторно', high_reach: 'PR-риск (охват)'
  };
  const CHANNEL_TEXT = { vk: 'VK', telegram: 'Telegram', web: 'веб-чат' };
  /* A page's name (config vk.pages / telegram.pages): its title, else the platform and
   * its label ("VK · north"); the session lists the pages, a case record names its own. */
  function channelText(id, page) {
    const known = ((state.me && state.me.pages) || []).find((x) => x.id === id);
    const p = page && (page.title || page.label) ? page : known;
    if (p && p.title) return p.title;
    const cut = String(id || '').indexOf(':');
    if (cut < 0) return CHANNEL_TEXT[id] ? tr(CHANNEL_TEXT[id]) : id;
    const platform = id.slice(0, cut);
    return (CHANNEL_TEXT[platform] ? tr(CHANNEL_TEXT[platform]) : platform) + ' · ' + ((p && p.label) || id.slice(cut + 1));
  }
  /* The reply set names intents (their titles come with the session) but not their
   * categories; these are the default set's, an unknown one shows as it is. */
  const CATEGORY_TEXT = {
    complaint: 'Жалоба', account: 'Счёт и оплата', services: 'Услуги', internet: 'Мобильный интернет',
    sim: 'SIM-карта и номер', tariff: 'Тарифы', roaming: 'Роуминг', home: 'Домашний интернет и ТВ',
    smalltalk: 'Разговор', operator: 'Сотрудник', idea: 'Идея'
  };
  const ACTION_TEXT = {
    login: 'вход', logout: 'выход', login_failed: 'неудачный вход', login_throttled: 'вход заблокирован',
    claim: 'взял(а) в работу', release: 'вернул(а) в очередь', reply: 'ответ клиенту', note: 'заметка',
    status: 'статус', close: 'закрыто', handback: 'вернул(а) боту', assign: 'передача',
    reload: 'перезагрузка ответов', view_saved: 'сохранён вид'
  };
  const NOT_GIVEN_TEXT = { phone: 'телефон', account: 'лицевой счёт', location: 'место', description: 'описание' };

  const state = {
    me: null,          /* {login, role, csrf, operators, channels, categories, intents} */
    cases: new Map(),  /* id -> summary */
    order: [],         /* ids in the order shown, for j / k */
    unseen: new Set(), /* ids with news not looked at in this tab */
    seen: {},          /* id -> last_at the secretary has seen (kept per login) */
    current: null,     /* open case id */
    currentCase: null,
    templates: [],
    views: [],
    slash: null,       /* {start, items, index} while the template menu is open */
    ws: null,
    wsRetry: 0,
    notices: 0,
    reloadTimer: null,
    searchTimer: null,
    prefs: { sound: true, title: true }
  };

  /* ---------- small DOM helpers (text only) ---------- */
  /* The console's language (config console.language; the session, or the refusal of
   * one, tells it). English comes from the one table in console_i18n.js, keyed by the
   * Russian text; what it lacks stays Russian. */
  let lang = 'ru';
  const has = (o, k) => Object.prototype.hasOwnProperty.call(o, k);
  /* tr('ждёт {n} мин', { n }): the text in the console's language, then each {name}
   * replaced by its argument (a text with numbers is one entry, never Russian pieces). */
  function tr(s, args) {
    const en = lang === 'en' && window.DESKBOT_EN;
    const t = (en && has(en, s)) ? en[s] : s;
    return args ? t.replace(/\{([a-z_][a-z0-9_]*)\}/g, (m, k) => (has(args, k) ? String(args[k]) : m)) : t;
  }
  /* Dates and times in the console's language (the Russian page keeps ru-RU). */
  function locale() { return lang === 'en' ? 'en-GB' : 'ru-RU'; }
  /* The page's own words (text nodes, titles, placeholders, labels), once the language
   * is known; the originals are kept so switching back is possible. */
  function translatePage() {
    document.documentElement.lang = lang;
    const walk = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
    for (let n = walk.nextNode(); n; n = walk.nextNode()) {
      if (n.parentNode.closest('#transcript, #queue, #alerts')) continue;
      const orig = n.__ru || (n.__ru = n.nodeValue);
      const key = orig.trim();
      if (key) n.nodeValue = orig.replace(key, tr(key));
    }
    for (const e of document.querySelectorAll('[title], [placeholder], [aria-label]')) {
      for (const a of ['title', 'placeholder', 'aria-label']) {
        if (!e.hasAttribute(a)) continue;
        const k = 'ru' + a.replace('-', ''); /* a dataset name takes no "-l" */
        if (!e.dataset[k]) e.dataset[k] = e.getAttribute(a);
        e.setAttribute(a, tr(e.dataset[k]));
      }
    }
    updateTitle();
  }
  function setLang(l) {
    const next = l === 'en' ? 'en' : 'ru';
    if (next === lang && document.documentElement.lang === lang) return;
    lang = next;
    translatePage();
  }
  /* A colleague as secretaries know each other: the display name, else the login. */
  function nameOf(login) { return (state.me && state.me.names && state.me.names[login]) || login; }

  function el(tag, opts, ...children) {
    const e = document.createElement(tag);
    if (opts) {
      if (opts.cls) e.className = opts.cls;
      if (opts.text !== undefined && opts.text !== null) e.textContent = tr(String(opts.text));
      if (opts.title) e.title = tr(String(opts.title));
      if (opts.data) for (const k of Object.keys(opts.data)) e.dataset[k] = String(opts.data[k]);
    }
    for (const c of children) if (c) e.appendChild(c);
    return e;
  }
  function clear(node) { while (node.firstChild) node.removeChild(node.firstChild); }
  function badge(text, cls) { return el('span', { cls: 'badge ' + (cls || ''), text }); }
  function fmtTime(sec) {
    if (!sec) return '—';
    const d = new Date(sec * 1000);
    return d.toLocaleString(locale(), { day: '2-digit', month: '2-digit', hour: '2-digit', minute: '2-digit' });
  }
  function fmtClock(sec) {
    if (!sec) return '';
    const d = new Date(sec * 1000);
    const today = new Date(now() * 1000);
    if (d.toDateString() === today.toDateString()) return d.toLocaleTimeString(locale(), { hour: '2-digit', minute: '2-digit' });
    return fmtTime(sec);
  }
  function fmtDur(sec) {
    const s = Math.abs(Math.round(sec));
    if (s < 60) return tr('{n} с', { n: s });
    if (s < 3600) return tr('{n} мин', { n: Math.floor(s / 60) });
    if (s < 86400) return tr('{h} ч {m} мин', { h: Math.floor(s / 3600), m: Math.floor((s % 3600) / 60) });
    return tr('{d} д {h} ч', { d: Math.floor(s / 86400), h: Math.floor((s % 86400) / 3600) });
  }
  /* The daemon's clock less the browser's (every API answer carries server_now): waits
   * and SLA are measured on the daemon's clock, whatever the browser's says. */
  let skewS = 0;
  function now() { return Math.floor(Date.now() / 1000 + skewS); }
  function who(login) { return login === 'system' ? tr('система') : (login || '—'); }
  function intentTitle(id) {
    const i = state.me && state.me.intents && state.me.intents[id];
    /* The session names an intent in Russian (the reply set's title.ru); the English
     * page shows an English title when the session brings one, else the intent's id. */
    if (lang === 'en') return (i && i.title_en) || id;
    return i && i.title ? i.title : id;
  }
  function categoryTitle(id) { return CATEGORY_TEXT[id] ? tr(CATEGORY_TEXT[id]) : id; }
  function isTyping(t) {
    return t && (t.tagName === 'INPUT' || t.tagName === 'TEXTAREA' || t.tagName === 'SELECT' || t.isContentEditable);
  }

  /* ---------- API ---------- */
  async function api(method, path, body) {
    const headers = {};
    const opts = { method, headers, credentials: 'same-origin' };
    if (method !== 'GET') {
      headers['Content-Type'] = 'application/json';
      if (state.me) headers['X-CSRF-Token'] = state.me.csrf;
      opts.body = JSON.stringify(body || {});
    }
    let r;
    try {
      r = await fetch(path, opts);
    } catch (e) {
      return { status: 0, ok: false, data: { error: tr('нет связи с сервером') } };
    }
    let data = null;
    try { data = await r.json(); } catch (e) { data = null; }
    if (data && typeof data.server_now === 'number') skewS = data.server_now - Date.now() / 1000;
    if (r.status === 401 && path !== '/api/login') {
      showLogin(tr('Сессия закончилась, войдите снова.'));
    }
    return { status: r.status, ok: r.ok, data: data || {} };
  }

  /* ---------- notices: sound and title ---------- */
  let audioCtx = null;
  function beep() {
    if (!state.prefs.sound) return;
    try {
      audioCtx = audioCtx || new (window.AudioContext || window.webkitAudioContext)();
      const o = audioCtx.createOscillator();
      const g = audioCtx.createGain();
      o.type = 'sine';
      o.frequency.value = 880;
      g.gain.value = 0.08;
      o.connect(g);
      g.connect(audioCtx.destination);
      o.start();
      o.stop(audioCtx.currentTime + 0.15);
    } catch (e) { /* no audio: the title notice remains */ }
  }
  function notice() {
    state.notices++;
    beep();
    updateTitle();
  }
  function updateTitle() {
    const base = tr('deskbot — консоль');
    document.title = state.prefs.title && state.notices > 0 ? '(' + state.notices + ') ' + base : base;
  }
  function seenAll() {
    state.notices = 0;
    updateTitle();
  }
  window.addEventListener('focus', seenAll);
  document.addEventListener('visibilitychange', () => { if (!document.hidden) seenAll(); });

  function loadPrefs() {
    try {
      const p = JSON.parse(localStorage.getItem('deskbot.prefs') || '{}');
      if (typeof p.sound === 'boolean') state.prefs.sound = p.sound;
      if (typeof p.title === 'boolean') state.prefs.title = p.title;
    } catch (e) { /* defaults */ }
    $('sound-toggle').checked = state.prefs.sound;
    $('title-toggle').checked = state.prefs.title;
  }
  function savePrefs() {
    try { localStorage.setItem('deskbot.prefs', JSON.stringify(state.prefs)); } catch (e) { /* ignore */ }
  }
  $('sound-toggle').addEventListener('change', (e) => { state.prefs.sound = e.target.checked; savePrefs(); });
  $('title-toggle').addEventListener('change', (e) => { state.prefs.title = e.target.checked; savePrefs(); updateTitle(); });

  /* What the secretary has read, per login: a case is unread while its customer's last
   * line is newer than what was on screen when it was last open. */
  function seenKey() { return 'deskbot.seen.' + (state.me ? state.me.login : ''); }
  function loadSeen() {
    try { state.seen = JSON.parse(localStorage.getItem(seenKey()) || '{}') || {}; } catch (e) { state.seen = {}; }
  }
  function markSeen(c) {
    if (!c) return;
    state.unseen.delete(c.id);
    state.seen[c.id] = Math.max(state.seen[c.id] || 0, c.last_at || 0, c.updated_at || 0);
    try { localStorage.setItem(seenKey(), JSON.stringify(state.seen)); } catch (e) { /* ignore */ }
  }
  function isUnread(c) {
    if (state.unseen.has(c.id)) return true;
    return c.last_from === 'customer' && OPEN.includes(c.status) && (c.last_at || 0) > (state.seen[c.id] || 0);
  }

  function showAlert(text, caseId) {
    const box = el('div', { cls: 'alert', data: { caseId: caseId || '' } });
    box.appendChild(el('span', { text }));
    if (caseId) {
      const open = el('button', { text: 'Открыть' });
      open.type = 'button';
      open.addEventListener('click', () => { location.hash = '#/case/' + caseId; box.remove(); });
      box.appendChild(open);
    }
    const x = el('button', { text: '×', title: 'Скрыть' });
    x.type = 'button';
    x.addEventListener('click', () => box.remove());
    box.appendChild(x);
    $('alerts').appendChild(box);
    while ($('alerts').children.length > 5) $('alerts').removeChild($('alerts').firstChild);
  }

  /* ---------- login ---------- */
  function showLogin(msg) {
    state.me = null;
    if (state.ws) { try { state.ws.close(); } catch (e) { /* ignore */ } state.ws = null; }
    $('app-view').hidden = true;
    $('login-view').hidden = false;
    $('login-error').textContent = msg || '';
    $('login').focus();
  }

  $('login-form').addEventListener('submit', async (ev) => {
    ev.preventDefault();
    $('login-error').textContent = '';
    $('login-btn').disabled = true;
    try {
      const r = await api('POST', '/api/login', { login: $('login').value, password: $('password').value });
      $('password').value = '';
      if (r.status === 200) {
        await start();
      } else if (r.status === 429) {
        $('login-error').textContent = tr('Слишком много неудачных попыток. Повторите через {n} с.', { n: r.data.retry_after_s || 1 });
      } else {
        $('login-error').textContent = tr('Неверный логин или пароль.');
      }
    } finally {
      $('login-btn').disabled = false;
    }
  });

  $('logout-btn').addEventListener('click', async () => {
    await api('POST', '/api/logout', {});
    showLogin(tr('Вы вышли.'));
  });

  /* ---------- start ---------- */
  async function start() {
    const r = await api('GET', '/api/session');
    if (r.data && r.data.language) setLang(r.data.language);
    if (r.status !== 200) { showLogin(''); return; }
    state.me = r.data;
    $('login-view').hidden = true;
    $('app-view').hidden = false;
    $('me').textContent = state.me.login + ' (' + tr(state.me.role === 'admin' ? 'админ' : 'оператор') + ')';
    $('nav-admin').hidden = state.me.role !== 'admin';
    $('nav-reports').hidden = state.me.role !== 'admin';
    $('nav-ideas').hidden = state.me.role !== 'admin';
    $('nav-misses').hidden = state.me.role !== 'admin';
    const pageIds = (state.me.pages || []).map((p) => p.id).filter((id) => !(state.me.channels || []).includes(id));
    fillSelect($('f-channel'), (state.me.channels || []).concat(pageIds), (c) => channelText(c));
    fillSelect($('f-category'), state.me.categories || [], categoryTitle);
    fillSelect($('f-assignee'), state.me.operators || [], nameOf);
    loadSeen();
    connect();
    await Promise.all([loadQueue(), loadViews()]);
    route();
  }

  function fillSelect(sel, values, label) {
    while (sel.options.length > 1) sel.remove(1);
    for (const v of values) {
      const o = document.createElement('option');
      o.value = v;
      o.textContent = label(v);
      sel.appendChild(o);
    }
  }

  /* ---------- live updates ---------- */
  function setLive(on) {
    $('live-status').className = 'live ' + (on ? 'on' : 'off');
    $('live-status').title = tr(on ? 'Живые обновления подключены' : 'Нет связи, переподключаюсь…');
    document.body.dataset.live = on ? 'on' : 'off';
  }

  function connect() {
    if (!state.me) return;
    const proto = location.protocol === 'https:' ? 'wss:' : 'ws:';
    const ws = new WebSocket(proto + '//' + location.host + '/ws');
    state.ws = ws;
    ws.addEventListener('open', () => {
      state.wsRetry = 0;
      ws.send(JSON.stringify({ type: 'hello' }));
    });
    /* An open console keeps its session alive while the secretary only watches. */
    const ping = setInterval(() => {
      if (ws.readyState === WebSocket.OPEN) ws.send(JSON.stringify({ type: 'ping' }));
      else if (ws.readyState === WebSocket.CLOSED) clearInterval(ping);
    }, 60000);
    ws.addEventListener('message', (ev) => {
      let m;
      try { m = JSON.parse(ev.data); } catch (e) { return; }
      onLive(m);
    });
    ws.addEventListener('close', () => {
      setLive(false);
      if (state.ws !== ws || !state.me) return;
      state.ws = null;
      const delay = Math.min(10000, 500 * Math.pow(2, state.wsRetry++));
      setTimeout(async () => {
        if (!state.me) return;
        const r = await api('GET', '/api/session');
        if (r.status === 200) { connect(); loadQueue(); }
      }, delay);
    });
  }

  function onLive(m) {
    switch (m.type) {
      case 'hello':
        setLive(true);
        break;
      case 'session_expired':
        showLogin(tr('Сессия закончилась, войдите снова.'));
        break;
      case 'case_created':
        if (m.case) upsert(m.case, true);
        notice();
        break;
      case 'case_updated':
        if (m.case) upsert(m.case, false);
        if (m.case_id === state.current) scheduleCaseReload();
        break;
      case 'case_file':
        if (m.case_id === state.current) scheduleCaseReload();
        break;
      case 'customer_message':
        if (m.case) upsert(m.case, true);
        if (m.case_id === state.current) scheduleCaseReload();
        notice();
        break;
      case 'operator_message':
      case 'bot_message':
        if (m.case) upsert(m.case, false);
        if (m.case_id === state.current) scheduleCaseReload();
        break;
      case 'alert':
        if (m.case) upsert(m.case, false);
        showAlert(m.text || tr('Внимание'), m.case_id);
        notice();
        break;
      default:
        break;
    }
  }

  /* ---------- the list: filters, search, saved views ---------- */
  const FILTER_IDS = { status: 'f-status', channel: 'f-channel', category: 'f-category', severity: 'f-severity', flag: 'f-flag', assignee: 'f-assignee', from: 'f-from', to: 'f-to', q: 'q' };

  function filters() {
    const f = {};
    for (const k of Object.keys(FILTER_IDS)) f[k] = $(FILTER_IDS[k]).value.trim();
    return f;
  }
  function setFilters(f) {
    for (const k of Object.keys(FILTER_IDS)) $(FILTER_IDS[k]).value = (f && f[k]) || (k === 'status' ? 'open' : '');
  }
  /* A date input's day as unix seconds at the browser's local midnight. */
  function dayStart(value, plusDays) {
    if (!/^\d{4}-\d{2}-\d{2}$/.test(value)) return null;
    const d = new Date(value + 'T00:00:00');
    d.setDate(d.getDate() + (plusDays || 0));
    return Math.floor(d.getTime() / 1000);
  }
  function passes(c, f) {
    if (f.status === 'open' && !OPEN.includes(c.status)) return false;
    if (!['open', 'all'].includes(f.status) && c.status !== f.status) return false;
    if (f.channel && c.channel !== f.channel) return false;
    if (f.category && c.category !== f.category) return false;
    if (f.severity && c.severity !== f.severity) return false;
    if (f.flag && !(c.flags && c.flags[f.flag] === true)) return false;
    if (f.assignee && c.assignee !== f.assignee) return false;
    const from = dayStart(f.from, 0), to = dayStart(f.to, 1);
    if (from !== null && c.created_at < from) return false;
    if (to !== null && c.created_at >= to) return false;
    /* A search's matches are the server's to decide: live news only refresh them. */
    if (f.q && !state.cases.has(c.id)) return false;
    return true;
  }
  function showFilterCount(f) {
    const n = ['channel', 'category', 'severity', 'flag', 'assignee', 'from', 'to'].filter((k) => f[k]).length + (f.status !== 'open' ? 1 : 0);
    $('filters-on').textContent = n ? '(' + n + ')' : '';
  }

  let queueSeq = 0;
  async function loadQueue() {
    const f = filters();
    showFilterCount(f);
    const q = new URLSearchParams();
    q.set('status', f.status || 'open');
    for (const k of ['channel', 'category', 'severity', 'flag', 'assignee', 'q']) if (f[k]) q.set(k, f[k]);
    const from = dayStart(f.from, 0), to = dayStart(f.to, 1);
    if (from !== null) q.set('from', String(from));
    if (to !== null) q.set('to', String(to));
    const seq = ++queueSeq;
    const r = await api('GET', '/api/cases?' + q.toString());
    if (seq !== queueSeq) return; /* a newer query is on its way */
    if (r.status !== 200) {
      $('queue-count').textContent = r.data.error || tr('Не удалось загрузить список.');
      return;
    }
    state.cases.clear();
    for (const c of r.data.cases || []) state.cases.set(c.id, c);
    state.indexing = !!r.data.indexing;
    document.body.dataset.query = f.q;
    renderQueue();
  }
  for (const id of ['f-status', 'f-channel', 'f-category', 'f-severity', 'f-flag', 'f-assignee', 'f-from', 'f-to']) {
    $(id).addEventListener('change', () => { $('views').value = ''; $('view-delete').disabled = true; loadQueue(); });
  }
  $('q').addEventListener('input', () => {
    clearTimeout(state.searchTimer);
    state.searchTimer = setTimeout(loadQueue, 250);
  });
  $('q').addEventListener('keydown', (e) => {
    if (e.key === 'Enter') { clearTimeout(state.searchTimer); loadQueue(); }
    if (e.key === 'ArrowDown' && state.order.length) { e.preventDefault(); openNth(0); }
  });
  $('f-reset').addEventListener('click', () => { setFilters({}); $('views').value = ''; loadQueue(); });

  async function loadViews() {
    const r = await api('GET', '/api/views');
    if (r.status === 200) state.views = r.data.views || [];
    renderViews();
  }
  function renderViews(selected) {
    const sel = $('views');
    while (sel.options.length > 1) sel.remove(1);
    for (const v of state.views) {
      const o = document.createElement('option');
      o.value = v.name;
      o.textContent = v.name;
      sel.appendChild(o);
    }
    sel.value = selected || '';
    $('view-delete').disabled = !sel.value;
  }
  $('views').addEventListener('change', () => {
    const v = state.views.find((x) => x.name === $('views').value);
    setFilters(v ? v.filter : {});
    $('view-delete').disabled = !v;
    loadQueue();
  });
  $('view-save').addEventListener('click', () => {
    $('view-form').hidden = false;
    $('view-name').value = $('views').value || '';
    $('view-name').focus();
  });
  $('view-cancel').addEventListener('click', () => { $('view-form').hidden = true; });
  $('view-form').addEventListener('submit', async (ev) => {
    ev.preventDefault();
    const name = $('view-name').value.trim();
    if (!name) return;
    const f = filters();
    const filter = {};
    for (const k of Object.keys(f)) if (f[k]) filter[k] = f[k];
    const r = await api('POST', '/api/views', { name, filter });
    if (r.status !== 200) { $('queue-count').textContent = r.data.error || tr('Вид не сохранён.'); return; }
    state.views = r.data.views || [];
    $('view-form').hidden = true;
    renderViews(name);
  });
  $('view-delete').addEventListener('click', async () => {
    const name = $('views').value;
    if (!name) return;
    const r = await api('POST', '/api/views/delete', { name });
    if (r.status === 200) state.views = r.data.views || [];
    renderViews();
  });

  function upsert(c, news) {
    const fresh = !state.cases.has(c.id);
    if (passes(c, filters())) state.cases.set(c.id, c);
    else state.cases.delete(c.id);
    if (news && c.id !== state.current) state.unseen.add(c.id);
    if (c.id === state.current) markSeen(c);
    renderQueue(fresh ? c.id : null);
  }

  function sorted() {
    return Array.from(state.cases.values()).sort((a, b) =>
      (SEVERITY_RANK[a.severity] ?? 2) - (SEVERITY_RANK[b.severity] ?? 2) ||
      (b.created_at - a.created_at) || (b.id - a.id));
  }

  /* How long the customer has waited (since their last line, when it is theirs) and
   * what is left of the SLA. */
  function timing(c) {
    const open = OPEN.includes(c.status);
    const out = { wait: null, sla: null, cls: 'sla-ok' };
    if (!open) return out;
    const since = c.last_from === 'customer' && c.last_at ? c.last_at : c.created_at;
    if (since) out.wait = now() - since;
    if (c.sla_due_at) {
      const left = c.sla_due_at - now();
      out.sla = left;
      out.cls = left < 0 ? 'sla-over' : left < 900 ? 'sla-soon' : 'sla-ok';
    }
    return out;
  }

  function flagBadges(flags) {
    const frag = document.createDocumentFragment();
    for (const k of Object.keys(flags || {})) {
      if (flags[k] === true) frag.appendChild(el('span', { cls: 'badge flag flag-' + k, text: tr(FLAG_TEXT[k] || k), data: { flag: k } }));
    }
    return frag;
  }

  function topicOf(c) {
    const parts = [];
    if (c.intent) parts.push(intentTitle(c.intent));
    if (c.category && (!c.intent || categoryTitle(c.category) !== intentTitle(c.intent))) parts.push(categoryTitle(c.category));
    return parts.join(' · ') || tr('Без темы');
  }

  function convItem(c, freshId) {
    const li = el('li', { cls: 'conv', data: { caseId: c.id, status: c.status || '' } });
    li.tabIndex = c.id === state.current ? 0 : -1;
    if (isUnread(c)) { li.classList.add('unseen'); li.dataset.unread = '1'; }
    if (c.id === freshId) li.classList.add('fresh');
    if (c.id === state.current) { li.classList.add('active'); li.setAttribute('aria-current', 'true'); }
    const t = timing(c);
    const top = el('div', { cls: 'conv-top' });
    top.appendChild(el('span', { cls: 'dot', title: 'Непрочитанное' }));
    top.appendChild(el('span', { cls: 'who', text: c.display_name || tr('Клиент'), data: { customer: 'name' } }));
    top.appendChild(badge(channelText(c.channel, c.page) || '?', 'ch'));
    if (t.wait !== null) top.appendChild(el('span', { cls: 'wait ' + (c.last_from === 'customer' ? 'waiting' : ''), text: fmtDur(t.wait), title: tr(c.last_from === 'customer' ? 'Клиент ждёт ответа' : 'С момента создания') }));
    li.appendChild(top);
    li.appendChild(el('div', { cls: 'conv-topic', text: '№ ' + (c.number || c.id) + ' · ' + topicOf(c) }));
    li.appendChild(el('div', { cls: 'conv-last', text: c.last_text || c.summary || '', data: { customer: 'text' } }));
    const b = el('div', { cls: 'conv-badges' });
    b.appendChild(badge(tr(SEVERITY_TEXT[c.severity] || c.severity || '—'), 'sev-' + (c.severity || 'normal')));
    b.appendChild(flagBadges(c.flags));
    b.appendChild(badge(tr(STATUS_TEXT[c.status] || c.status || '?'), 'st-' + c.status));
    if (c.assignee) b.appendChild(el('span', { cls: 'assignee', text: nameOf(c.assignee) }));
    if (t.sla !== null) {
      b.appendChild(el('span', {
        cls: 'sla ' + t.cls,
        text: t.sla < 0 ? tr('SLA просрочен на {t}', { t: fmtDur(-t.sla) }) : 'SLA: ' + fmtDur(t.sla),
        title: tr('Создано {at}, срок {due}', { at: fmtTime(c.created_at), due: fmtTime(c.sla_due_at) })
      }));
    }
    li.appendChild(b);
    li.addEventListener('click', () => { location.hash = '#/case/' + c.id; });
    li.addEventListener('keydown', (e) => {
      const next = e.key === 'ArrowDown' ? li.nextElementSibling : e.key === 'ArrowUp' ? li.previousElementSibling : null;
      if (e.key === 'Enter' || e.key === ' ') { e.preventDefault(); e.stopPropagation(); location.hash = '#/case/' + c.id; }
      else if (next) { e.preventDefault(); li.tabIndex = -1; next.tabIndex = 0; next.focus(); }
    });
    return li;
  }

  function renderQueue(freshId) {
    const body = $('queue-body');
    const focused = body.contains(document.activeElement) ? document.activeElement.dataset.caseId : null;
    clear(body);
    const list = sorted();
    state.order = list.map((c) => c.id);
    for (const c of list) body.appendChild(convItem(c, freshId));
    /* One Tab stop for the list (the open case, else the first); arrows move within it. */
    const stop = body.querySelector('li[tabindex="0"]') || body.firstElementChild;
    if (stop) stop.tabIndex = 0;
    const again = focused && body.querySelector('li[data-case-id="' + focused + '"]');
    if (again) again.focus();
    const f = filters();
    $('queue-empty').hidden = list.length > 0;
    $('queue-empty').textContent = tr(f.q ? 'Ничего не нашлось.' : 'Обращений нет.');
    const unread = list.filter(isUnread).length;
    $('queue-count').textContent = (list.length
      ? tr(f.q ? 'Найдено: {n}' : 'Обращений: {n}', { n: list.length }) + (unread ? tr(', непрочитанных: {n}', { n: unread }) : '')
      : '') + (f.q && state.indexing ? tr(' (старые переписки ещё индексируются — повторите поиск позже)') : '');
  }
  setInterval(() => { if (!$('queue-pane').hidden) renderQueue(); }, 30000);

  function openNth(i) {
    if (!state.order.length) return;
    const n = Math.max(0, Math.min(state.order.length - 1, i));
    location.hash = '#/case/' + state.order[n];
  }
  function step(delta) {
    const i = state.order.indexOf(state.current);
    openNth(i < 0 ? 0 : i + delta);
  }

  /* ---------- the conversation and the case card ---------- */
  function scheduleCaseReload() {
    if (state.reloadTimer) return;
    state.reloadTimer = setTimeout(() => { state.reloadTimer = null; if (state.current) loadCase(state.current, false); }, 150);
  }

  async function openCase(id) {
    if (state.current === id && state.currentCase && state.currentCase.case.id === id) return;
    state.current = id;
    $('case-error').textContent = '';
    $('reply-error').textContent = '';
    $('reply-text').value = '';
    delete $('reply-text').dataset.template;
    $('tpl-search').value = '';
    state.files = [];
    renderFilePick();
    closeSlash();
    renderQueue();
    await loadCase(id, true);
  }

  async function loadCase(id, withTemplates) {
    const r = await api('GET', '/api/cases/' + id);
    if (state.current !== id) return;
    if (r.status !== 200) {
      $('case-none').hidden = false;
      $('case-body').hidden = true;
      $('side-body').hidden = true;
      $('case-none').firstElementChild.textContent = r.status === 404 ? tr('Нет такого обращения.') : (r.data.error || tr('Ошибка'));
      return;
    }
    state.currentCase = r.data;
    renderCase(r.data);
    markSeen(Object.assign({}, r.data.case, { last_at: Math.max(0, ...(r.data.case.transcript || []).map((m) => m.at || 0)) }));
    renderQueue();
    if (withTemplates) {
      const t = await api('GET', '/api/cases/' + id + '/templates');
      if (t.status === 200 && state.current === id) {
        state.templates = t.data.templates || [];
        renderTemplates();
        state.files = t.data.can_send_files && Array.isArray(t.data.files) ? t.data.files : [];
        renderFilePick();
      }
    }
  }

  /* The approved files (replies/files.json) the composer may attach, when the case's
   * channel can send files; the server accepts these ids only. */
  function fileTitle(f) { return lang === 'en' && f.title_en ? f.title_en : f.title; }
  function renderFilePick() {
    const sel = $('file-pick');
    const files = state.files || [];
    while (sel.options.length > 1) sel.remove(1);
    for (const f of files) {
      const o = el('option', { text: fileTitle(f) + ' (' + tr(FILE_KIND[f.kind] || FILE_KIND.document) + ', ' + f.name + ')' });
      o.value = f.id;
      sel.appendChild(o);
    }
    sel.value = '';
    $('file-pick-label').hidden = files.length === 0;
  }

  function field(dl, name, value, node) {
    dl.appendChild(el('dt', { text: name }));
    const dd = el('dd', node ? null : { text: value === undefined || value === null || value === '' ? '—' : value });
    if (node) dd.appendChild(node);
    dl.appendChild(dd);
    return dd;
  }

  function renderActions(c, mode) {
    const me = state.me ? state.me.login : '';
    const mine = !!c.assignee && c.assignee === me;
    const colleague = !!c.assignee && !mine;
    const admin = state.me && state.me.role === 'admin';
    const open = OPEN.includes(c.status);
    /* A colleague's case cannot be claimed; it can be handed over, or taken over. */
    $('claim-btn').disabled = !open || !!c.assignee;
    $('claim-btn').title = colleague ? tr('Обращение в работе у {name}', { name: nameOf(c.assignee) }) : tr(mine ? 'Обращение уже у вас' : 'Взять в работу (c)');
    $('takeover-btn').hidden = !(admin && colleague && open);
    const canHand = open && (mine || admin);
    $('assign-to').parentNode.hidden = !canHand;
    const sel = $('assign-to');
    const chosen = sel.value; /* a live update re-renders: keep what was picked */
    clear(sel);
    sel.appendChild(el('option', { text: 'Передать коллеге…' })).value = '';
    for (const op of (state.me && state.me.operators) || []) {
      if (op === c.assignee) continue;
      const o = el('option', { text: op === me ? tr('{name} (себе)', { name: nameOf(op) }) : nameOf(op) });
      o.value = op;
      sel.appendChild(o);
    }
    sel.value = Array.from(sel.options).some((o) => o.value === chosen) ? chosen : '';
    $('assign-btn').disabled = !sel.value;
    $('release-btn').disabled = !open || !c.assignee || !(mine || admin);
    $('handback-btn').disabled = !(mine || admin) || mode !== 'human';
    $('status-btn').disabled = !open || !(mine || admin);
    $('close-btn').disabled = c.status === 'closed' || !(mine || admin);
    $('send-btn').disabled = !open || !mine;
    $('file-pick').disabled = !open || !mine;
    $('reply-hint').textContent = !open ? tr('Обращение закрыто.') : mine ? '' : colleague ? tr('Обращение в работе у {name}', { name: nameOf(c.assignee) }) + '.' : tr('Чтобы ответить, возьмите обращение в работу.');
  }
  $('assign-to').addEventListener('change', () => { $('assign-btn').disabled = !$('assign-to').value; });

  /* A file the customer sent, served by deskbot itself (/api/files/N): a preview for
   * photos and stickers, a player for voice messages, a link for documents. */
  const FILE_KIND = { photo: 'Фото', sticker: 'Стикер', voice: 'Голосовое сообщение', document: 'Документ' };
  function renderFile(f) {
    const kind = FILE_KIND[f.kind] ? f.kind : 'document';
    const label = tr(FILE_KIND[kind]) + (f.name ? ': ' + f.name : '');
    const box = el('div', { cls: 'file file-' + kind, data: { fileId: f.id, state: f.state } });
    const id = parseInt(f.id, 10);
    if (f.state === 'pending' || !(id > 0)) {
      box.appendChild(el('span', { cls: 'file-note', text: tr('{file} — загружается…', { file: label }) }));
      return box;
    }
    if (f.state !== 'ok') {
      box.appendChild(el('span', { cls: 'file-note', text: tr('{file} — не удалось получить', { file: label }), title: f.error || '' }));
      return box;
    }
    const url = '/api/files/' + id;
    const link = el('a', { cls: 'file-link' });
    link.href = url;
    link.target = '_blank';
    link.rel = 'noopener';
    if (kind === 'photo' || kind === 'sticker') {
      const img = el('img', { cls: 'file-preview' });
      img.src = url;
      img.alt = label;
      img.loading = 'lazy';
      link.appendChild(img);
      box.appendChild(link);
    } else if (kind === 'voice') {
      const audio = el('audio', { cls: 'file-audio' });
      audio.controls = true;
      audio.preload = 'none';
      audio.src = url;
      audio.setAttribute('aria-label', label);
      box.appendChild(audio);
      link.textContent = tr('Скачать');
      box.appendChild(link);
    } else {
      link.textContent = label;
      link.download = f.name || ('file-' + id);
      box.appendChild(link);
    }
    /* A file a secretary sent that the channel refused for good. */
    if (f.error) box.appendChild(el('span', { cls: 'file-note file-failed', text: tr('не доставлено клиенту: {why}', { why: f.error }) }));
    return box;
  }

  function renderTranscript(c) {
    const pane = $('transcript');
    const atBottom = pane.scrollHeight - pane.scrollTop - pane.clientHeight < 40;
    clear(pane);
    let day = '';
    for (const m of c.transcript || []) {
      const d = m.at ? new Date(m.at * 1000).toLocaleDateString(locale(), { day: 'numeric', month: 'long' }) : '';
      if (d && d !== day) { pane.appendChild(el('div', { cls: 'day', text: d })); day = d; }
      const from = ['customer', 'bot', 'operator'].includes(m.from) ? m.from : 'bot';
      const name = from === 'customer' ? (c.display_name || tr('клиент')) : from === 'bot' ? tr('бот') : (m.operator || tr('сотрудник'));
      const box = el('div', { cls: 'msg msg-' + from, data: { from } });
      box.appendChild(el('span', { cls: 'meta', text: name + ' · ' + fmtClock(m.at) }));
      box.appendChild(el('span', { cls: 'text', text: m.text || '' }));
      for (const f of Array.isArray(m.files) ? m.files : []) box.appendChild(renderFile(f));
      pane.appendChild(box);
    }
    if (atBottom || pane.dataset.caseId !== String(c.id)) pane.scrollTop = pane.scrollHeight;
    pane.dataset.caseId = String(c.id);
  }

  function renderCard(c) {
    const dl = $('case-fields');
    clear(dl);
    field(dl, 'Тема', c.intent ? intentTitle(c.intent) : '');
    field(dl, 'Категория', c.category ? categoryTitle(c.category) : '');
    field(dl, 'Важность', tr(SEVERITY_TEXT[c.severity] || c.severity || ''));
    const fl = el('span');
    fl.appendChild(flagBadges(c.flags));
    field(dl, 'Признаки', null, fl.childNodes.length ? fl : el('span', { text: '—' }));
    /* What the customer wrote (or the bot took from it) stays as it came. */
    field(dl, 'Суть', c.summary).dataset.customer = 'text';
    field(dl, 'Описание', c.description).dataset.customer = 'text';
    field(dl, 'Клиент', c.display_name).dataset.customer = 'name';
    if (c.profile_link && /^https?:\/\//i.test(c.profile_link)) {
      const a = el('a', { text: c.profile_link });
      a.href = c.profile_link;
      a.rel = 'noopener noreferrer';
      a.target = '_blank';
      field(dl, 'Профиль', null, a);
    } else {
      field(dl, 'Профиль', c.profile_link);
    }
    field(dl, 'Подписчики', c.followers === undefined || c.followers === null || c.followers < 0 ? '—' : c.followers);
    field(dl, 'Телефон', c.phone).dataset.customer = 'text';
    field(dl, 'Лицевой счёт', c.account).dataset.customer = 'text';
    field(dl, 'Место', c.location).dataset.customer = 'text';
    field(dl, 'Не сообщил', (c.not_given || []).map((x) => tr(NOT_GIVEN_TEXT[x] || x)).join(', '));
    field(dl, 'Канал', channelText(c.channel, c.page));
    field(dl, 'Создано', fmtTime(c.created_at));
    field(dl, 'Срок (SLA)', fmtTime(c.sla_due_at));
    field(dl, 'Исполнитель', c.assignee);
    field(dl, 'Итог', c.resolution);
    if (c.rating && c.rating.score) field(dl, 'Оценка клиента', tr('{n} из 5', { n: c.rating.score }));
    field(dl, 'Чат / пользователь', (c.peer_id || '—') + ' / ' + (c.user_id || '—'));
    field(dl, 'Версия ответов', c.replyset_version);
  }

  function renderCustomer(c, customer) {
    const list = (customer && customer.cases) || [];
    const channels = new Set([c.channel]);
    for (const x of list) channels.add(x.channel);
    $('cust-channels').textContent = tr('Каналы: {channels} · обращений раньше: {n}',
      { channels: Array.from(channels).map((x) => channelText(x)).join(', '), n: list.length });
    const ul = $('cust-cases');
    clear(ul);
    for (const x of list) {
      const li = el('li', { data: { caseId: x.id } });
      const a = el('a', { text: '№ ' + (x.number || x.id) });
      a.href = '#/case/' + x.id;
      li.appendChild(a);
      li.appendChild(el('span', { text: ' · ' + fmtTime(x.created_at) + ' · ' + topicOf(x) + ' · ' }));
      li.appendChild(badge(tr(STATUS_TEXT[x.status] || x.status), 'st-' + x.status));
      if (x.resolution) li.appendChild(el('div', { cls: 'small', text: tr('Итог: {text}', { text: x.resolution }) }));
      for (const n of (x.notes || []).slice(-3)) li.appendChild(el('div', { cls: 'small muted', text: who(n.author) + ': ' + (n.text || '') }));
      ul.appendChild(li);
    }
    if (!list.length) ul.appendChild(el('li', { cls: 'muted', text: 'Раньше не обращался.' }));
  }

  function auditLine(a) {
    let detail = a.detail || '';
    if (a.action === 'status') detail = tr(STATUS_TEXT[detail] || detail);
    return fmtTime(a.at) + ' ' + who(a.actor) + ': ' + tr(ACTION_TEXT[a.action] || a.action) + (detail ? ' — ' + detail : '');
  }

  function renderCase(data) {
    const c = data.case;
    $('case-none').hidden = true;
    $('case-body').hidden = false;
    $('side-body').hidden = false;
    $('case-pane').dataset.caseId = c.id;
    $('case-pane').dataset.status = c.status || '';
    $('case-title').textContent = (c.display_name || tr('Клиент')) + ' · № ' + (c.number || c.id);
    $('case-status').textContent = tr(STATUS_TEXT[c.status] || c.status || '');
    $('case-status').className = 'badge st-' + c.status;
    $('case-assignee').textContent = c.assignee ? tr('исполнитель: {name}', { name: nameOf(c.assignee) }) : tr('не назначено');
    const mode = (data.conversation && data.conversation.mode) || 'bot';
    $('case-mode').textContent = tr(mode === 'human' ? 'отвечает человек' : 'отвечает бот');
    $('case-mode').className = 'badge mode-' + mode;
    $('case-mode').dataset.mode = mode;
    renderActions(c, mode);
    renderTranscript(c);
    renderCard(c);
    renderCustomer(c, data.customer);

    const notes = $('notes');
    clear(notes);
    for (const n of c.notes || []) notes.appendChild(el('li', { text: fmtTime(n.at) + ' ' + who(n.author) + ': ' + (n.text || '') }));
    if (!(c.notes || []).length) notes.appendChild(el('li', { cls: 'muted', text: 'Заметок нет.' }));
    const hist = $('history');
    clear(hist);
    for (const h of c.history || []) hist.appendChild(el('li', { text: fmtTime(h.at) + ' — ' + tr(STATUS_TEXT[h.status] || h.status) + (h.by ? ' (' + who(h.by) + ')' : '') }));
    const audit = $('audit');
    clear(audit);
    for (const a of data.audit || []) audit.appendChild(el('li', { text: auditLine(a) }));
  }

  /* ---------- templates: the list and the "/" menu ---------- */
  function templateMatches(q) {
    q = q.toLowerCase();
    const list = state.templates.filter((t) => !q || t.id.toLowerCase().includes(q) || t.filled.toLowerCase().includes(q));
    /* Suggested ones first, then those whose id starts with the letters. */
    return list.sort((a, b) => (b.suggested ? 1 : 0) - (a.suggested ? 1 : 0) ||
      (b.id.toLowerCase().startsWith(q) ? 1 : 0) - (a.id.toLowerCase().startsWith(q) ? 1 : 0));
  }

  function renderTemplates() {
    const ul = $('tpl-list');
    clear(ul);
    for (const t of templateMatches($('tpl-search').value.trim())) {
      const li = el('li', { data: { template: t.id } });
      if (t.suggested) li.classList.add('suggested');
      li.appendChild(el('span', { cls: 'tpl-id', text: t.id }));
      li.appendChild(el('span', { cls: 'tpl-text', text: t.filled }));
      li.addEventListener('click', () => insertTemplate(t, null));
      ul.appendChild(li);
    }
  }
  $('tpl-search').addEventListener('input', renderTemplates);

  /* Puts a template's filled text in the reply: in place of "/letters" when typed, else
   * as the whole reply. The first placeholder left (such as {reason}) is selected, so
   * that typing fills it. */
  function insertTemplate(t, slash) {
    const ta = $('reply-text');
    if (slash) {
      const end = ta.selectionStart;
      ta.value = ta.value.slice(0, slash.start) + t.filled + ta.value.slice(end);
    } else {
      ta.value = t.filled;
    }
    ta.dataset.template = t.id;
    closeSlash();
    ta.focus();
    const m = /\{[a-z_]+\}/.exec(ta.value);
    if (m) ta.setSelectionRange(m.index, m.index + m[0].length);
    else ta.setSelectionRange(ta.value.length, ta.value.length);
    markPlaceholders();
  }

  /* "/" at the start of the reply or after a space, then letters: the template menu. */
  function slashQuery() {
    const ta = $('reply-text');
    const before = ta.value.slice(0, ta.selectionStart);
    const m = /(^|\s)\/([^\s/]*)$/.exec(before);
    return m ? { start: before.length - m[2].length - 1, q: m[2] } : null;
  }
  function updateSlash() {
    const sq = slashQuery();
    if (!sq || !state.templates.length) { closeSlash(); return; }
    const items = templateMatches(sq.q).slice(0, 8);
    state.slash = { start: sq.start, items, index: 0 };
    renderSlash();
  }
  function renderSlash() {
    const ul = $('slash-menu');
    clear(ul);
    const s = state.slash;
    if (!s) { ul.hidden = true; return; }
    if (!s.items.length) ul.appendChild(el('li', { cls: 'muted', text: 'Нет такого шаблона' }));
    s.items.forEach((t, i) => {
      const li = el('li', { data: { template: t.id } });
      li.setAttribute('role', 'option');
      if (i === s.index) { li.classList.add('sel'); li.setAttribute('aria-selected', 'true'); }
      li.appendChild(el('span', { cls: 'tpl-id', text: t.id }));
      li.appendChild(el('span', { cls: 'tpl-text', text: t.filled }));
      /* mousedown, not click: the textarea keeps its caret. */
      li.addEventListener('mousedown', (e) => { e.preventDefault(); insertTemplate(t, state.slash); });
      ul.appendChild(li);
    });
    ul.hidden = false;
  }
  function closeSlash() {
    state.slash = null;
    $('slash-menu').hidden = true;
  }

  function markPlaceholders() {
    const m = $('reply-text').value.match(/\{[a-z_]+\}/);
    $('reply-error').textContent = m ? tr('Заполните {p} перед отправкой.', { p: m[0] }) : '';
    return !m;
  }
  /* The customer sees "печатает…": at most one notice per case every 4 s (the server
   * throttles too); only the holder's typing counts, as only the holder may reply. */
  const TYPING_EVERY_MS = 4000;
  const typingSent = {};
  function noticeTyping() {
    const id = state.current;
    const c = state.currentCase && state.currentCase.case;
    if (!id || !c || !state.me || c.assignee !== state.me.login || !$('reply-text').value) return;
    const now = Date.now();
    if (typingSent[id] && now - typingSent[id] < TYPING_EVERY_MS) return;
    typingSent[id] = now;
    api('POST', '/api/cases/' + id + '/typing', {});
  }
  $('reply-text').addEventListener('input', () => {
    if (!$('reply-text').value) delete $('reply-text').dataset.template;
    updateSlash();
    markPlaceholders();
    noticeTyping();
  });
  /* Late, so that a click in the menu lands first; and only if the reply is still left,
   * or a quick Tab out and back would close the menu opened meanwhile. */
  $('reply-text').addEventListener('blur', () => setTimeout(() => {
    if (document.activeElement !== $('reply-text')) closeSlash();
  }, 100));
  $('reply-text').addEventListener('keydown', (e) => {
    const s = state.slash;
    if (s && s.items.length) {
      if (e.key === 'ArrowDown' || e.key === 'ArrowUp') {
        e.preventDefault();
        s.index = (s.index + (e.key === 'ArrowDown' ? 1 : s.items.length - 1)) % s.items.length;
        renderSlash();
        return;
      }
      if (e.key === 'Enter' || e.key === 'Tab') {
        e.preventDefault();
        insertTemplate(s.items[s.index], s);
        return;
      }
    }
    if (s && e.key === 'Escape') { e.preventDefault(); e.stopPropagation(); closeSlash(); return; }
    if (e.key === 'Enter' && (e.ctrlKey || e.metaKey)) { e.preventDefault(); send(); }
  });

  /* ---------- case actions ---------- */
  async function act(path, body, errBox) {
    errBox = errBox || $('case-error');
    errBox.textContent = '';
    delete errBox.dataset.holder;
    const r = await api('POST', '/api/cases/' + state.current + path, body || {});
    if (r.status !== 200) {
      errBox.textContent = r.data.error || tr('Ошибка {n}', { n: r.status });
      if (r.data.holder) errBox.dataset.holder = r.data.holder;
      await loadCase(state.current, false);
      return null;
    }
    state.currentCase = Object.assign({}, state.currentCase, { case: r.data.case });
    await loadCase(state.current, false);
    return r.data;
  }

  function claim() { if (!$('claim-btn').disabled) act('/claim'); }
  function handback() { if (!$('handback-btn').disabled) act('/handback', { notify: true }); }
  async function send() {
    if ($('send-btn').disabled) return;
    const text = $('reply-text').value;
    const file = $('file-pick-label').hidden ? '' : $('file-pick').value;
    if (!text.trim() && !file) { $('reply-error').textContent = tr('Пустой ответ.'); return; }
    if (text.trim() && !markPlaceholders()) return;
    const body = { text };
    if (file) body.file = file;
    if ($('reply-text').dataset.template) body.template = $('reply-text').dataset.template;
    $('send-btn').disabled = true;
    const r = await act('/reply', body, $('reply-error'));
    $('send-btn').disabled = false;
    if (r) { $('reply-text').value = ''; delete $('reply-text').dataset.template; $('file-pick').value = ''; }
  }
  async function addNote() {
    const text = $('note-text').value;
    if (!text.trim()) return;
    const r = await act('/note', { text });
    if (r) $('note-text').value = '';
  }
  function closeCase() {
    if ($('close-btn').disabled) return;
    const res = $('resolution').value.trim();
    if (!res) { $('case-error').textContent = tr('Укажите итог, чтобы закрыть обращение.'); $('resolution').focus(); return; }
    act('/close', { resolution: res });
  }

  $('claim-btn').addEventListener('click', claim);
  $('takeover-btn').addEventListener('click', () => act('/assign', { to: state.me.login }));
  $('assign-btn').addEventListener('click', () => { if ($('assign-to').value) act('/assign', { to: $('assign-to').value }); });
  $('release-btn').addEventListener('click', () => act('/release'));
  $('handback-btn').addEventListener('click', handback);
  $('status-btn').addEventListener('click', () => act('/status', { status: $('status-select').value }));
  $('close-btn').addEventListener('click', closeCase);
  $('resolution').addEventListener('keydown', (e) => { if (e.key === 'Enter') { e.preventDefault(); closeCase(); } });
  $('send-btn').addEventListener('click', send);
  $('note-btn').addEventListener('click', addNote);
  $('note-text').addEventListener('keydown', (e) => { if (e.key === 'Enter' && (e.ctrlKey || e.metaKey)) { e.preventDefault(); addNote(); } });

  /* ---------- keyboard ---------- */
  function showHelp(on) {
    $('help').hidden = !on;
    if (on) $('help-close').focus();
  }
  $('help-btn').addEventListener('click', () => showHelp(true));
  $('help-close').addEventListener('click', () => showHelp(false));
  $('help').addEventListener('click', (e) => { if (e.target === $('help')) showHelp(false); });

  const KEYS = {
    j: () => step(1),
    k: () => step(-1),
    c: claim,
    r: () => { if (state.current) $('reply-text').focus(); },
    n: () => { if (state.current) $('note-text').focus(); },
    x: () => { if (state.current && !$('close-btn').disabled) $('resolution').focus(); },
    b: handback,
    s: () => { $('q').focus(); $('q').select(); },
    '/': () => {
      if (!state.current || $('send-btn').disabled) { $('q').focus(); return; }
      const ta = $('reply-text');
      ta.focus();
      const p = ta.value.length;
      ta.value += (p && !/\s$/.test(ta.value) ? ' ' : '') + '/';
      ta.setSelectionRange(ta.value.length, ta.value.length);
      updateSlash();
    },
    '?': () => showHelp(true)
  };
  document.addEventListener('keydown', (e) => {
    if (!state.me || $('app-view').hidden) return;
    if (!$('help').hidden) {
      if (e.key === 'Escape' || e.key === '?') { e.preventDefault(); showHelp(false); }
      return;
    }
    if (isTyping(e.target)) {
      if (e.key === 'Escape') e.target.blur();
      return;
    }
    if (e.ctrlKey || e.metaKey || e.altKey) return;
    const fn = KEYS[e.key] || KEYS[e.key.toLowerCase && e.key.toLowerCase()];
    if (!fn || !$('admin-pane').hidden || !$('reports-pane').hidden || !$('ideas-pane').hidden ||
      !$('misses-pane').hidden || !$('public-pane').hidden) return;
    e.preventDefault();
    fn();
  });

  /* ---------- admin ---------- */
  async function loadStats() {
    const r = await api('GET', '/api/stats');
    const body = $('stats-body');
    clear(body);
    if (r.status !== 200) { body.appendChild(el('tr', null, el('td', { text: r.data.error || 'нет доступа' }))); return; }
    $('replies-version').textContent = tr('набор ответов: {v}', { v: r.data.replies_version || '?' });
    const t = r.data.today, w = r.data.week;
    const channels = new Set([...Object.keys(t.messages || {}), ...Object.keys(w.messages || {})]);
    const row = (name, a, b) => body.appendChild(el('tr', null, el('th', { text: name }), el('td', { text: a }), el('td', { text: b })));
    for (const ch of channels) row(tr('Сообщений: {channel}', { channel: channelText(ch) }), (t.messages || {})[ch] || 0, (w.messages || {})[ch] || 0);
    row('Ответил бот', t.answered.bot, w.answered.bot);
    row('Ответили люди', t.answered.people, w.answered.people);
    row('Создано обращений', t.cases_created, w.cases_created);
    row('Открытых обращений', t.open_cases, w.open_cases);
    row('Самое старое невзятое', t.oldest_unclaimed_at ? fmtDur(now() - t.oldest_unclaimed_at) : '—', w.oldest_unclaimed_at ? fmtDur(now() - w.oldest_unclaimed_at) : '—');
    row('Медиана до первого ответа человека', t.first_human_reply_median_s === null ? '—' : fmtDur(t.first_human_reply_median_s),
      w.first_human_reply_median_s === null ? '—' : fmtDur(w.first_human_reply_median_s));
    row('Операторов онлайн', r.data.operators_online, '');
  }
  $('stats-btn').addEventListener('click', loadStats);

  $('reload-btn').addEventListener('click', async () => {
    const box = $('reload-result');
    clear(box);
    box.className = 'reload-result';
    const r = await api('POST', '/api/admin/reload', {});
    const d = r.data || {};
    if (r.status === 200 && d.ok) {
      box.classList.add('ok');
      box.appendChild(el('div', { text: tr('Загружено. Версия: {v}', { v: d.version }) }));
      const counts = d.counts || {};
      box.appendChild(el('div', { text: Object.keys(counts).map((k) => k + ': ' + counts[k]).join(', ') }));
    } else {
      box.classList.add('bad');
      box.appendChild(el('div', { text: tr('Набор ответов не загружен, работает прежний.') + (d.error ? ' ' + d.error : '') }));
      const ul = el('ul', { cls: 'plain', data: { role: 'errors' } });
      for (const e of d.errors || []) {
        const line = typeof e === 'string' ? e : (e.file || '') + ':' + (e.line || '') + (e.col ? ':' + e.col : '') + ': ' + (e.message || e.msg || '');
        ul.appendChild(el('li', { text: line }));
      }
      box.appendChild(ul);
    }
    loadStats();
  });

  /* ---------- reports: charts drawn as SVG by the console itself ---------- */
  const SVG = 'http://www.w3.org/2000/svg';
  function svgEl(tag, attrs, text) {
    const e = document.createElementNS(SVG, tag);
    for (const k of Object.keys(attrs || {})) e.setAttribute(k, String(attrs[k]));
    if (text !== undefined) e.textContent = String(text);
    return e;
  }
  function dayLabel(sec) {
    return new Date(sec * 1000).toLocaleDateString(locale(), { day: '2-digit', month: '2-digit' });
  }

  /* A bar chart of one or more stacked series over labels; fmt turns a value into text. */
  function barChart(labels, series, fmt) {
    const W = 560, H = 170, L = 44, B = 28, T = 14, R = 8;
    const n = labels.length;
    const totals = labels.map((_, i) => series.reduce((a, s) => a + (s.values[i] || 0), 0));
    const max = Math.max(1, ...totals);
    const svg = svgEl('svg', { viewBox: '0 0 ' + W + ' ' + H, role: 'img' });
    const plotH = H - B - T, plotW = W - L - R;
    svg.appendChild(svgEl('line', { x1: L, y1: T + plotH, x2: W - R, y2: T + plotH, class: 'axis' }));
    svg.appendChild(svgEl('line', { x1: L, y1: T, x2: L, y2: T + plotH, class: 'axis' }));
    svg.appendChild(svgEl('text', { x: L - 4, y: T + 8, 'text-anchor': 'end' }, fmt(max)));
    svg.appendChild(svgEl('text', { x: L - 4, y: T + plotH, 'text-anchor': 'end' }, '0'));
    const slot = plotW / Math.max(1, n);
    const bw = Math.max(2, Math.min(36, slot * 0.7));
    const every = Math.ceil(n / 14);
    labels.forEach((lab, i) => {
      let y = T + plotH;
      const x = L + i * slot + (slot - bw) / 2;
      series.forEach((s, k) => {
        const v = s.values[i] || 0;
        if (v <= 0) return;
        const h = (v / max) * plotH;
        y -= h;
        const r = svgEl('rect', { x: x.toFixed(1), y: y.toFixed(1), width: bw.toFixed(1), height: h.toFixed(1), class: 's' + (s.cls ?? k) });
        r.appendChild(svgEl('title', {}, lab + ' — ' + tr(s.name) + ': ' + fmt(v)));
        svg.appendChild(r);
      });
      if (totals[i] > 0 && n <= 31) svg.appendChild(svgEl('text', { x: (x + bw / 2).toFixed(1), y: (y - 3).toFixed(1), 'text-anchor': 'middle', class: 'val' }, fmt(totals[i])));
      if (i % every === 0) svg.appendChild(svgEl('text', { x: (x + bw / 2).toFixed(1), y: H - B + 14, 'text-anchor': 'middle' }, lab));
    });
    return svg;
  }

  /* A CSV a Russian spreadsheet opens as it is: BOM, ';', quoted cells. */
  function downloadCsv(name, header, rows) {
    const cell = (v) => {
      let t = v === null || v === undefined ? '' : String(v);
      if (/^[=+\-@\t\r]/.test(t)) t = "'" + t;
      return '"' + t.replace(/"/g, '""') + '"';
    };
    const text = '\uFEFF' + [header.map((h) => tr(h)), ...rows].map((r) => r.map(cell).join(';')).join('\r\n') + '\r\n';
    const a = el('a');
    a.href = URL.createObjectURL(new Blob([text], { type: 'text/csv;charset=utf-8' }));
    a.download = name + '.csv';
    document.body.appendChild(a);
    a.click();
    setTimeout(() => { URL.revokeObjectURL(a.href); a.remove(); }, 1000);
  }

  function chartBox(id, title, svg, legend, csv) {
    const box = el('div', { cls: 'chart', data: { chart: id } });
    const h = el('h3', { text: title });
    if (csv) {
      const b = el('button', { text: 'CSV', title: 'Скачать таблицу для Excel' });
      b.type = 'button';
      b.dataset.csv = id;
      b.addEventListener('click', () => downloadCsv(id, csv.header, csv.rows));
      h.appendChild(b);
    }
    box.appendChild(h);
    box.appendChild(svg);
    if (legend && legend.length > 1) {
      const lg = el('div', { cls: 'legend' });
      legend.forEach((s, k) => { const sp = el('span'); sp.appendChild(el('span', { cls: 'sw s' + (s.cls ?? k) })); sp.appendChild(document.createTextNode(tr(s.name))); lg.appendChild(sp); });
      box.appendChild(lg);
    }
    return box;
  }

  function tile(k, v) {
    return el('div', { cls: 'tile' }, el('div', { cls: 'v', text: v }), el('div', { cls: 'k', text: k }));
  }
  const minutes = (v) => (v === null || v === undefined ? '—' : v < 60 ? tr('{n} с', { n: Math.round(v) }) : tr('{n} мин', { n: Math.round(v / 60) }));
  const count = (v) => String(Math.round(v));
  const pct = (v) => Math.round(v) + '%';
  function median(list) {
    const v = list.filter((x) => x !== null && x !== undefined).sort((a, b) => a - b);
    if (!v.length) return null;
    return v.length % 2 ? v[(v.length - 1) / 2] : (v[v.length / 2 - 1] + v[v.length / 2]) / 2;
  }

  async function loadReports() {
    const r = await api('GET', '/api/reports?days=' + encodeURIComponent($('rep-days').value));
    const charts = $('rep-charts');
    clear(charts);
    clear($('rep-summary'));
    if (r.status !== 200) { charts.appendChild(el('p', { cls: 'error', text: r.data.error || 'Отчёт недоступен.' })); return; }
    const d = r.data;
    const days = d.days || [];
    const labels = days.map((x) => dayLabel(x.day));
    const sum = (k) => days.reduce((a, x) => a + (x[k] || 0), 0);
    const answered = sum('bot') + sum('people');
    const sumBox = $('rep-summary');
    sumBox.appendChild(tile('сообщений клиентов', count(sum('messages'))));
    sumBox.appendChild(tile('ответил бот', answered ? pct(100 * sum('bot') / answered) : '—'));
    sumBox.appendChild(tile('обращений', count(sum('cases'))));
    sumBox.appendChild(tile('нарушений SLA', count(sum('sla_breached'))));
    sumBox.appendChild(tile('первый ответ сотрудника, медиана', minutes(median(days.map((x) => x.first_response_median_s)))));
    sumBox.appendChild(tile('время до решения, медиана', minutes(median(days.map((x) => x.resolution_median_s)))));
    $('rep-note').textContent = tr('по {t}', { t: new Date(d.now * 1000).toLocaleString(locale()) });
    const perDay = (k) => days.map((x) => x[k] || 0);
    /* A CSV day is a whole date a spreadsheet reads ("02.12.2026"), on the reply set's
     * local clock (utc_offset_s), not the browser's. */
    const csvDay = (sec) => {
      const t = new Date((sec + (d.utc_offset_s || 0)) * 1000);
      const two = (n) => String(n).padStart(2, '0');
      return two(t.getUTCDate()) + '.' + two(t.getUTCMonth() + 1) + '.' + t.getUTCFullYear();
    };
    const dayCsv = (cols, names) => ({ header: ['день', ...names], rows: days.map((x) => [csvDay(x.day), ...cols.map((c) => x[c] === null ? '' : x[c])]) });
    charts.appendChild(chartBox('messages_by_day', 'Сообщения клиентов по дням', barChart(labels, [{ name: 'сообщений', values: perDay('messages') }], count), null, dayCsv(['messages'], ['сообщений'])));
    const hours = (d.hours || []).map((_, h) => String(h).padStart(2, '0'));
    charts.appendChild(chartBox('messages_by_hour', 'Сообщения по часам суток', barChart(hours, [{ name: 'сообщений', values: d.hours || [] }], count), null,
      { header: ['час', 'сообщений'], rows: (d.hours || []).map((v, h) => [hours[h], v]) }));
    const answers = [{ name: 'бот', values: perDay('bot'), cls: 0 }, { name: 'сотрудники', values: perDay('people'), cls: 1 }];
    charts.appendChild(chartBox('answers_by_day', 'Ответы: бот и сотрудники', barChart(labels, answers, count), answers, dayCsv(['bot', 'people'], ['бот', 'сотрудники'])));
    charts.appendChild(chartBox('bot_share', 'Доля ответов бота', barChart(labels, [{ name: 'доля бота', values: days.map((x) => (x.bot + x.people ? 100 * x.bot / (x.bot + x.people) : 0)) }], pct), null,
      { header: ['день', 'доля бота, %'], rows: days.map((x) => [csvDay(x.day), x.bot + x.people ? Math.round(100 * x.bot / (x.bot + x.people)) : '']) }));
    charts.appendChild(chartBox('first_response', 'Первый ответ сотрудника (медиана)', barChart(labels, [{ name: 'медиана', values: perDay('first_response_median_s'), cls: 2 }], minutes), null, dayCsv(['first_response_median_s'], ['медиана первого ответа, с'])));
    charts.appendChild(chartBox('resolution', 'Время до решения (медиана)', barChart(labels, [{ name: 'медиана', values: perDay('resolution_median_s'), cls: 2 }], minutes), null, dayCsv(['resolution_median_s'], ['медиана решения, с'])));
    const sla = [{ name: 'в срок', values: days.map((x) => x.cases - x.sla_breached), cls: 0 }, { name: 'SLA нарушен', values: perDay('sla_breached'), cls: 3 }];
    charts.appendChild(chartBox('cases_sla', 'Обращения и нарушения SLA', barChart(labels, sla, count), sla,
      dayCsv(['cases', 'sla_breached'], ['обращений', 'SLA нарушен'])));
    const cats = Object.keys(d.categories || {});
    charts.appendChild(chartBox('by_category', 'Обращения по категориям', barChart(cats.map(categoryTitle), [{ name: 'обращений', values: cats.map((c) => d.categories[c]) }], count), null,
      { header: ['категория', 'обращений'], rows: cats.map((c) => [categoryTitle(c), d.categories[c]]) }));
    const sevs = ['critical', 'high', 'normal', 'low'];
    charts.appendChild(chartBox('by_severity', 'Обращения по важности', barChart(sevs.map((x) => tr(SEVERITY_TEXT[x])), [{ name: 'обращений', values: sevs.map((x) => (d.severities || {})[x] || 0), cls: 3 }], count), null,
      { header: ['важность', 'обращений'], rows: sevs.map((x) => [tr(SEVERITY_TEXT[x]), (d.severities || {})[x] || 0]) }));
    const ops = d.operators || [];
    const t = el('table', { cls: 'ops' });
    t.appendChild(el('thead', null, el('tr', null, el('th', { text: 'Сотрудник' }), el('th', { text: 'Взял' }), el('th', { text: 'Ответов' }), el('th', { text: 'Решил' }), el('th', { text: 'Передал' }))));
    const tb = el('tbody');
    for (const o of ops) tb.appendChild(el('tr', null, el('td', { text: o.login }), el('td', { cls: 'n', text: o.claimed }), el('td', { cls: 'n', text: o.replies }), el('td', { cls: 'n', text: o.resolved }), el('td', { cls: 'n', text: o.handed_over })));
    if (!ops.length) tb.appendChild(el('tr', null, el('td', { cls: 'muted', text: 'За период сотрудники ничего не делали.' })));
    t.appendChild(tb);
    const opsSvg = barChart(ops.map((o) => o.login), [{ name: 'ответов', values: ops.map((o) => o.replies) }], count);
    const box = chartBox('by_secretary', 'По сотрудникам', opsSvg, null,
      { header: ['сотрудник', 'взял', 'ответов', 'решил', 'передал'], rows: ops.map((o) => [o.login, o.claimed, o.replies, o.resolved, o.handed_over]) });
    box.appendChild(t);
    charts.appendChild(box);
    charts.appendChild(satisfactionBox(d.satisfaction || {}));
  }

  /* Ratings 1..5 customers gave after a resolved case: the spread, and per secretary. */
  function satisfactionBox(sat) {
    const avg = (v) => (v ? (lang === 'en' ? v.toFixed(1) : v.toFixed(1).replace('.', ',')) : '—');
    const marks = ['1', '2', '3', '4', '5'];
    const dist = sat.distribution || [0, 0, 0, 0, 0];
    $('rep-summary').appendChild(tile(tr('оценка клиентов, средняя ({n})', { n: sat.count || 0 }), avg(sat.average)));
    const ops = sat.operators || [];
    const box = chartBox('satisfaction', 'Оценки клиентов', barChart(marks, [{ name: 'оценок', values: dist, cls: 0 }], count), null,
      /* One table for both: the spread, then each secretary's count and average. */
      { header: ['оценка или сотрудник', 'оценок', 'средняя'],
        rows: [...marks.map((m, i) => [tr('оценка {n}', { n: m }), dist[i], '']), ...ops.map((o) => [o.login, o.count, avg(o.average)])] });
    const line = el('p', { cls: 'muted', text: tr('Спросили: {asked}, ответили: {count}, средняя: {avg}', { asked: sat.asked || 0, count: sat.count || 0, avg: avg(sat.average) }) });
    box.appendChild(line);
    const t = el('table', { cls: 'ops' });
    t.appendChild(el('thead', null, el('tr', null, el('th', { text: 'Сотрудник' }), el('th', { text: 'Оценок' }), el('th', { text: 'Средняя' }))));
    const tb = el('tbody');
    for (const o of ops) tb.appendChild(el('tr', null, el('td', { text: o.login || '—' }), el('td', { cls: 'n', text: o.count }), el('td', { cls: 'n', text: avg(o.average) })));
    if (!ops.length) tb.appendChild(el('tr', null, el('td', { cls: 'muted', text: 'За период оценок нет.' })));
    t.appendChild(tb);
    box.appendChild(t);
    return box;
  }
  $('rep-days').addEventListener('change', loadReports);

  /* ---------- ideas (admin): merge, route, status; the author is told by the bot ---------- */
  const ideas = { statuses: [], units: [], list: [] };
  function ideaStatusText(id) {
    const s = ideas.statuses.find((x) => x.id === id);
    return s ? s.label : id;
  }
  async function ideaChange(id, what, body) {
    $('ideas-error').textContent = '';
    const r = await api('POST', '/api/ideas/' + id + '/' + what, body);
    if (r.status !== 200) $('ideas-error').textContent = (r.data && r.data.error) || tr('ошибка {n}', { n: r.status });
    await loadIdeas();
  }
  function ideaSelect(values, current, label, onChange) {
    const s = el('select', { title: label });
    s.setAttribute('aria-label', tr(label));
    for (const [v, t] of values) {
      const o = el('option', { text: t });
      o.value = v;
      if (v === current) o.selected = true;
      s.appendChild(o);
    }
    s.addEventListener('change', () => onChange(s.value));
    return s;
  }
  function ideaRow(i) {
    const merged = i.merged_into > 0;
    const row = el('tr', { cls: merged ? 'merged' : '', data: { ideaId: i.id } });
    row.appendChild(el('td', { text: '№' + i.id }));
    row.appendChild(el('td', null, el('div', { cls: 'idea-what', text: i.what }),
      i.why ? el('div', { cls: 'idea-why', text: tr('Зачем: {why}', { why: i.why }) }) : null));
    row.appendChild(el('td', { text: (i.author || '—') + ' · ' + channelText(i.channel) + ' · ' + fmtTime(i.created_at) }));
    row.appendChild(el('td', { cls: 'idea-votes', text: i.votes }));
    if (merged) {
      row.appendChild(el('td', { text: i.unit || '—' }));
      row.appendChild(el('td', { text: ideaStatusText(i.status) }));
      row.appendChild(el('td', { text: tr('объединена с №{n}', { n: i.merged_into }) }));
      return row;
    }
    const units = [['', '— не назначено —']].concat(ideas.units.map((u) => [u, u]));
    row.appendChild(el('td', null, ideaSelect(units, i.unit || '', 'Подразделение',
      (v) => ideaChange(i.id, 'route', { unit: v }))));
    row.appendChild(el('td', null, ideaSelect(ideas.statuses.map((x) => [x.id, x.label]), i.status, 'Статус',
      (v) => ideaChange(i.id, 'status', { status: v }))));
    const into = el('input', { cls: 'merge-into', title: 'Номер идеи, в которую объединить' });
    into.type = 'number';
    into.min = '1';
    into.placeholder = '№';
    into.setAttribute('aria-label', tr('Объединить с идеей №'));
    const btn = el('button', { cls: 'ghost', text: 'Объединить' });
    btn.type = 'button';
    btn.addEventListener('click', () => {
      const to = parseInt(into.value, 10);
      if (to > 0) ideaChange(i.id, 'merge', { into: to });
    });
    row.appendChild(el('td', null, into, btn));
    return row;
  }
  function renderIdeas() {
    const body = $('ideas-body');
    clear(body);
    const want = $('ideas-status').value, showMerged = $('ideas-merged').checked;
    const shown = ideas.list.filter((i) => (!want || i.status === want) && (showMerged || !(i.merged_into > 0)));
    for (const i of shown) body.appendChild(ideaRow(i));
    $('ideas-empty').hidden = shown.length > 0;
  }
  async function loadIdeas() {
    const r = await api('GET', '/api/ideas');
    if (r.status !== 200) { $('ideas-error').textContent = r.data.error || tr('нет доступа'); return; }
    ideas.statuses = r.data.statuses || [];
    ideas.units = r.data.units || [];
    ideas.list = r.data.ideas || [];
    const sel = $('ideas-status');
    if (sel.options.length === 1) {
      for (const s of ideas.statuses) {
        const o = el('option', { text: s.label });
        o.value = s.id;
        sel.appendChild(o);
      }
    }
    renderIdeas();
  }
  async function exportIdeas(format) {
    const r = await fetch('/api/ideas/export?format=' + format, { credentials: 'same-origin' });
    if (!r.ok) { $('ideas-error').textContent = tr('выгрузка не удалась: {n}', { n: r.status }); return; }
    const a = document.createElement('a');
    a.href = URL.createObjectURL(await r.blob());
    a.download = 'ideas.' + format;
    document.body.appendChild(a);
    a.click();
    a.remove();
  }
  $('ideas-status').addEventListener('change', renderIdeas);
  $('ideas-merged').addEventListener('change', renderIdeas);
  $('ideas-export-csv').addEventListener('click', () => exportIdeas('csv'));
  $('ideas-export-json').addEventListener('click', () => exportIdeas('json'));

  /* ---------- «Публичные»: wall threads with open cases ---------- */
  const READINGS = { question: 'вопрос', complaint: 'жалоба', troll: 'провокация', other: 'другое' };
  function publicComment(thread, c, templates) {
    const li = el('li', { cls: 'public-comment' + (c.deleted ? ' deleted' : ''), data: { commentId: c.comment_id } },
      badge(tr(READINGS[c.reading] || c.reading), c.reading === 'troll' ? 'warn' : ''),
      el('span', { cls: 'muted small', text: ' id' + c.from_id + (c.followers >= 0 ? tr(' · подписчиков: {n}', { n: count(c.followers) }) : '') + ' ' }),
      el('span', { text: c.deleted ? tr('(удалён автором)') : c.text }));
    if (c.deleted || !templates.length) return li;
    const sel = el('select', { cls: 'public-template' });
    for (const t of templates) {
      const o = el('option', { text: t.id, title: t.text });
      o.value = t.id;
      sel.appendChild(o);
    }
    const btn = el('button', { cls: 'public-send', text: tr('Ответить публично') });
    btn.type = 'button';
    const note = el('span', { cls: 'small muted' });
    btn.addEventListener('click', async () => {
      const caseId = c.case_id || thread.case_ids[0];
      const r = await api('POST', '/api/cases/' + caseId + '/public_reply', { template: sel.value, comment_id: c.comment_id });
      note.textContent = r.status === 200 ? tr(' поставлено в очередь') : ' ' + (r.data.error || tr('не отправлено'));
    });
    li.appendChild(el('div', { cls: 'row' }, sel, btn, note));
    return li;
  }
  async function loadPublic() {
    const box = $('public-threads');
    clear(box);
    const r = await api('GET', '/api/public');
    if (r.status !== 200) { box.appendChild(el('p', { cls: 'error', text: r.data.error || tr('Список недоступен.') })); return; }
    if (!r.data.threads.length) { box.appendChild(el('p', { cls: 'muted', text: tr('Нет веток с открытыми обращениями.') })); return; }
    for (const t of r.data.threads) {
      const link = el('a', { text: tr('Пост {id}', { id: t.owner_id + '_' + t.post_id }) });
      link.href = 'https://vk.com/wall' + t.owner_id + '_' + t.post_id;
      link.target = '_blank';
      link.rel = 'noopener noreferrer';
      const cases = el('span', { cls: 'small' });
      for (const id of t.case_ids) {
        const a = el('a', { text: ' №' + String(id).padStart(6, '0') });
        a.href = '#/case/' + id;
        cases.appendChild(a);
      }
      const list = el('ul', { cls: 'plain' });
      for (const c of t.comments) list.appendChild(publicComment(t, c, r.data.templates));
      box.appendChild(el('article', { cls: 'public-thread', data: { postId: t.post_id } },
        el('h3', null, link, cases),
        el('p', { cls: 'muted small', text: tr('ответов: {replies} · участников: {authors} · жалуются: {complaining} · провокации: {trolls}',
          { replies: t.replies, authors: t.authors.length, complaining: t.complaining.length, trolls: t.trolls.length }) }),
        list));
    }
  }
  $('public-refresh').addEventListener('click', loadPublic);

  /* ---------- misses (admin): what the bot did not understand, attached to an intent ---------- */
  const misses = { groups: [], intents: [], ids: [] };
  const MISS_OUTCOMES = { fallback: 'не понял', clarify: 'переспросил', low: 'ответил неуверенно' };
  const MISS_ACTIONS = { attach: 'добавлены примеры', create: 'новый интент' };
  function missesError(r) {
    const d = r.data || {};
    const text = d.error || tr('ошибка {n}', { n: r.status });
    return d.errors && d.errors.length ? text + ': ' + d.errors.join('; ') : text;
  }
  /* A change: the diff it made, the lists again. */
  async function missesPost(path, body) {
    $('misses-error').textContent = '';
    $('misses-done').textContent = '';
    const r = await api('POST', path, body);
    if (r.status === 200) {
      $('misses-diff').textContent = r.data.diff || '';
      $('misses-diff-box').hidden = false;
      $('misses-done').textContent = tr('Готово: набор ответов проверен и перезагружен ({version}).',
        { version: r.data.version || '' });
    } else {
      $('misses-error').textContent = missesError(r);
    }
    await loadMisses();
    return r;
  }
  function missNewIntent(g) {
    misses.ids = g.ids.slice();
    $('misses-new-texts').value = g.examples.join('\n');
    $('misses-new').hidden = false;
    $('misses-new-id').focus();
  }
  function missRow(g) {
    const row = el('tr', { cls: 'miss-group' });
    row.appendChild(el('td', { cls: 'miss-count', text: g.count }));
    const list = el('ul', { cls: 'miss-examples' });
    for (const t of g.examples) {
      const li = document.createElement('li');
      li.textContent = t; /* the customer's text, as it is */
      list.appendChild(li);
    }
    row.appendChild(el('td', null, list, el('div', { cls: 'muted', text: MISS_OUTCOMES[g.outcome] || g.outcome })));
    row.appendChild(el('td', { text: g.intent_title || '—' }));
    const sel = document.createElement('select');
    sel.className = 'miss-intent';
    sel.setAttribute('aria-label', tr('Интент'));
    for (const i of misses.intents) {
      const o = document.createElement('option');
      o.value = i.id;
      o.textContent = i.title;
      if (i.id === g.intent) o.selected = true;
      sel.appendChild(o);
    }
    const add = el('button', { cls: 'miss-attach', text: 'Добавить в интент' });
    add.type = 'button';
    add.addEventListener('click', () => {
      add.disabled = true; /* one change per press: the list is drawn again after it */
      missesPost('/api/misses/attach', { intent: sel.value, group: g.ids });
    });
    const mk = el('button', { cls: 'ghost miss-create', text: 'Новый интент' });
    mk.type = 'button';
    mk.addEventListener('click', () => missNewIntent(g));
    row.appendChild(el('td', null, sel, add, mk));
    return row;
  }
  function missChangeRow(c) {
    const row = el('tr', { cls: c.undone_at ? 'merged' : '' });
    row.appendChild(el('td', { text: '№' + c.id }));
    row.appendChild(el('td', { text: fmtTime(c.at) }));
    row.appendChild(el('td', { text: c.actor }));
    row.appendChild(el('td', { text: c.undone_at ? tr('{what}, отменено', { what: tr(MISS_ACTIONS[c.action] || c.action) })
      : (MISS_ACTIONS[c.action] || c.action) }));
    row.appendChild(el('td', { text: c.intent }));
    row.appendChild(el('td', { text: c.file }));
    row.appendChild(el('td', { text: c.attached }));
    const show = el('button', { cls: 'ghost', text: 'Показать правку' });
    show.type = 'button';
    show.addEventListener('click', () => {
      $('misses-diff').textContent = c.diff;
      $('misses-diff-box').hidden = false;
      $('misses-diff').focus();
    });
    const cell = el('td', null, show);
    if (!c.undone_at) {
      const undo = el('button', { cls: 'ghost miss-undo', text: 'Отменить' });
      undo.type = 'button';
      undo.addEventListener('click', () => {
        undo.disabled = true;
        missesPost('/api/misses/changes/' + c.id + '/undo');
      });
      cell.appendChild(undo);
    }
    row.appendChild(cell);
    return row;
  }
  async function loadMisses() {
    const q = '?days=' + encodeURIComponent($('misses-days').value) +
      ($('misses-outcome').value ? '&outcome=' + encodeURIComponent($('misses-outcome').value) : '');
    const [r, ch] = await Promise.all([api('GET', '/api/misses' + q), api('GET', '/api/misses/changes')]);
    if (r.status !== 200) { $('misses-error').textContent = missesError(r); return; }
    misses.groups = r.data.groups || [];
    misses.intents = (r.data.intents || []).slice().sort((a, b) => a.title.localeCompare(b.title, locale()));
    const body = $('misses-body');
    clear(body);
    for (const g of misses.groups) body.appendChild(missRow(g));
    $('misses-empty').hidden = misses.groups.length > 0;
    const cb = $('misses-changes-body');
    clear(cb);
    if (ch.status === 200) for (const c of ch.data.changes || []) cb.appendChild(missChangeRow(c));
  }
  $('misses-refresh').addEventListener('click', loadMisses);
  $('misses-days').addEventListener('change', loadMisses);
  $('misses-outcome').addEventListener('change', loadMisses);
  $('misses-new-cancel').addEventListener('click', () => { $('misses-new').hidden = true; misses.ids = []; });
  $('misses-new').addEventListener('submit', async (e) => {
    e.preventDefault();
    const texts = $('misses-new-texts').value.split('\n').map((t) => t.trim()).filter(Boolean);
    const r = await missesPost('/api/misses/create', {
      id: $('misses-new-id').value.trim(), title: $('misses-new-title').value.trim(),
      answer: $('misses-new-answer').value.trim(), texts, ids: misses.ids
    });
    if (r.status === 200) { $('misses-new').reset(); $('misses-new').hidden = true; misses.ids = []; }
  });

  /* ---------- routing ---------- */
  function route() {
    if (!state.me) return;
    const h = location.hash || '#/queue';
    const m = h.match(/^#\/case\/(\d+)$/);
    const admin = h === '#/admin';
    const reports = h === '#/reports';
    const ideasPage = h === '#/ideas';
    const missesPage = h === '#/misses';
    const pub = h === '#/public';
    const wide = admin || reports || ideasPage || missesPage || pub;
    $('desk').classList.toggle('admin', wide);
    $('queue-pane').hidden = wide;
    $('case-pane').hidden = wide;
    $('side-pane').hidden = wide;
    /* A phone-sized screen shows one pane at a time (console.css): the list or the case. */
    $('desk').dataset.view = m ? 'case' : wide ? 'wide' : 'queue';
    $('admin-pane').hidden = !admin;
    $('reports-pane').hidden = !reports;
    $('ideas-pane').hidden = !ideasPage;
    $('misses-pane').hidden = !missesPage;
    $('public-pane').hidden = !pub;
    if (m) {
      openCase(parseInt(m[1], 10));
    } else {
      state.current = null;
      state.currentCase = null;
      $('case-none').hidden = false;
      $('case-none').firstElementChild.textContent = tr('Выберите обращение слева.');
      $('case-body').hidden = true;
      $('side-body').hidden = true;
      delete $('case-pane').dataset.caseId;
      if (admin) loadStats();
      else if (reports) loadReports();
      else if (ideasPage) loadIdeas();
      else if (missesPage) loadMisses();
      else if (pub) loadPublic();
      else renderQueue();
    }
  }
  window.addEventListener('hashchange', route);

  loadPrefs();
  setLive(false);
  start();
})();
