/* deskbot console: queue, case page, admin view. Plain JavaScript, no build step.
 * Everything that comes from customers (or anyone) is put on the page with textContent
 * or as attribute values through the DOM API, never as HTML. */
'use strict';

(function () {
  const $ = (id) => document.getElementById(id);
  const SEVERITY_RANK = { critical: 0, high: 1, normal: 2, low: 3 };
  const SEVERITY_TEXT = { critical: 'критично', high: 'высокая', normal: 'обычная', low: 'низкая' };
  const STATUS_TEXT = { new: 'новое', claimed: 'в работе', waiting: 'ждём клиента', resolved: 'решено', closed: 'закрыто' };
  const FLAG_TEXT = {
    obscene: 'мат', legal_threat: 'угроза судом', spread_call: 'призыв к репосту',
    shouting: 'крик', repeat_contact: 'повторно', high_reach: 'PR-риск (охват)'
  };
  const CHANNEL_TEXT = { vk: 'VK', telegram: 'Telegram', web: 'веб-чат' };

  const state = {
    me: null,          /* {login, role, csrf, operators, channels, categories} */
    cases: new Map(),  /* id -> summary */
    unseen: new Set(), /* ids with news not looked at */
    current: null,     /* open case id */
    currentCase: null,
    templates: [],
    ws: null,
    wsRetry: 0,
    notices: 0,
    reloadTimer: null,
    prefs: { sound: true, title: true }
  };

  /* ---------- small DOM helpers (text only) ---------- */
  function el(tag, opts, ...children) {
    const e = document.createElement(tag);
    if (opts) {
      if (opts.cls) e.className = opts.cls;
      if (opts.text !== undefined && opts.text !== null) e.textContent = String(opts.text);
      if (opts.title) e.title = String(opts.title);
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
    return d.toLocaleString('ru-RU', { day: '2-digit', month: '2-digit', hour: '2-digit', minute: '2-digit' });
  }
  function fmtDur(sec) {
    const s = Math.abs(Math.round(sec));
    if (s < 60) return s + ' с';
    if (s < 3600) return Math.floor(s / 60) + ' мин';
    if (s < 86400) return Math.floor(s / 3600) + ' ч ' + Math.floor((s % 3600) / 60) + ' мин';
    return Math.floor(s / 86400) + ' д ' + Math.floor((s % 86400) / 3600) + ' ч';
  }
  function now() { return Math.floor(Date.now() / 1000); }

  /* ---------- API ---------- */
  async function api(method, path, body) {
    const headers = {};
    const opts = { method, headers, credentials: 'same-origin' };
    if (method !== 'GET') {
      headers['Content-Type'] = 'application/json';
      if (state.me) headers['X-CSRF-Token'] = state.me.csrf;
      opts.body = JSON.stringify(body || {});
    }
    const r = await fetch(path, opts);
    let data = null;
    try { data = await r.json(); } catch (e) { data = null; }
    if (r.status === 401 && path !== '/api/login') {
      showLogin('Сессия закончилась, войдите снова.');
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
    const base = 'deskbot — консоль';
    document.title = state.prefs.title && state.notices > 0 ? '(' + state.notices + ') ' + base : base;
  }
  function seen() {
    state.notices = 0;
    updateTitle();
  }
  window.addEventListener('focus', seen);
  document.addEventListener('visibilitychange', () => { if (!document.hidden) seen(); });

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
        $('login-error').textContent = 'Слишком много неудачных попыток. Повторите через ' + (r.data.retry_after_s || 1) + ' с.';
      } else {
        $('login-error').textContent = 'Неверный логин или пароль.';
      }
    } finally {
      $('login-btn').disabled = false;
    }
  });

  $('logout-btn').addEventListener('click', async () => {
    await api('POST', '/api/logout', {});
    showLogin('Вы вышли.');
  });

  /* ---------- start ---------- */
  async function start() {
    const r = await api('GET', '/api/session');
    if (r.status !== 200) { showLogin(''); return; }
    state.me = r.data;
    $('login-view').hidden = true;
    $('app-view').hidden = false;
    $('me').textContent = state.me.login + ' (' + (state.me.role === 'admin' ? 'админ' : 'оператор') + ')';
    $('nav-admin').hidden = state.me.role !== 'admin';
    fillSelect($('f-channel'), state.me.channels || [], (c) => CHANNEL_TEXT[c] || c);
    fillSelect($('f-category'), state.me.categories || [], (c) => c);
    fillSelect($('f-assignee'), state.me.operators || [], (c) => c);
    connect();
    await loadQueue();
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
    $('live-status').title = on ? 'Живые обновления подключены' : 'Нет связи, переподключаюсь…';
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
        showLogin('Сессия закончилась, войдите снова.');
        break;
      case 'case_created':
        if (m.case) upsert(m.case, true);
        notice();
        break;
      case 'case_updated':
        if (m.case) upsert(m.case, false);
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
        showAlert(m.text || 'Внимание', m.case_id);
        notice();
        break;
      default:
        break;
    }
  }

  /* ---------- queue ---------- */
  function filters() {
    return {
      status: $('f-status').value, channel: $('f-channel').value,
      category: $('f-category').value, assignee: $('f-assignee').value
    };
  }
  function passes(c, f) {
    if (f.status === 'open' && !['new', 'claimed', 'waiting'].includes(c.status)) return false;
    if (!['open', 'all'].includes(f.status) && c.status !== f.status) return false;
    if (f.channel && c.channel !== f.channel) return false;
    if (f.category && c.category !== f.category) return false;
    if (f.assignee && c.assignee !== f.assignee) return false;
    return true;
  }
  async function loadQueue() {
    const f = filters();
    const q = new URLSearchParams();
    q.set('status', f.status);
    for (const k of ['channel', 'category', 'assignee']) if (f[k]) q.set(k, f[k]);
    const r = await api('GET', '/api/cases?' + q.toString());
    if (r.status !== 200) return;
    state.cases.clear();
    for (const c of r.data.cases || []) state.cases.set(c.id, c);
    renderQueue();
  }
  for (const id of ['f-status', 'f-channel', 'f-category', 'f-assignee']) {
    $(id).addEventListener('change', loadQueue);
  }

  function upsert(c, news) {
    const fresh = !state.cases.has(c.id);
    if (passes(c, filters())) state.cases.set(c.id, c);
    else state.cases.delete(c.id);
    if (news && c.id !== state.current) state.unseen.add(c.id);
    renderQueue(fresh ? c.id : null);
  }

  function sorted() {
    return Array.from(state.cases.values()).sort((a, b) =>
      (SEVERITY_RANK[a.severity] ?? 2) - (SEVERITY_RANK[b.severity] ?? 2) ||
      (b.created_at - a.created_at) || (b.id - a.id));
  }

  function slaCell(c) {
    const td = el('td', { cls: 'sla' });
    const age = now() - (c.created_at || now());
    const left = c.sla_due_at ? c.sla_due_at - now() : null;
    let cls = 'sla-ok';
    let text = fmtDur(age);
    if (left !== null && ['new', 'claimed', 'waiting'].includes(c.status)) {
      if (left < 0) { cls = 'sla-over'; text += ' · просрочено ' + fmtDur(-left); }
      else if (left < 900) { cls = 'sla-soon'; text += ' · осталось ' + fmtDur(left); }
      else text += ' · осталось ' + fmtDur(left);
    }
    td.appendChild(el('span', { cls, text, title: 'Создано ' + fmtTime(c.created_at) + ', срок ' + fmtTime(c.sla_due_at) }));
    return td;
  }

  function flagBadges(flags) {
    const frag = document.createDocumentFragment();
    for (const k of Object.keys(flags || {})) {
      if (flags[k] === true) frag.appendChild(el('span', { cls: 'badge flag flag-' + k, text: FLAG_TEXT[k] || k, data: { flag: k } }));
    }
    return frag;
  }

  function renderQueue(freshId) {
    const body = $('queue-body');
    clear(body);
    const list = sorted();
    for (const c of list) {
      const tr = el('tr', { data: { caseId: c.id, status: c.status || '' } });
      if (state.unseen.has(c.id)) tr.classList.add('unseen');
      if (c.id === freshId) tr.classList.add('fresh');
      tr.appendChild(el('td', { cls: 'num', text: c.number || c.id }));
      tr.appendChild(slaCell(c));
      tr.appendChild(el('td', null, badge(CHANNEL_TEXT[c.channel] || c.channel || '?', 'ch')));
      const cat = el('td', { text: c.category || '—' });
      if (c.intent && c.intent !== c.category) cat.appendChild(el('span', { cls: 'sub', text: c.intent }));
      tr.appendChild(cat);
      tr.appendChild(el('td', null, badge(SEVERITY_TEXT[c.severity] || c.severity || '—', 'sev-' + (c.severity || 'normal'))));
      const flags = el('td', { cls: 'flags' });
      flags.appendChild(flagBadges(c.flags));
      tr.appendChild(flags);
      tr.appendChild(el('td', { text: c.display_name || '—' }));
      tr.appendChild(el('td', { cls: 'summary', text: c.summary || '' }));
      tr.appendChild(el('td', null, badge(STATUS_TEXT[c.status] || c.status || '?', 'st-' + c.status)));
      tr.appendChild(el('td', { cls: 'assignee', text: c.assignee || '—' }));
      tr.addEventListener('click', () => { location.hash = '#/case/' + c.id; });
      body.appendChild(tr);
    }
    $('queue-empty').hidden = list.length > 0;
    $('queue-count').textContent = list.length ? list.length + ' шт.' : '';
  }
  setInterval(() => { if (!$('queue-pane').hidden) renderQueue(); }, 30000);

  /* ---------- case page ---------- */
  function scheduleCaseReload() {
    if (state.reloadTimer) return;
    state.reloadTimer = setTimeout(() => { state.reloadTimer = null; if (state.current) loadCase(state.current, false); }, 150);
  }

  async function openCase(id) {
    state.current = id;
    state.unseen.delete(id);
    $('case-error').textContent = '';
    $('reply-error').textContent = '';
    $('reply-text').value = '';
    $('tpl-search').value = '';
    await loadCase(id, true);
  }

  async function loadCase(id, withTemplates) {
    const r = await api('GET', '/api/cases/' + id);
    if (state.current !== id) return;
    if (r.status !== 200) {
      $('case-error').textContent = r.status === 404 ? 'Нет такого обращения.' : (r.data.error || 'Ошибка');
      return;
    }
    state.currentCase = r.data;
    renderCase(r.data);
    if (withTemplates) {
      const t = await api('GET', '/api/cases/' + id + '/templates');
      if (t.status === 200 && state.current === id) {
        state.templates = t.data.templates || [];
        renderTemplates();
      }
    }
  }

  function field(dl, name, value, node) {
    dl.appendChild(el('dt', { text: name }));
    const dd = el('dd', node ? null : { text: value === undefined || value === null || value === '' ? '—' : value });
    if (node) dd.appendChild(node);
    dl.appendChild(dd);
  }

  function renderCase(data) {
    const c = data.case;
    const mine = c.assignee && state.me && c.assignee === state.me.login;
    const admin = state.me && state.me.role === 'admin';
    const open = ['new', 'claimed', 'waiting'].includes(c.status);
    $('case-pane').dataset.caseId = c.id;
    $('case-pane').dataset.status = c.status || '';
    $('case-title').textContent = 'Обращение ' + (c.number || c.id);
    $('case-status').textContent = STATUS_TEXT[c.status] || c.status || '';
    $('case-status').className = 'badge st-' + c.status;
    $('case-assignee').textContent = c.assignee ? 'исполнитель: ' + c.assignee : 'не назначено';
    const mode = (data.conversation && data.conversation.mode) || 'bot';
    $('case-mode').textContent = mode === 'human' ? 'отвечает человек' : 'отвечает бот';
    $('case-mode').className = 'badge mode-' + mode;
    $('case-mode').dataset.mode = mode;

    $('claim-btn').disabled = !open || !!mine;
    $('release-btn').disabled = !open || !c.assignee || !(mine || admin);
    $('handback-btn').disabled = !(mine || admin) || mode !== 'human';
    $('status-btn').disabled = !open || !(mine || admin);
    $('close-btn').disabled = c.status === 'closed' || !(mine || admin);
    $('send-btn').disabled = !open || !mine;
    $('reply-hint').textContent = !open ? 'Обращение закрыто.' : mine ? '' : 'Чтобы ответить, возьмите обращение в работу.';

    const dl = $('case-fields');
    clear(dl);
    field(dl, 'Номер', c.number);
    field(dl, 'Создано', fmtTime(c.created_at));
    field(dl, 'Обновлено', fmtTime(c.updated_at));
    field(dl, 'Срок (SLA)', fmtTime(c.sla_due_at));
    field(dl, 'Канал', CHANNEL_TEXT[c.channel] || c.channel);
    field(dl, 'Чат (peer)', c.peer_id);
    field(dl, 'Пользователь', c.user_id);
    field(dl, 'Имя', c.display_name);
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
    field(dl, 'Телефон', c.phone);
    field(dl, 'Лицевой счёт', c.account);
    field(dl, 'Место', c.location);
    field(dl, 'Категория', c.category);
    field(dl, 'Тема', c.intent);
    field(dl, 'Описание', c.description);
    field(dl, 'Не сообщил', (c.not_given || []).join(', '));
    field(dl, 'Важность', SEVERITY_TEXT[c.severity] || c.severity);
    const fl = el('span');
    fl.appendChild(flagBadges(c.flags));
    field(dl, 'Признаки', null, fl.childNodes.length ? fl : el('span', { text: '—' }));
    field(dl, 'Суть', c.summary);
    field(dl, 'Предложенные шаблоны', (c.suggested_templates || []).join(', '));
    field(dl, 'Статус', STATUS_TEXT[c.status] || c.status);
    field(dl, 'Исполнитель', c.assignee);
    field(dl, 'Итог', c.resolution);
    field(dl, 'Версия ответов', c.replyset_version);

    const tr = $('transcript');
    const atBottom = tr.scrollHeight - tr.scrollTop - tr.clientHeight < 40;
    clear(tr);
    for (const m of c.transcript || []) {
      const from = ['customer', 'bot', 'operator'].includes(m.from) ? m.from : 'bot';
      const who = from === 'customer' ? (c.display_name || 'клиент') : from === 'bot' ? 'бот' : (m.operator || 'сотрудник');
      const box = el('div', { cls: 'msg msg-' + from, data: { from } });
      box.appendChild(el('span', { cls: 'meta', text: who + ' · ' + fmtTime(m.at) }));
      box.appendChild(el('span', { cls: 'text', text: m.text || '' }));
      tr.appendChild(box);
    }
    if (atBottom || tr.dataset.caseId !== String(c.id)) tr.scrollTop = tr.scrollHeight;
    tr.dataset.caseId = String(c.id);

    const notes = $('notes');
    clear(notes);
    for (const n of c.notes || []) notes.appendChild(el('li', { text: fmtTime(n.at) + ' ' + (n.author || '') + ': ' + (n.text || '') }));
    const hist = $('history');
    clear(hist);
    for (const h of c.history || []) hist.appendChild(el('li', { text: fmtTime(h.at) + ' — ' + (STATUS_TEXT[h.status] || h.status) + (h.by ? ' (' + h.by + ')' : '') }));
    const audit = $('audit');
    clear(audit);
    for (const a of data.audit || []) audit.appendChild(el('li', { text: fmtTime(a.at) + ' ' + a.actor + ': ' + a.action + (a.detail ? ' — ' + a.detail : '') }));
  }

  function renderTemplates() {
    const q = $('tpl-search').value.trim().toLowerCase();
    const ul = $('tpl-list');
    clear(ul);
    const list = state.templates.filter((t) => !q || t.id.toLowerCase().includes(q) || t.filled.toLowerCase().includes(q));
    list.sort((a, b) => (b.suggested ? 1 : 0) - (a.suggested ? 1 : 0));
    for (const t of list) {
      const li = el('li', { data: { template: t.id } });
      if (t.suggested) li.classList.add('suggested');
      li.appendChild(el('span', { cls: 'tpl-id', text: t.id }));
      li.appendChild(el('span', { cls: 'tpl-text', text: t.filled }));
      li.addEventListener('click', () => {
        $('reply-text').value = t.filled;
        $('reply-text').dataset.template = t.id;
        $('reply-text').focus();
        markPlaceholders();
      });
      ul.appendChild(li);
    }
  }
  $('tpl-search').addEventListener('input', renderTemplates);

  function markPlaceholders() {
    const m = $('reply-text').value.match(/\{[a-z_]+\}/);
    $('reply-error').textContent = m ? 'Заполните ' + m[0] + ' перед отправкой.' : '';
    return !m;
  }
  $('reply-text').addEventListener('input', () => {
    if (!$('reply-text').value) delete $('reply-text').dataset.template;
    markPlaceholders();
  });

  async function act(path, body, errBox) {
    errBox = errBox || $('case-error');
    errBox.textContent = '';
    const r = await api('POST', '/api/cases/' + state.current + path, body || {});
    if (r.status !== 200) {
      errBox.textContent = r.data.error || ('Ошибка ' + r.status);
      if (r.data.holder) errBox.dataset.holder = r.data.holder;
      return null;
    }
    state.currentCase = { ...state.currentCase, case: r.data.case };
    await loadCase(state.current, false);
    return r.data;
  }

  $('claim-btn').addEventListener('click', () => act('/claim'));
  $('release-btn').addEventListener('click', () => act('/release'));
  $('handback-btn').addEventListener('click', () => act('/handback', { notify: true }));
  $('status-btn').addEventListener('click', () => act('/status', { status: $('status-select').value }));
  $('close-btn').addEventListener('click', () => {
    const res = $('resolution').value.trim();
    if (!res) { $('case-error').textContent = 'Укажите итог, чтобы закрыть обращение.'; return; }
    act('/close', { resolution: res });
  });
  $('send-btn').addEventListener('click', async () => {
    const text = $('reply-text').value;
    if (!text.trim()) { $('reply-error').textContent = 'Пустой ответ.'; return; }
    if (!markPlaceholders()) return;
    const body = { text };
    if ($('reply-text').dataset.template) body.template = $('reply-text').dataset.template;
    $('send-btn').disabled = true;
    const r = await act('/reply', body, $('reply-error'));
    $('send-btn').disabled = false;
    if (r) { $('reply-text').value = ''; delete $('reply-text').dataset.template; }
  });
  $('note-btn').addEventListener('click', async () => {
    const text = $('note-text').value;
    if (!text.trim()) return;
    const r = await act('/note', { text });
    if (r) $('note-text').value = '';
  });

  /* ---------- admin ---------- */
  async function loadStats() {
    const r = await api('GET', '/api/stats');
    const body = $('stats-body');
    clear(body);
    if (r.status !== 200) { body.appendChild(el('tr', null, el('td', { text: r.data.error || 'нет доступа' }))); return; }
    $('replies-version').textContent = 'набор ответов: ' + (r.data.replies_version || '?');
    const t = r.data.today, w = r.data.week;
    const channels = new Set([...Object.keys(t.messages || {}), ...Object.keys(w.messages || {})]);
    const row = (name, a, b) => body.appendChild(el('tr', null, el('th', { text: name }), el('td', { text: a }), el('td', { text: b })));
    for (const ch of channels) row('Сообщений: ' + (CHANNEL_TEXT[ch] || ch), (t.messages || {})[ch] || 0, (w.messages || {})[ch] || 0);
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
      box.appendChild(el('div', { text: 'Загружено. Версия: ' + d.version }));
      const counts = d.counts || {};
      box.appendChild(el('div', { text: Object.keys(counts).map((k) => k + ': ' + counts[k]).join(', ') }));
    } else {
      box.classList.add('bad');
      box.appendChild(el('div', { text: 'Набор ответов не загружен, работает прежний.' + (d.error ? ' ' + d.error : '') }));
      const ul = el('ul', { cls: 'plain', data: { role: 'errors' } });
      for (const e of d.errors || []) {
        const line = typeof e === 'string' ? e : (e.file || '') + ':' + (e.line || '') + (e.col ? ':' + e.col : '') + ': ' + (e.message || e.msg || '');
        ul.appendChild(el('li', { text: line }));
      }
      box.appendChild(ul);
    }
    loadStats();
  });

  /* ---------- routing ---------- */
  function route() {
    if (!state.me) return;
    const h = location.hash || '#/queue';
    const m = h.match(/^#\/case\/(\d+)$/);
    $('queue-pane').hidden = !!m || h === '#/admin';
    $('case-pane').hidden = !m;
    $('admin-pane').hidden = h !== '#/admin';
    if (m) {
      openCase(parseInt(m[1], 10));
    } else {
      state.current = null;
      if (h === '#/admin') loadStats();
      else renderQueue();
    }
  }
  window.addEventListener('hashchange', route);

  loadPrefs();
  setLive(false);
  start();
})();
