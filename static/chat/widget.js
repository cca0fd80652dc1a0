/*! Parley visitor chat widget: what every page loads (launcher, unread badge, sound, the
 * socket). The panel is widget-panel.js, fetched on first open. No dependencies; see docs/widget.md.
 * <script src="https://chat.example.com/static/chat/widget.js" data-site="KEY" defer></script>
 */
(function (win, doc) {
  "use strict";
  var PATH = "/static/chat/widget.js";
  var ID_RE = /^[A-Za-z0-9_-]{8,64}$/;
  var RESTART_CODES = { invalid_token: 1, forbidden: 1, auth_required: 1, conversation_taken: 1 };
  // Refusals of a message's files: resending it would only be refused again.
  var FILE_CODES = { attachment_not_found: 1, attachment_used: 1, too_many: 1 };
  var QUIET_CODES = { invalid_page: 1, hello_first: 1 }; // page reports: nothing to tell the visitor
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

  var cfg = null, root = null, launcher = null, badgeEl = null;
  var isOpen = false, wantOpen = false, wantFocus = false, loading = false;
  var ws = null, attempts = 0, timer = 0, hold = false, refused = false, restarts = 0, lastErr = "";
  var maxId = 0, readSent = 0, unread = 0, readTimer = 0;
  var outbox = []; // {cid, text, a: attachment ids, s: its socket}
  var pageTimer = 0, pageAt = 0, pageSent = "";
  var idPending = null, idWait = false;
  var handlers = {}, sound = true, audio = null;
  // V: the panel once widget-panel.js has run; until then Q keeps the frames it will draw.
  var V = null, Q = [];
  // What the panel reads and calls (it lives in another script, so not in this closure).
  var W = {
    S: S, T: T, tr: tr, h: h, srv: server, key: key, rid: rid, icon: icon, send: send, post: post, identify: identify, emit: emit,
    close: function (focus) { close(focus); }, style: style, markRead: markRead,
    online: true, status: null, agentName: null, rating: null, email: "", attached: false, connText: "", errText: ""
  };
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

  function needed() { return isOpen || wantOpen || outbox.length > 0 || S.keep; }

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
      W.attached = false;
      idWait = false;
      closed(e.code);
    };
  }

  function disconnect() {
    var sock = ws;
    ws = null;
    W.attached = false;
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
      if (m.s !== ws) { m.s = ws; send({ type: "chat.message", message: m.text, client_id: m.cid, attachments: m.a }); }
    });
  }

  // A message the visitor typed: sent now, or resent on every socket until its echo.
  // The same client_id and files each time: the server stores it once.
  function post(cid, text, ids) {
    outbox.push({ cid: cid, text: text, a: ids && ids.length ? ids : undefined, s: null });
    keep();
    if (ws) flush(); else connect();
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

  function clear() {
    maxId = readSent = 0;
    W.status = W.agentName = W.rating = null;
    Q = [];
    if (V) V.clear();
  }

  function view(f) {
    if (V) V.frame(f);
    else if (f.type !== "typing") Q.push(f); // a stale "is typing" is not worth replaying
  }

  function frame(f) {
    var t = f.type;
    if (t === "session") {
      if (f.token) { S.t = f.token; save(); pageSent = ""; page(); }
      setOnline(f.agents_online !== false);
    } else if (t === "status") {
      W.attached = true;
      attempts = 0; // only a socket the server took in resets the backoff
      lastErr = "";
      W.status = f.status;
      W.agentName = f.agent_name || null;
      W.rating = f.rating;
    } else if (t === "chat.message") {
      if (!message(f)) return;
    } else if (t === "agents") {
      setOnline(!!f.online);
    } else if (t === "identified") {
      if (f.token) S.t = f.token;
      idPending = null;
      idWait = false;
      if (f.email) W.email = f.email;
      keep();
      view(f);
      emit("identified", { name: f.name, email: f.email, verified: !!f.verified });
      if (f.conversation_id && f.conversation_id !== S.c && ID_RE.test(f.conversation_id)) switchTo(f.conversation_id);
      else flush();
      return;
    } else if (t === "error") {
      error(f);
      return;
    } else if (t !== "typing" && t !== "read") {
      return;
    }
    view(f);
    if (t === "status" || t === "chat.message") markRead();
  }

  function error(f) {
    lastErr = f.code;
    if (idWait && IDENTIFY_CODES[f.code]) {
      idWait = false;
      idPending = null;
      flush();
    }
    if (f.code === "invalid_token") { S.t = null; save(); }
    if (FILE_CODES[f.code]) {
      // Messages go in order: the first one with files still unanswered was refused.
      var bad = outbox.filter(function (m) { return m.a && m.s === ws; })[0];
      if (bad) {
        outbox.splice(outbox.indexOf(bad), 1);
        view({ type: "failed", client_id: bad.cid });
      }
    }
    if (QUIET_CODES[f.code]) return;
    if (f.code === "rate_limited") {
      setTimeout(function () { outbox.forEach(function (m) { m.s = null; }); flush(); }, 2000);
    }
    if (!RESTART_CODES[f.code]) alert(T[f.code] || f.message || T.error);
    emit("error", { code: f.code, message: f.message });
  }

  // The page the visitor is on, for the agents: at attach and on navigation, the latest one
  // winning. The server ignores a report within a second of the one before, timed when it
  // handles them; 1.5 s apart leaves room for one that waited in its queue.
  function page() {
    if (pageTimer || !S.t) return;
    pageTimer = setTimeout(function () {
      pageTimer = 0;
      var p = { url: location.href, title: doc.title.slice(0, 200) }, k = p.url + " " + p.title;
      if (k === pageSent || !/^https?:/.test(p.url)) return;
      if (send({ type: "page", content: p })) { pageSent = k; pageAt = Date.now(); }
    }, Math.max(50, pageAt + 1500 - Date.now()));
  }
  function onNav() { if (ws) page(); }

  function setOnline(value) {
    W.online = value && cfg.away_reason != "closed";
  }

  // The core's part of a message: the outbox, the unread count, the events. False: no id.
  function message(f) {
    var id = +f.id;
    if (!id) return false;
    if (f.client_id) outbox = outbox.filter(function (m) { return m.cid !== f.client_id; });
    if (id > maxId) {
      maxId = id;
      if (f.sender === "agent" && !isOpen && id > S.s) {
        unread++;
        badge();
        ding();
        emit("unread", { count: unread, message: f.message, agent_name: f.agent_name });
        load(); // so that opening shows it at once
      }
      emit("message", { id: id, sender: f.sender, message: f.message });
    }
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
      if (W.attached && maxId > readSent && send({ type: "read", last_seen_id: maxId })) readSent = maxId;
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
  // Styles as constructed stylesheets (no style-src needed), else a <style> element.
  function style(css) {
    try {
      var sheet = new CSSStyleSheet();
      sheet.replaceSync(css);
      root.adoptedStyleSheets = root.adoptedStyleSheets.concat([sheet]);
    } catch (e) {
      root.append(h("style", {}, css));
    }
  }
  function alert(text) { W.errText = text; if (V) V.alert(text); }
  function conn(text) { W.connText = text; if (V) V.conn(text); }
  function badge() {
    badgeEl.hidden = !unread;
    badgeEl.childNodes[1].textContent = unread > 9 ? "9+" : unread;
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

  function build() {
    var host = h("parley-chat");
    root = host.attachShadow({ mode: "open" });
    style(CSS);
    var accent = /^#[0-9a-fA-F]{6}$/.test(cfg.accent_color) ? cfg.accent_color : "#4f46e5";
    var n = parseInt(accent.slice(1), 16);
    var light = ((n >> 16) * 299 + ((n >> 8) & 255) * 587 + (n & 255) * 114) / 1000 > 160;
    var un = tr("unread", "\u0001").split("\u0001"), label = cfg.launcher_label;
    badgeEl = h("span", { class: "bd", id: "pu", hidden: true }, [h("span", { class: "sr" }, un[0]), "", h("span", { class: "sr" }, un[1])]);
    launcher = h("button", {
      class: "l" + (label ? " lb" : ""), type: "button", "aria-label": label ? null : T.open, "aria-haspopup": "dialog",
      "aria-expanded": "false", "aria-describedby": "pu"
    }, [icon("M4 3h16a2 2 0 0 1 2 2v11a2 2 0 0 1-2 2H9l-5 4v-4a2 2 0 0 1-2-2V5a2 2 0 0 1 2-2z"), label || "", badgeEl]);
    var wrap = W.wrap = h("div", { class: "w" + (cfg.position === "left" ? " lf" : ""), dir: cfg.dir, lang: cfg.lang }, launcher);
    wrap.style.setProperty("--a", accent);
    wrap.style.setProperty("--f", light ? "#111" : "#fff");
    root.append(wrap);
    launcher.onclick = function () { open(true); };
    doc.documentElement.append(host); // <html>, not <body>: some pages swap <body>
  }

  // widget-panel.js, once per page; it calls Parley._panel when it runs.
  function load() {
    if (V || loading || !cfg) return;
    loading = true;
    var el = h("script", { src: server + "/static/chat/widget-panel.js", async: true });
    el.onerror = function () { loading = false; console.warn("Parley: the chat panel could not load"); };
    (doc.head || doc.documentElement).append(el);
  }

  function open(focus) {
    if (!V) {
      wantOpen = true;
      wantFocus = wantFocus || focus;
      load();
      connect(); // meanwhile: the panel draws what arrived when it comes
      return;
    }
    if (!isOpen) {
      isOpen = true;
      wantOpen = false;
      V.show();
      launcher.hidden = true;
      launcher.setAttribute("aria-expanded", "true");
      unread = 0;
      badge();
      S.o = 1;
      save();
      if (!ws) connect();
      markRead();
      emit("open");
    }
    if (focus) V.focus();
    wantFocus = false;
  }

  function close(focus) {
    wantOpen = false;
    if (!V || !isOpen) return;
    isOpen = false;
    V.hide();
    launcher.hidden = false;
    launcher.setAttribute("aria-expanded", "false");
    S.o = 0;
    save();
    if (focus) launcher.focus();
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
    ".lb{width:auto;border-radius:28px;padding:0 20px;font-weight:600}.lf .l{right:auto;left:20px}",
    ".bd{position:absolute;top:-4px;inset-inline-end:-4px;min-width:20px;height:20px;padding:0 5px;border-radius:10px;background:#d1242f;",
    "color:#fff;font-size:12px;font-weight:700;line-height:20px;text-align:center}"
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
    push: function (call) { api[call[0]].apply(api, call.slice(1)); },
    // Internal: widget-panel.js hands over its panel here.
    _panel: function (make) {
      if (V) return;
      V = make(W);
      Q.splice(0).forEach(V.frame);
      if (wantOpen || S.o || preview) open(wantFocus);
    }
  };
  queued.forEach(api.push);

  win.addEventListener("online", function () { if (!ws && needed()) { attempts = 0; connect(); } });
  // Single-page sites navigate with the history API: wrapped, each call still does what it did.
  ["pushState", "replaceState"].forEach(function (n) {
    var orig = history[n];
    if (typeof orig === "function") history[n] = function () { var r = orig.apply(this, arguments); onNav(); return r; };
  });
  win.addEventListener("popstate", onNav);
  win.addEventListener("hashchange", onNav);
  doc.addEventListener("visibilitychange", markRead);

  (preview ? Promise.resolve(JSON.parse(preview)) : fetch(server + "/widget/" + encodeURIComponent(key) + "/config.json?lang=" +
    encodeURIComponent(navigator.language || ""), { credentials: "omit", cache: "no-store" })
    .then(function (r) { if (!r.ok) throw new Error("HTTP " + r.status); return r.json(); }))
    .then(function (c) {
      cfg = W.cfg = c;
      T = W.T = c.t || {};
      W.online = c.agents_online !== false && c.away_reason != "closed";
      build();
      if (S.keep) connect(); // fetch replies that came meanwhile
      if (wantOpen || S.o || preview) open(wantFocus);
      emit("ready");
    })
    .catch(function (e) { console.warn("Parley: the chat widget could not load its settings", e); });
})(window, document);
