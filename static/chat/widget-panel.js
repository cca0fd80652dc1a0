/*! Parley visitor chat widget: the panel (transcript, composer, rating, email form).
 * widget.js loads it on first open; it draws into widget.js's shadow root. See docs/widget.md.
 */
(function (win) {
  "use strict";
  if (!win.Parley || !win.Parley._panel) return;
  var CSS = [
    ".p{position:fixed;right:20px;bottom:20px;width:370px;max-width:calc(100vw - 40px);height:600px;max-height:calc(100vh - 40px);",
    "display:flex;flex-direction:column;background:#fff;border-radius:12px;overflow:hidden;pointer-events:auto;",
    "box-shadow:0 8px 30px rgba(0,0,0,.25)}.lf .p{right:auto;left:20px}",
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
    ".c textarea{flex:1;resize:none;max-height:120px;min-height:38px}.cm{padding:6px 0 0;border:0}",
    ".c button,.id button{border:0;border-radius:8px;padding:8px 14px;background:var(--a);color:var(--f);font-weight:600}",
    "@media (max-width:480px){.p{right:0;bottom:0;width:100%;height:100%;max-width:none;max-height:none;border-radius:0}",
    "input,textarea{font-size:16px}}" // 16px keeps iOS from zooming in on focus
  ].join("");
  win.Parley._panel(function (W) {
    var cfg = W.cfg, T = W.T, tr = W.tr, h = W.h, icon = W.icon;
    var nodes = {}, pending = {}, seenUpTo = 0, lastTyping = 0, typingTimer = 0;
    var rated = false, commented = false, askEmail = false;
    var u = {};

    function message(f) {
      var id = +f.id, mine = f.client_id && pending[f.client_id];
      if (mine) delete pending[f.client_id];
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
      if (f.sender === "visitor") {
        state(el, id <= seenUpTo ? "seen" : "sent");
        if (!askEmail && (W.status === "waiting" || !W.status)) { askEmail = true; render(); }
      }
      if (f.sender === "agent") typing(null);
      scroll();
    }

    function submit(text) {
      text = text.trim();
      if (!text) return false;
      if (cfg.max_length && text.length > cfg.max_length) {
        alert(tr("long", cfg.max_length));
        return false;
      }
      var cid = W.rid(8);
      var el = bubble("visitor", text);
      state(el, "sending");
      u.log.append(el);
      pending[cid] = el;
      W.post(cid, text);
      scroll();
      return true;
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
      var before = u.log.lastChild;
      while (before && (!before.getAttribute("data-id") || +before.getAttribute("data-id") > id || before === el)) {
        before = before.previousSibling;
      }
      if (el.previousSibling !== before || !el.parentNode) u.log.insertBefore(el, before ? before.nextSibling : u.log.firstChild);
    }
    function clear() {
      [].slice.call(u.log.children).forEach(function (el) { if (el.getAttribute("data-id")) el.remove(); });
      nodes = {};
      seenUpTo = 0;
      render();
    }
    function scroll() { u.body.scrollTop = u.body.scrollHeight; }
    function alert(text) { u.err.textContent = text; }
    function typing(name) {
      clearTimeout(typingTimer);
      u.typing.textContent = name ? tr("typing", name) : "";
      if (name) typingTimer = setTimeout(typing, 5000);
    }

    function render() {
      var status = W.status, away = !W.online && status !== "open", ended = status === "resolved";
      u.sub.textContent = status === "open" && W.agentName ? tr("with", W.agentName)
        : ended ? T.ended : away ? T.away : status === "waiting" ? T.waiting : T.online;
      u.end.hidden = !ended;
      u.offline.hidden = !away;
      u.details.hidden = !!W.email || !(away || (askEmail && status !== "open"));
      u.ask.hidden = away; // the offline message above already asks
      u.thanksEmail.hidden = !W.email;
      u.thanksEmail.textContent = tr("replyTo", W.email);
      var noRate = !ended || (W.rating != null && !rated);
      if (u.rate.hidden && !noRate) { u.rate.hidden = false; scroll(); }
      u.rate.hidden = noRate;
      u.stars.hidden = rated;
      u.comment.hidden = !rated || commented;
      u.rateAsk.textContent = rated ? T.thanks : T.rate;
    }

    function frame(f) {
      var t = f.type;
      if (t === "chat.message") return message(f);
      if (t === "typing") return typing(f.agent_name);
      if (t === "read") {
        seenUpTo = Math.max(seenUpTo, +f.last_read_id || 0);
        for (var id in nodes) if (+id <= seenUpTo && nodes[id].classList.contains("visitor")) state(nodes[id], "seen");
        return;
      }
      if (t === "status" && f.status !== "resolved") rated = commented = false;
      render();
    }

    u.sub = h("span", { class: "sub" });
    u.closeBtn = h("button", { class: "x", type: "button", "aria-label": T.close }, icon("M6 6l12 12M18 6L6 18"));
    u.log = h("div", { class: "log", role: "log", "aria-label": T.log, "aria-relevant": "additions" });
    u.rateAsk = h("p");
    u.stars = h("div", { class: "st" }, [1, 2, 3, 4, 5].map(function (v) {
      var b = h("button", { type: "button", "aria-label": tr("rateN", v) }, "★");
      b.onclick = function () {
        if (W.send({ type: "rate", rating: v })) { rated = true; W.rating = v; render(); u.note.focus(); }
      };
      return b;
    }));
    // After the stars: an optional word on why, sent as the same rating with a comment.
    u.note = h("textarea", { "aria-label": T.comment, placeholder: T.comment, rows: "2", maxlength: "1000" });
    u.comment = h("form", { class: "c cm", hidden: true }, [u.note, h("button", { type: "submit" }, T.send)]);
    u.comment.addEventListener("submit", function (e) {
      e.preventDefault();
      var text = u.note.value.trim();
      if (text && !W.send({ type: "rate", rating: W.rating, comment: text })) return;
      commented = true;
      render();
    });
    u.rate = h("div", { class: "rt", hidden: true }, [u.rateAsk, u.stars, u.comment]);
    u.end = h("p", { class: "ed", hidden: true }, T.endedNote);
    // Sticky at the foot of the transcript: always in view.
    u.body = h("div", { class: "b" }, [h("p", { class: "g" }, cfg.greeting || ""), u.log, h("div", { class: "ft" }, [u.end, u.rate])]);
    u.typing = h("p", { class: "ln", role: "status" });
    u.conn = h("p", { class: "ln", role: "status" }, W.connText);
    u.err = h("p", { class: "ln er", role: "alert" }, W.errText);
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
    W.style(CSS);
    W.wrap.append(u.panel);

    u.closeBtn.onclick = function () { W.close(true); };
    u.panel.addEventListener("keydown", function (e) {
      if (e.key === "Escape") { e.stopPropagation(); W.close(true); }
    });
    u.text.addEventListener("keydown", function (e) {
      if (e.key === "Enter" && !e.shiftKey && !e.isComposing) { e.preventDefault(); u.composer.requestSubmit(); }
    });
    u.text.addEventListener("input", function () {
      u.text.style.height = "auto";
      u.text.style.height = Math.min(u.text.scrollHeight, 120) + "px";
      if (W.attached && Date.now() - lastTyping > 2000 && W.send({ type: "typing" })) lastTyping = Date.now();
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
      W.identify({ name: u.name.value.trim(), email: u.email.value.trim() });
    });
    render();

    return {
      frame: frame,
      clear: clear,
      alert: alert,
      conn: function (text) { u.conn.textContent = text; },
      show: function () { u.panel.hidden = false; scroll(); },
      hide: function () { u.panel.hidden = true; },
      focus: function () { u.text.focus(); }
    };
  });

})(window);
