/* deskbot local web chat: a customer's side of the "web" channel. Messages go over a
 * WebSocket at /chat/ws; every text is shown with textContent, never as HTML. A message
 * stays pending (and is sent again after a reconnect, with the same id, which the server
 * deduplicates) until the server acknowledges it. */
'use strict';

(function () {
  const $ = (id) => document.getElementById(id);
  const pending = new Map(); /* id -> {frame, node} */
  let ws = null;
  let retry = 0;
  let seq = 0;

  function newId() {
    if (window.crypto && crypto.getRandomValues) {
      const b = new Uint8Array(12);
      crypto.getRandomValues(b);
      return Array.from(b, (x) => x.toString(16).padStart(2, '0')).join('');
    }
    return 'm' + Date.now().toString(36) + (seq++);
  }

  function who(from) {
    return from === 'customer' ? 'вы' : from === 'operator' ? 'сотрудник поддержки' : 'бот';
  }

  /* The daemon's clock less the browser's, from the hello frame: "today" is the
   * daemon's today, whatever the browser's clock says. */
  let skewMs = 0;
  function nowMs() { return Date.now() + skewMs; }

  /* "14:05" today, "3 дек., 14:05" on another day. */
  function timeText(ms) {
    const d = new Date(ms || nowMs());
    const hm = d.toLocaleTimeString('ru-RU', { hour: '2-digit', minute: '2-digit' });
    if (d.toDateString() === new Date(nowMs()).toDateString()) return hm;
    return d.toLocaleDateString('ru-RU', { day: 'numeric', month: 'short' }) + ', ' + hm;
  }

  /* Keeps the newest message in view: after a line is added and whenever the buttons
   * below take or give back room (they shrink the message area). */
  function toBottom() {
    const m = $('messages');
    m.scrollTop = m.scrollHeight;
  }

  /* An approved file a secretary sent: a picture shown, or a link to save it. The URL is
   * the server's own (/chat/files/N, for this chat's cookie only). */
  function addFile(box, file) {
    if (!file || typeof file.url !== 'string' || !file.url.startsWith('/chat/files/')) return;
    const a = document.createElement('a');
    a.className = 'file';
    a.href = file.url;
    a.download = file.name || '';
    if (file.photo) {
      const img = document.createElement('img');
      img.src = file.url;
      img.alt = file.name || '';
      img.addEventListener('load', toBottom);
      a.appendChild(img);
    } else {
      a.textContent = '📎 ' + (file.name || '');
    }
    box.appendChild(a);
  }

  function addLine(from, text, atMs, file) {
    const f = ['customer', 'bot', 'operator'].includes(from) ? from : 'bot';
    const box = document.createElement('div');
    box.className = 'msg msg-' + f;
    box.dataset.from = f;
    const w = document.createElement('span');
    w.className = 'who';
    w.textContent = who(f);
    const tm = document.createElement('time');
    tm.className = 'at';
    const at = atMs || nowMs();
    tm.dateTime = new Date(at).toISOString();
    tm.textContent = timeText(at);
    w.appendChild(tm);
    const t = document.createElement('span');
    t.className = 'text';
    t.textContent = text || '';
    box.appendChild(w);
    box.appendChild(t);
    addFile(box, file);
    $('messages').appendChild(box);
    $('chat-empty').hidden = true;
    toBottom();
    return box;
  }

  function clearNode(n) { while (n.firstChild) n.removeChild(n.firstChild); }

  function showKeyboard(kb) {
    const k = $('keyboard');
    clearNode(k);
    if (!kb || !Array.isArray(kb.rows)) return;
    for (const row of kb.rows) {
      const r = document.createElement('div');
      r.className = 'kb-row';
      for (const b of row || []) {
        const btn = document.createElement('button');
        btn.type = 'button';
        btn.textContent = b.label || '';
        btn.dataset.payload = b.payload || '';
        btn.addEventListener('click', () => pressed(b));
        r.appendChild(btn);
      }
      k.appendChild(r);
    }
    toBottom();
  }

  function pressed(b) {
    if (b.kind === 'contact') {
      const phone = $('chat-input').value.trim();
      if (!phone) {
        $('chat-error').textContent = 'Введите номер телефона в поле сообщения и нажмите кнопку ещё раз.';
        $('chat-input').focus();
        return;
      }
      $('chat-input').value = '';
      send({ type: 'contact', phone }, phone);
      return;
    }
    send({ type: 'button', label: b.label || '', payload: b.payload || b.label || '' }, b.label || '');
  }

  function send(frame, shown) {
    frame.id = newId();
    $('chat-error').textContent = '';
    const node = addLine('customer', shown);
    node.classList.add('pending');
    pending.set(frame.id, { frame, node });
    if (ws && ws.readyState === WebSocket.OPEN) ws.send(JSON.stringify(frame));
  }

  function setStatus(on) {
    $('chat-status').textContent = on ? 'на связи' : 'нет связи';
    $('chat-status').className = 'status ' + (on ? 'on' : 'off');
    document.body.dataset.connected = on ? 'yes' : 'no';
  }

  function connect() {
    const proto = location.protocol === 'https:' ? 'wss:' : 'ws:';
    ws = new WebSocket(proto + '//' + location.host + '/chat/ws');
    let greeted = false;
    let typingTimer = null;
    ws.addEventListener('open', () => {
      retry = 0;
      ws.send(JSON.stringify({ type: 'hello', name: $('chat-name').value.trim() || undefined }));
    });
    ws.addEventListener('message', (ev) => {
      let m;
      try { m = JSON.parse(ev.data); } catch (e) { return; }
      switch (m.type) {
        case 'hello':
          if (typeof m.now === 'number') skewMs = m.now - Date.now();
          setStatus(true);
          greeted = true;
          document.body.dataset.peer = String(m.peer_id);
          break;
        case 'history': {
          const msgs = $('messages');
          clearNode(msgs);
          let last = null;
          for (const l of m.lines || []) { addLine(l.from, l.text, l.at, l.file); last = l; }
          /* An empty chat says what it is for (the page's own words, not the bot's). */
          $('chat-empty').hidden = !!last || pending.size > 0;
          showKeyboard(last && last.from !== 'customer' ? last.keyboard : null);
          /* Whatever was not acknowledged goes again (the server drops duplicates). */
          for (const p of pending.values()) {
            p.node = addLine('customer', p.frame.text || p.frame.label || p.frame.phone || '');
            p.node.classList.add('pending');
            ws.send(JSON.stringify(p.frame));
          }
          break;
        }
        case 'typing':
          /* A secretary is writing: shown until the reply comes or 6 s pass (the
           * console repeats the notice every 4 s while the typing goes on). */
          $('chat-typing').hidden = false;
          clearTimeout(typingTimer);
          typingTimer = setTimeout(() => { $('chat-typing').hidden = true; }, 6000);
          break;
        case 'message':
          if (m.from !== 'customer') { clearTimeout(typingTimer); $('chat-typing').hidden = true; }
          addLine(m.from, m.text, m.at, m.file);
          if (m.from !== 'customer') showKeyboard(m.keyboard);
          break;
        case 'ack': {
          const p = pending.get(m.id);
          if (p) { p.node.classList.remove('pending'); pending.delete(m.id); }
          break;
        }
        case 'error': {
          $('chat-error').textContent = m.error || 'Ошибка';
          /* Too fast: the message was not stored; it goes again a little later. */
          const p = m.code === 'rate_limited' && pending.get(m.id);
          if (p) setTimeout(() => { if (pending.has(m.id) && ws.readyState === 1) ws.send(JSON.stringify(p.frame)); }, 1500);
          break;
        }
        default:
          break;
      }
    });
    ws.addEventListener('close', () => {
      setStatus(false);
      const delay = Math.min(10000, 500 * Math.pow(2, retry++));
      /* Refused twice before any hello: the chat token may have expired or been issued
       * by a server that has since restarted. Loading the page again gets a new one
       * (the cookie is HttpOnly, so only the server can set it). */
      if (!greeted && retry >= 2) {
        fetch('/chat', { credentials: 'same-origin', cache: 'no-store' })
          .catch(() => {}).then(() => setTimeout(connect, delay));
        return;
      }
      setTimeout(connect, delay);
    });
  }

  $('chat-form').addEventListener('submit', (ev) => {
    ev.preventDefault();
    const text = $('chat-input').value;
    if (!text.trim()) return;
    $('chat-input').value = '';
    send({ type: 'message', text }, text);
  });

  try {
    $('chat-name').value = localStorage.getItem('deskbot.chat.name') || '';
  } catch (e) { /* no storage */ }
  $('chat-name').addEventListener('change', () => {
    try { localStorage.setItem('deskbot.chat.name', $('chat-name').value.trim()); } catch (e) { /* ignore */ }
  });

  /* The buttons and the phone's keyboard change the room the messages have. */
  if (window.ResizeObserver) new ResizeObserver(toBottom).observe($('messages'));
  window.addEventListener('resize', toBottom);

  setStatus(false);
  connect();
})();
