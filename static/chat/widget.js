/*! Parley visitor chat widget. No dependencies; see docs/widget.md.
 * <script src="https://chat.example.com/static/chat/widget.js" data-site="KEY" defer></script>
 */
(function (win, doc) {
  "use strict";
  var PATH = "/static/chat/widget.js";
  var ID_RE = /^[A-Za-z0-9_-]{8,64}$/;
  var RESTART_CODES = { invalid_token: 1, forbidden: 1, auth_required: 1, conversation_taken: 1 };
  var IDENTIFY_CODES = { identity_rejected: 1, invalid_email: 1, invalid: 1 };
  var T = {}; // every visitor-facing string, from the config
  function tr(k, v) { return (T[k] || "").replace("{}", v); }
  if (win.Parley && win.Parley.version) return; // the snippet was pasted twice

  // --- where we come from: the server is wherever this script was loaded from
  var script = doc.currentScript;
  var server, key;
  function ours(el) {
    try { return new URL(el.src, location.href).pathname.slice(-PATH.length) === PATH; } catch (e) { return false; }
  }
  if (!script || !ours(script)) {
    script = null;
    [].forEach.call(doc.querySelectorAll("script[src]"), function (el) { if (ours(el)) script = el; });
  }
  if (!script || !win.WebSocket) return;
  var src = new URL(script.src, location.href);
  server = src.origin + src.pathname.slice(0, -PATH.length);
  key = script.getAttribute("data-site");
  if (!key) { console.warn("Parley: the script tag needs data-site=\"<widget key>\""); return; }
  var wsBase = server.replace(/^http/, "ws");

  // --- state. S is what survives a reload, in localStorage under one key per site
  var SKEY = "parley:" + key;
  var S = { c: null, t: null, s: 0, o: 0, keep: false };
  try {
    var stored = JSON.parse(localStorage.getItem(SKEY));
    if (stored && ID_RE.test(stored.c)) {
      S = { c: stored.c, t: stored.t || null, s: +stored.s || 0, o: stored.o ? 1 : 0, keep: true };
    }
  } catch (e) { /* storage blocked or corrupt: start without it */ }

  function save() {
    if (!S.keep) return; // nothing stored until the visitor writes
    try { localStorage.setItem(SKEY, JSON.stringify({ c: S.c, t: S.t, s: S.s, o: S.o })); } catch (e) { /* full or blocked */ }
  }
  function keep() { S.keep = true; save(); }
  function forget() {
    S.keep = false;
    try { localStorage.removeItem(SKEY); } catch (e) { /* blocked */ }
  }

  var cfg = null, ui = null, isOpen = false, wantOpen = false;
  var ws = null, attached = false, attempts = 0, timer = 0, hold = false, refused = false, restarts = 0, lastErr = "";
  var maxId = 0, seenUpTo = 0, readSent = 0, unread = 0, lastTyping = 0, typingTimer = 0, readTimer = 0;
  var nodes = {}, pending = {}, outbox = []; // outbox: {cid, text, s: its socket}
  var idPending = null, idWait = false, email = "";
  var online = true, status = null, agentName = null, rating = null, rated = false, askEmail = false;
  var handlers = {}, sound = true, audio = null;
  // The dashboard's preview brings its config and never connects.
  var preview = script.getAttribute("data-preview");

  function rid(bytes) {
    var a = new Uint8Array(bytes);
    (win.crypto || win.msCrypto).getRandomValues(a);
    return [].map.call(a, function (b) { return (b < 16 ? "0" : "") + b.toString(16); }).join("");
  }
  function emit(name, detail) {
    (handlers[name] || []).slice().forEach(function (fn) {
      try { fn(detail); } catch (e) { console.error(e); }
    });
  }

  function needed() { return isOpen || outbox.length > 0 || S.keep; }

  function send(frame) {
    if (ws && ws.readyState === 1) { ws.send(JSON.stringify(frame)); return true; }
    return false;
  }

  function connect() {
    if (ws || refused || hold || preview || !cfg || !needed()) return;
    clearTimeout(timer);
    if (!S.c) S.c = rid(16);
    var sock = ws = new WebSocket(wsBase + "/ws/chat/visitor/" + S.c + "/?site=" + encodeURIComponent(key));
    sock.onopen = function () {
      if (sock !== ws) return;
      var tz = "";
      try { tz = Intl.DateTimeFormat().resolvedOptions().timeZone || ""; } catch (e) { /* old browser */ }
      // last_seen_id: 0 replays the history, the highest id on screen only what was missed.
      send({
        type: "hello", token: S.t || undefined, last_seen_id: maxId, page_url: location.href,
        referrer: doc.referrer, language: navigator.language, time_zone: tz, user_agent: navigator.userAgent
      });
      if (idPending) { idWait = true; send(idPending); }
      flush();
      conn("");
    };
    sock.onmessage = function (e) {
      if (sock !== ws) return;
      var f;
      try { f = JSON.parse(e.data); } catch (err) { return; }
      if (f && typeof f === "object") frame(f);
    };
    sock.onclose = function (e) {
      if (sock !== ws) return;
      ws = null;
      attached = false;
      idWait = false;
      closed(e.code);
    };
  }

  function disconnect() {
    var sock = ws;
    ws = null;
    attached = false;
    if (sock) sock.close(1000);
  }

  function retry(ms) {
    clearTimeout(timer);
    timer = setTimeout(function () { hold = false; connect(); }, ms);
  }

  function closed(code) {
    if (code === 4429) {
      // Over a limit: a minute of quiet, and no early reconnect (online, open, send).
      hold = true;
      conn(T.slow);
      retry(60000 + Math.random() * 15000);
      return;
    }
    if (code >= 4400 && code < 4500) {
      if (RESTART_CODES[lastErr] && restarts++ < 3) {
        // The stored conversation or token is no longer ours: start afresh.
        fresh(lastErr === "invalid_token");
        if (needed()) connect();
        return;
      }
      refused = true;
      conn(T.refused);
      return;
    }
    if (!needed()) return;
    conn(T.lost);
    // Full jitter: a restarted server's sockets come back spread out.
    retry(Math.max(250, Math.random() * Math.min(30000, 1000 * Math.pow(2, Math.min(attempts++, 5)))));
  }

  function flush() {
    if (idWait || !ws || ws.readyState !== 1) return;
    outbox.forEach(function (m) {
      if (m.s !== ws) { m.s = ws; send({ type: "chat.message", message: m.text, client_id: m.cid }); }
    });
  }

  function fresh(dropToken) {
    if (dropToken) S.t = null;
    S.c = rid(16);
    S.s = 0;
    forget();
    if (outbox.length) keep();
    clear();
  }

  function switchTo(id) {
    S.c = id;
    S.s = 0;
    keep();
    clear();
    disconnect();
    connect();
  }

  function frame(f) {
    var t = f.type;
    if (t === "session") {
      if (f.token) { S.t = f.token; save(); }
      setOnline(f.agents_online !== false);
    } else if (t === "status") {
      attached = true;
      attempts = 0; // only a socket the server took in resets the backoff
      lastErr = "";
      status = f.status;
      agentName = f.agent_name || null;
      rating = f.rating;
      if (status !== "resolved") rated = false;
      render();
      markRead();
    } else if (t === "chat.message") {
      message(f);
    } else if (t === "typing") {
      typing(f.agent_name);
    } else if (t === "read") {
      seenUpTo = Math.max(seenUpTo, +f.last_read_id || 0);
      for (var id in nodes) if (+id <= seenUpTo && nodes[id].classList.contains("visitor")) state(nodes[id], "seen");
    } else if (t === "agents") {
      setOnline(!!f.online);
    } else if (t === "identified") {
      if (f.token) S.t = f.token;
      idPending = null;
      idWait = false;
      if (f.email) email = f.email;
      keep();
      render();
      emit("identified", { name: f.name, email: f.email, verified: !!f.verified });
      if (f.conversation_id && f.conversation_id !== S.c && ID_RE.test(f.conversation_id)) switchTo(f.conversation_id);
      else flush();
    } else if (t === "error") {
      error(f);
    }
  }

  function error(f) {
    lastErr = f.code;
    if (idWait && IDENTIFY_CODES[f.code]) {
      idWait = false;
      idPending = null;
      flush();
    }
    if (f.code === "invalid_token") { S.t = null; save(); }
    if (f.code === "rate_limited") {
      setTimeout(function () { outbox.forEach(function (m) { m.s = null; }); flush(); }, 2000);
    }
    if (!RESTART_CODES[f.code]) alert(T[f.code] || f.message || T.error);
    emit("error", { code: f.code, message: f.message });
  }

  function setOnline(value) {
    online = value && cfg.away_reason != "closed";
    render();
  }

  function message(f) {
    var id = +f.id, mine = f.client_id && pending[f.client_id];
    if (!id) return;
    if (mine) {
      delete pending[f.client_id];
      outbox = outbox.filter(function (m) { return m.cid !== f.client_id; });
    }
    if (nodes[id]) { if (mine) mine.remove(); return; } // each message once
    var el = mine || bubble(f.sender, String(f.message), f.agent_name), at = new Date(f.created_at);
    if (+at) {
      el.title = at.toLocaleString(cfg.lang);
      el.t = at.toLocaleTimeString(cfg.lang, { hour: "2-digit", minute: "2-digit" });
      if (f.sender !== "visitor") el.lastChild.textContent += (el.lastChild.textContent ? " · " : "") + el.t;
    }
    el.setAttribute("data-id", id);
    nodes[id] = el;
    place(el, id);
    maxId = Math.max(maxId, id);
    if (f.sender === "visitor") {
      state(el, id <= seenUpTo ? "seen" : "sent");
      if (!askEmail && (status === "waiting" || !status)) { askEmail = true; render(); }
    }
    if (f.sender === "agent") {
      typing(null);
      if (!isOpen && id > S.s) {
        unread++;
        badge();
        ding();
        emit("unread", { count: unread, message: f.message, agent_name: f.agent_name });
      }
    }
    emit("message", { id: id, sender: f.sender, message: f.message });
    markRead();
    scroll();
  }

  function submit(text) {
    text = text.trim();
    if (!text) return false;
    if (cfg.max_length && text.length > cfg.max_length) {
      alert(tr("long", cfg.max_length));
      return false;
    }
    var cid = rid(8);
    var el = bubble("visitor", text);
    state(el, "sending");
    ui.log.append(el);
    pending[cid] = el;
    outbox.push({ cid: cid, text: text, s: null });
    keep();
    if (ws) flush(); else connect();
    scroll();
    return true;
  }

  function identify(o) {
    var p = { type: "identify" };
    ["user_id", "user_hash", "name", "email"].forEach(function (k) {
      if (o && o[k] != null && o[k] !== "") p[k] = k === "name" ? String(o[k]).slice(0, 100) : o[k];
    });
    idPending = p;
    if (ws && ws.readyState === 1) { idWait = true; send(p); } else if (isOpen || S.keep) connect();
  }

  function markRead() {
    if (!isOpen || doc.hidden) return;
    if (maxId > S.s) { S.s = maxId; save(); }
    // Debounced: one receipt for a replayed history.
    clearTimeout(readTimer);
    readTimer = setTimeout(function () {
      if (attached && maxId > readSent && send({ type: "read", last_seen_id: maxId })) readSent = maxId;
    }, 300);
  }

  function h(tag, attrs, kids) {
    var el = doc.createElement(tag);
    for (var k in attrs) if (attrs[k] != null) el.setAttribute(k, attrs[k] === true ? "" : attrs[k]);
    [].concat(kids == null ? [] : kids).forEach(function (c) { el.append(c); });
    return el;
  }
  function icon(d) {
    var NS = "http://www.w3.org/2000/svg", s = doc.createElementNS(NS, "svg"), p = doc.createElementNS(NS, "path");
    s.setAttribute("viewBox", "0 0 24 24");
    s.setAttribute("aria-hidden", "true");
    p.setAttribute("d", d);
    s.append(p);
    return s;
  }
  function linkify(el, text) {
    var re = /\bhttps?:\/\/[^\s<>"']*[^\s<>"'.,;:!?)\]]/g, i = 0, m;
    while ((m = re.exec(text))) {
      el.append(text.slice(i, m.index), h("a", { href: m[0], target: "_blank", rel: "noopener noreferrer nofollow" }, m[0]));
      i = re.lastIndex;
    }
    el.append(text.slice(i));
  }
  function bubble(sender, text, name) {
    var who = sender === "visitor" ? T.you : sender === "agent" ? name || T.agent : "";
    var body = h("p", { class: "tx", dir: "auto" }); // a visitor's own script, whatever the widget's
    linkify(body, text);
    var meta = h("span", { class: "mt", "aria-hidden": sender === "agent" ? "true" : null }, sender === "agent" ? who : "");
    return h("div", { class: "m " + (who ? sender : "system") }, [who ? h("span", { class: "sr" }, who + ": ") : "", body, meta]);
  }
  function state(el, value) {
    el.setAttribute("data-state", value);
    el.lastChild.textContent = (el.t ? el.t + " · " : "") + T[value];
  }
  function place(el, id) {
    // Id order; bubbles awaiting their echo stay last.
    var before = ui.log.lastChild;
    while (before && (!before.getAttribute("data-id") || +before.getAttribute("data-id") > id || before === el)) {
      before = before.previousSibling;
    }
    if (el.previousSibling !== before || !el.parentNode) ui.log.insertBefore(el, before ? before.nextSibling : ui.log.firstChild);
  }
  function clear() {
    [].slice.call(ui.log.children).forEach(function (el) { if (el.getAttribute("data-id")) el.remove(); });
    nodes = {};
    maxId = seenUpTo = readSent = 0;
    status = agentName = rating = null;
    render();
  }
  function scroll() { if (ui) ui.body.scrollTop = ui.body.scrollHeight; }
  function alert(text) { if (ui) ui.err.textContent = text; }
  function conn(text) { if (ui) ui.conn.textContent = text; }
  function typing(name) {
    clearTimeout(typingTimer);
    ui.typing.textContent = name ? tr("typing", name) : "";
    if (name) typingTimer = setTimeout(typing, 5000);
  }
  function badge() {
    ui.badge.hidden = !unread;
    ui.badge.childNodes[1].textContent = unread > 9 ? "9+" : unread;
  }
  function ding() {
    // Made, not fetched; only after a gesture (autoplay rules), or the browser complains.
    var ua = navigator.userActivation;
    if (!sound || !cfg.sound || ua && !ua.hasBeenActive) return;
    try {
      var a = audio = audio || new AudioContext(), o = a.createOscillator(), g = a.createGain(), now = a.currentTime;
      o.frequency.value = 880;
      g.gain.setValueAtTime(0.08, now);
      g.gain.exponentialRampToValueAtTime(0.001, now + 0.4);
      o.connect(g).connect(a.destination);
      o.start();
      o.stop(now + 0.4);
      emit("sound");
    } catch (e) { /* no audio */ }
  }

  function render() {
    if (!ui) return;
    var away = !online && status !== "open";
    var ended = status === "resolved";
    ui.sub.textContent = status === "open" && agentName ? tr("with", agentName)
      : ended ? T.ended : away ? T.away : status === "waiting" ? T.waiting : T.online;
    ui.end.hidden = !ended;
    ui.offline.hidden = !away;
    ui.details.hidden = !!email || !(away || (askEmail && status !== "open"));
    ui.ask.hidden = away; // the offline message above already asks
    ui.thanksEmail.hidden = !email;
    ui.thanksEmail.textContent = tr("replyTo", email);
    var noRate = status !== "resolved" || (rating != null && !rated);
    if (ui.rate.hidden && !noRate) { ui.rate.hidden = false; scroll(); }
    ui.rate.hidden = noRate;
    ui.stars.hidden = rated;
    ui.rateAsk.textContent = rated ? T.thanks : T.rate;
  }

  function build() {
    var host = h("parley-chat");
    var root = host.attachShadow({ mode: "open" });
    try {
      var sheet = new CSSStyleSheet();
      sheet.replaceSync(CSS);
      root.adoptedStyleSheets = [sheet];
    } catch (e) {
      root.append(h("style", {}, CSS));
    }
    var accent = /^#[0-9a-fA-F]{6}$/.test(cfg.accent_color) ? cfg.accent_color : "#4f46e5";
    var n = parseInt(accent.slice(1), 16);
    var light = ((n >> 16) * 299 + ((n >> 8) & 255) * 587 + (n & 255) * 114) / 1000 > 160;

    var u = ui = {};
    var un = tr("unread", "\u0001").split("\u0001"), label = cfg.launcher_label;
    u.badge = h("span", { class: "bd", id: "pu", hidden: true }, [h("span", { class: "sr" }, un[0]), "", h("span", { class: "sr" }, un[1])]);
    u.launcher = h("button", {
      class: "l" + (label ? " lb" : ""), type: "button", "aria-label": label ? null : T.open, "aria-haspopup": "dialog",
      "aria-expanded": "false", "aria-describedby": "pu"
    }, [icon("M4 3h16a2 2 0 0 1 2 2v11a2 2 0 0 1-2 2H9l-5 4v-4a2 2 0 0 1-2-2V5a2 2 0 0 1 2-2z"), label || "", u.badge]);
    u.sub = h("span", { class: "sub" });
    u.closeBtn = h("button", { class: "x", type: "button", "aria-label": T.close }, icon("M6 6l12 12M18 6L6 18"));
    u.log = h("div", { class: "log", role: "log", "aria-label": T.log, "aria-relevant": "additions" });
    u.rateAsk = h("p");
    u.stars = h("div", { class: "st" }, [1, 2, 3, 4, 5].map(function (v) {
      var b = h("button", { type: "button", "aria-label": tr("rateN", v) }, "★");
      b.onclick = function () {
        if (send({ type: "rate", rating: v })) { rated = true; rating = v; render(); }
      };
      return b;
    }));
    u.rate = h("div", { class: "rt", hidden: true }, [u.rateAsk, u.stars]);
    u.end = h("p", { class: "ed", hidden: true }, T.endedNote);
    // Sticky at the foot of the transcript: always in view.
    u.body = h("div", { class: "b" }, [h("p", { class: "g" }, cfg.greeting || ""), u.log, h("div", { class: "ft" }, [u.end, u.rate])]);
    u.typing = h("p", { class: "ln", role: "status" });
    u.conn = h("p", { class: "ln", role: "status" });
    u.err = h("p", { class: "ln er", role: "alert" });
    u.offline = h("p", { class: "off", hidden: true }, cfg.offline_message || "");
    u.name = h("input", { "aria-label": T.name, placeholder: T.name, autocomplete: "name", maxlength: "100" });
    u.email = h("input", { "aria-label": T.email, placeholder: T.email, type: "email", autocomplete: "email", maxlength: "254" });
    u.details = h("form", { class: "id", hidden: true, novalidate: true }, [
      u.ask = h("p", {}, T.ask), u.name, u.email,
      h("button", { type: "submit" }, T.save)
    ]);
    u.thanksEmail = h("p", { class: "off", hidden: true });
    u.text = h("textarea", {
      "aria-label": T.msg, placeholder: T.write, rows: "1", maxlength: cfg.max_length || null
    });
    u.composer = h("form", { class: "c" }, [u.text, h("button", { type: "submit" }, T.send)]);
    var team = h("div", { class: "tm", "aria-hidden": "true" }, (cfg.team || []).map(function (m) {
      var a = h("span", {}, m.i);
      a.style.background = m.c;
      return a;
    }));
    u.panel = h("div", { class: "p", role: "dialog", "aria-label": T.chat, hidden: true }, [
      h("div", { class: "h" }, [team, h("div", { class: "hn" }, [h("strong", {}, cfg.name || T.chat), u.sub, cfg.reply_time ? h("span", { class: "sub" }, cfg.reply_time) : ""]), u.closeBtn]),
      u.offline, u.body, u.typing, u.conn, u.err, u.details, u.thanksEmail, u.composer
    ]);
    var wrap = h("div", { class: "w" + (cfg.position === "left" ? " lf" : ""), dir: cfg.dir, lang: cfg.lang }, [u.launcher, u.panel]);
    wrap.style.setProperty("--a", accent);
    wrap.style.setProperty("--f", light ? "#111" : "#fff");
    root.append(wrap);

    u.launcher.onclick = function () { open(true); };
    u.closeBtn.onclick = function () { close(true); };
    u.panel.addEventListener("keydown", function (e) {
      if (e.key === "Escape") { e.stopPropagation(); close(true); }
    });
    u.text.addEventListener("keydown", function (e) {
      if (e.key === "Enter" && !e.shiftKey && !e.isComposing) { e.preventDefault(); u.composer.requestSubmit(); }
    });
    u.text.addEventListener("input", function () {
      u.text.style.height = "auto";
      u.text.style.height = Math.min(u.text.scrollHeight, 120) + "px";
      if (attached && Date.now() - lastTyping > 2000 && send({ type: "typing" })) lastTyping = Date.now();
    });
    u.composer.addEventListener("submit", function (e) {
      e.preventDefault();
      if (submit(u.text.value)) { u.text.value = ""; u.text.style.height = ""; alert(""); }
      u.text.focus();
    });
    u.details.addEventListener("submit", function (e) {
      e.preventDefault();
      if (!u.email.value.trim() || !u.email.checkValidity()) { alert(T.invalid_email); return; }
      alert("");
      identify({ name: u.name.value.trim(), email: u.email.value.trim() });
    });
    doc.documentElement.append(host); // <html>, not <body>: some pages swap <body>
    render();
  }

  function open(focus) {
    if (!ui) { wantOpen = true; return; }
    if (!isOpen) {
      isOpen = true;
      ui.panel.hidden = false;
      ui.launcher.hidden = true;
      ui.launcher.setAttribute("aria-expanded", "true");
      unread = 0;
      badge();
      S.o = 1;
      save();
      if (!ws) connect();
      markRead();
      scroll();
      emit("open");
    }
    if (focus) ui.text.focus();
  }

  function close(focus) {
    if (!ui || !isOpen) return;
    isOpen = false;
    ui.panel.hidden = true;
    ui.launcher.hidden = false;
    ui.launcher.setAttribute("aria-expanded", "false");
    S.o = 0;
    save();
    if (focus) ui.launcher.focus();
    if (!needed()) disconnect();
    emit("close");
  }

  var CSS = [
    ":host{all:initial!important;display:block!important;position:fixed!important;right:0!important;bottom:0!important;",
    "width:0!important;height:0!important;z-index:2147483000!important;pointer-events:none!important;visibility:visible!important}",
    ".w{font:14px/1.45 system-ui,-apple-system,'Segoe UI',Roboto,Helvetica,Arial,sans-serif;color:#1f2328;text-align:start}",
    "*,*::before,*::after{box-sizing:border-box}[hidden]{display:none!important}",
    "button,input,textarea{font:inherit;color:inherit;margin:0}",
    "button{cursor:pointer}:focus-visible{outline:2px solid var(--a);outline-offset:2px}",
    "svg{width:26px;height:26px;fill:currentColor}",
    ".sr{position:absolute;width:1px;height:1px;overflow:hidden;clip:rect(0 0 0 0);white-space:nowrap}",
    ".l{position:fixed;right:20px;bottom:20px;width:56px;height:56px;border:0;border-radius:50%;background:var(--a);color:var(--f);",
    "display:flex;align-items:center;justify-content:center;gap:8px;pointer-events:auto;box-shadow:0 4px 14px rgba(0,0,0,.25)}",
    ".lb{width:auto;border-radius:28px;padding:0 20px;font-weight:600}.lf .l,.lf .p{right:auto;left:20px}",
    ".bd{position:absolute;top:-4px;inset-inline-end:-4px;min-width:20px;height:20px;padding:0 5px;border-radius:10px;background:#d1242f;",
    "color:#fff;font-size:12px;font-weight:700;line-height:20px;text-align:center}",
    ".p{position:fixed;right:20px;bottom:20px;width:370px;max-width:calc(100vw - 40px);height:600px;max-height:calc(100vh - 40px);",
    "display:flex;flex-direction:column;background:#fff;border-radius:12px;overflow:hidden;pointer-events:auto;",
    "box-shadow:0 8px 30px rgba(0,0,0,.25)}",
    ".h{display:flex;align-items:center;justify-content:space-between;gap:8px;padding:14px 16px;background:var(--a);color:var(--f)}",
    ".h strong,.sub{display:block;font-size:16px}.sub{font-size:13px;opacity:.9}.hn{flex:1;min-width:0}",
    ".tm{display:flex}.tm span{width:30px;height:30px;border-radius:50%;border:2px solid var(--a);color:#fff;font-size:12px;",
    "font-weight:700;line-height:26px;text-align:center}.tm span+span{margin-inline-start:-6px}",
    ".x{background:none;border:0;color:inherit;padding:4px;display:flex}.x svg{fill:none;stroke:currentColor;stroke-width:2;width:22px;height:22px}",
    ".b{flex:1;overflow-y:auto;padding:12px 16px;background:#f6f7f9}",
    ".g{margin:0 0 12px;padding:10px 12px;background:#fff;border-radius:10px;border:1px solid #e3e5e8}",
    ".log{display:flex;flex-direction:column;gap:6px}",
    ".m{display:flex;flex-direction:column;max-width:85%;align-self:flex-start}",
    ".m.visitor{align-self:flex-end;align-items:flex-end}.m.system{align-self:center;color:#656d76;font-size:12px}",
    ".tx{margin:0;padding:8px 12px;border-radius:14px;background:#fff;border:1px solid #e3e5e8;white-space:pre-wrap;overflow-wrap:anywhere}",
    ".visitor .tx{background:var(--a);color:var(--f);border-color:transparent}.system .tx{background:none;border:0;padding:2px}",
    ".tx a{color:inherit;text-decoration:underline}",
    ".mt{font-size:11px;color:#656d76;padding:0 4px}.agent .mt{order:-1}",
    ".ln{margin:0;padding:0 16px;font-size:12px;color:#656d76}.ln:empty{display:none}.er{color:#b42318;padding-top:4px}",
    ".off{margin:0;padding:10px 16px;background:#fff8e1;font-size:13px}",
    ".ft{position:sticky;bottom:0;background:#f6f7f9}",
    ".rt,.ed{margin:0;padding:8px 0;text-align:center}.rt p{margin:0 0 6px}.ed{color:#656d76;font-size:13px}",
    ".st button{background:none;border:0;font-size:24px;color:#c9a400;padding:0 3px}",
    ".id{display:flex;flex-wrap:wrap;gap:6px;padding:10px 16px;border-top:1px solid #e3e5e8}.id p{margin:0;width:100%;font-size:13px}",
    "input,textarea{border:1px solid #c9ced4;border-radius:8px;padding:8px 10px;background:#fff}",
    ".id input{flex:1 1 120px;min-width:0}",
    ".c{display:flex;gap:8px;align-items:flex-end;padding:10px 12px;border-top:1px solid #e3e5e8}",
    ".c textarea{flex:1;resize:none;max-height:120px;min-height:38px}",
    ".c button,.id button{border:0;border-radius:8px;padding:8px 14px;background:var(--a);color:var(--f);font-weight:600}",
    "@media (max-width:480px){.p{right:0;bottom:0;width:100%;height:100%;max-width:none;max-height:none;border-radius:0}",
    "input,textarea{font-size:16px}}" // 16px keeps iOS from zooming in on focus
  ].join("");

  var queued = Array.isArray(win.Parley) ? win.Parley : [];
  var api = win.Parley = {
    version: "1",
    open: function () { open(true); },
    close: function () { close(false); },
    identify: identify,
    sound: function (on) { sound = on !== false; },
    on: function (name, fn) {
      (handlers[name] = handlers[name] || []).push(fn);
      return function () { handlers[name] = handlers[name].filter(function (f) { return f !== fn; }); };
    },
    push: function (call) { api[call[0]].apply(api, call.slice(1)); }
  };
  queued.forEach(api.push);

  win.addEventListener("online", function () { if (!ws && needed()) { attempts = 0; connect(); } });
  doc.addEventListener("visibilitychange", markRead);

  (preview ? Promise.resolve(JSON.parse(preview)) : fetch(server + "/widget/" + encodeURIComponent(key) + "/config.json?lang=" +
    encodeURIComponent(navigator.language || ""), { credentials: "omit", cache: "no-store" })
    .then(function (r) { if (!r.ok) throw new Error("HTTP " + r.status); return r.json(); }))
    .then(function (c) {
      cfg = c;
      T = c.t || {};
      online = c.agents_online !== false && c.away_reason != "closed";
      build();
      if (S.keep) connect(); // fetch replies that came meanwhile
      if (wantOpen || S.o || preview) open(wantOpen);
      emit("ready");
    })
    .catch(function (e) { console.warn("Parley: the chat widget could not load its settings", e); });
})(window, document);
