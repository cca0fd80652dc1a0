/*! Parley visitor chat widget: the panel (transcript, composer with files, rating, email form).
 * widget.js loads it on first open; it draws into widget.js's shadow root. The emoji picker
 * is widget-emoji.js, fetched when its button is first pressed. See docs/widget.md.
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
    ".tm img{display:block;width:100%;height:100%;border-radius:50%;object-fit:cover}",
    ".x{background:none;border:0;color:inherit;padding:4px;display:flex}",
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
    ".c{position:relative;display:flex;gap:4px;align-items:flex-end;padding:10px 12px;border-top:1px solid #e3e5e8}",
    ".c textarea{flex:1;min-width:0;resize:none;max-height:120px;min-height:38px}.cm{padding:6px 0 0;border:0}",
    ".c button,.id button{border:0;border-radius:8px;padding:8px 14px;background:var(--a);color:var(--f);font-weight:600}",
    ".c .ib,.ib{background:none;border:0;border-radius:8px;padding:8px 4px;display:flex;color:#656d76}",
    ".ib svg,.x svg{fill:none;stroke:currentColor;stroke-width:2;stroke-linecap:round;stroke-linejoin:round;width:22px;height:22px}",
    ".fs{display:flex;flex-wrap:wrap;gap:4px;margin-top:4px}.visitor .fs{justify-content:flex-end}",
    ".th{padding:0;border:1px solid #e3e5e8;border-radius:10px;overflow:hidden;background:#e3e5e8}",
    ".th img,.th canvas{display:block;object-fit:cover;font-size:12px}",
    ".fc{display:flex;align-items:center;gap:6px;padding:6px;padding-inline-start:10px;background:#fff;border:1px solid #e3e5e8;border-radius:10px;max-width:260px}",
    ".fc span{flex:1;min-width:0;overflow-wrap:anywhere;font-size:13px}.fc small,.ch small{display:block;color:#656d76;font-size:11px}",
    ".ch{list-style:none;margin:0;padding:6px 12px 0;display:flex;flex-wrap:wrap;gap:6px}.ch:empty{display:none}",
    ".ch li{display:flex;align-items:center;gap:6px;max-width:100%;padding:2px;padding-inline-start:10px;background:#f0f1f3;border-radius:8px;font-size:12px}",
    ".ch li.bad{background:#fdecea;color:#b42318}.ch li>span{min-width:0;max-width:200px;overflow-wrap:anywhere}.ch progress{width:56px}",
    ".ch .ib svg{width:16px;height:16px}.dz{outline:3px dashed var(--a);outline-offset:-3px}",
    ".vw{position:absolute;inset:0;z-index:2;display:flex;flex-direction:column;background:rgba(0,0,0,.88)}",
    ".vw img,.vw canvas{flex:1;min-height:0;width:100%;object-fit:contain;padding:0 8px 8px}.vw div{display:flex;justify-content:flex-end;padding:8px}.vw .ib{color:#fff}",
    "@media (max-width:480px){.p{right:0;bottom:0;width:100%;height:100%;max-width:none;max-height:none;border-radius:0}",
    "input,textarea{font-size:16px}}" // 16px keeps iOS from zooming in on focus
  ].join("");
  // Icons (stroked paths).
  var CLIP = "M21 11l-8.5 8.5a5 5 0 0 1-7-7L14 4a3.4 3.4 0 0 1 4.8 4.8l-8.5 8.5a1.7 1.7 0 0 1-2.4-2.4L15.5 7.3";
  var SMILE = "M12 3a9 9 0 1 0 0 18 9 9 0 0 0 0-18zM8 14s1.5 2 4 2 4-2 4-2M9 9.5h.01M15 9.5h.01";
  var DOWN = "M12 4v11M7 10l5 5 5-5M5 20h14", X = "M6 6l12 12M18 6L6 18";
  win.Parley._panel(function (W) {
    var cfg = W.cfg, T = W.T, tr = W.tr, h = W.h, icon = W.icon, doc = win.document;
    var nodes = {}, pending = {}, seenUpTo = 0, lastTyping = 0, typingTimer = 0;
    var rated = false, commented = false, askEmail = false;
    var chips = [], blobs = [], emoji = null, io = null;
    var u = {};

    function message(f) {
      var id = +f.id, mine = f.client_id && pending[f.client_id];
      if (mine) delete pending[f.client_id];
      if (nodes[id]) { if (mine) mine.remove(); return; } // each message once
      var el = mine || bubble(f.sender, String(f.message || ""), f.agent_name, f.attachments), at = new Date(f.created_at);
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
      if (chips.some(function (c) { return !c.a && !c.bad; })) { alert(T.wait); return false; }
      var files = chips.filter(function (c) { return c.a; });
      if (!text && !files.length) return false;
      if (cfg.max_length && text.length > cfg.max_length) {
        alert(tr("long", cfg.max_length));
        return false;
      }
      var cid = W.rid(8), list = files.map(function (c) { return c.a; });
      var el = bubble("visitor", text, null, list);
      state(el, "sending");
      u.log.append(el);
      pending[cid] = el;
      files.forEach(function (c) { c.sent = 1; unchip(c); });
      W.post(cid, text, list.map(function (a) { return a.id; }));
      scroll();
      return true;
    }

    // Links: http(s) only, made with DOM APIs from the text (never parsed as HTML).
    function linkify(el, text) {
      var re = /\bhttps?:\/\/[^\s<>"']*[^\s<>"'.,;:!?)\]]/g, i = 0, m;
      while ((m = re.exec(text))) {
        el.append(text.slice(i, m.index), h("a", { href: m[0], target: "_blank", rel: "noopener nofollow ugc" }, m[0]));
        i = re.lastIndex;
      }
      el.append(text.slice(i));
    }
    function bubble(sender, text, name, files) {
      var who = sender === "visitor" ? T.you : sender === "agent" ? name || T.agent : "";
      var body = "";
      if (text) {
        body = h("p", { class: "tx", dir: "auto" }); // a visitor's own script, whatever the widget's
        linkify(body, text);
      }
      var meta = h("span", { class: "mt", "aria-hidden": sender === "agent" ? "true" : null }, sender === "agent" ? who : "");
      return h("div", { class: "m " + (who ? sender : "system") }, [who ? h("span", { class: "sr" }, who + ": ") : "", body,
        files && files.length ? h("div", { class: "fs" }, files.map(file)) : "", meta]);
    }

    // --- files shown: fetched with the visitor token (an <img> cannot send it), shown as blob: URLs
    function fetchBlob(url) {
      return fetch(url, { headers: { Authorization: "Bearer " + W.S.t }, credentials: "omit" })
        .then(function (r) { if (!r.ok) throw new Error("HTTP " + r.status); return r.blob(); });
    }
    // Shows the blob in img and returns its URL. A page whose CSP refuses blob: images
    // (img-src without blob:) gets the picture drawn on a canvas instead.
    function picture(img, blob) {
      var url = URL.createObjectURL(blob);
      img.onerror = function () {
        img.onerror = null;
        createImageBitmap(blob).then(function (bm) {
          var c = h("canvas", { width: bm.width, height: bm.height, role: "img", "aria-label": img.alt });
          c.getContext("2d").drawImage(bm, 0, 0);
          if (img.getAttribute("width")) { c.style.width = img.width + "px"; c.style.height = img.height + "px"; }
          img.replaceWith(c);
        }, function () { /* the alt text stays */ });
      };
      img.src = url;
      return url;
    }
    function kind(a) { var m = /\.(\w{1,5})$/.exec(a.name); return m ? m[1].toUpperCase() : a.type; }
    function size(n) {
      var mb = n >= 1e6, v = mb ? n / 1e6 : Math.max(1, n / 1e3);
      try {
        return new Intl.NumberFormat(cfg.lang, { style: "unit", unit: mb ? "megabyte" : "kilobyte", maximumFractionDigits: mb ? 1 : 0 }).format(v);
      } catch (e) { return Math.round(v) + (mb ? " MB" : " kB"); }
    }
    function file(a) {
      if (a.thumbnail_url) {
        var s = Math.min(1, 200 / (a.width || 200), 160 / (a.height || 160));
        var img = h("img", { alt: a.name, width: Math.round((a.width || 160) * s), height: Math.round((a.height || 120) * s) });
        var b = h("button", { class: "th", type: "button", title: a.name }, img);
        img.u = a.thumbnail_url;
        if (io) io.observe(img); else thumb(img);
        b.onclick = function () { view(a, b); };
        return b;
      }
      var dl = h("button", { class: "ib", type: "button", "aria-label": tr("download", a.name) }, icon(DOWN));
      dl.onclick = function () { save(a); };
      return h("div", { class: "fc" }, [h("span", { dir: "auto" }, [a.name, h("small", {}, kind(a) + " · " + size(a.size))]), dl]);
    }
    function thumb(img) {
      fetchBlob(img.u).then(function (b) { blobs.push(picture(img, b)); }, function () { /* the alt text stays */ });
    }
    function save(a) {
      fetchBlob(a.url).then(function (b) {
        var url = URL.createObjectURL(b), l = h("a", { href: url, download: a.name, hidden: true });
        u.panel.append(l);
        l.click();
        l.remove();
        setTimeout(function () { URL.revokeObjectURL(url); }, 60000);
      }, function () { alert(T.error); });
    }
    // The full image in the panel; Escape or the close button goes back to its thumbnail.
    function view(a, from) {
      unview();
      var img = h("img", { alt: a.name, src: from.firstChild.src || null });
      var dl = h("button", { class: "ib", type: "button", "aria-label": tr("download", a.name) }, icon(DOWN));
      var x = h("button", { class: "ib", type: "button", "aria-label": T.closeView }, icon(X));
      var v = u.view = h("div", { class: "vw", role: "dialog", "aria-modal": "true", "aria-label": a.name }, [h("div", {}, [dl, x]), img]);
      v.back = from;
      dl.onclick = function () { save(a); };
      x.onclick = unview;
      u.panel.append(v);
      x.focus();
      fetchBlob(a.url).then(function (b) {
        if (u.view === v) v.b = picture(img, b);
      }, function () { /* the thumbnail stays */ });
    }
    function unview() {
      var v = u.view;
      if (!v) return;
      u.view = null;
      v.remove();
      if (v.b) URL.revokeObjectURL(v.b);
      v.back.focus();
    }

    // --- files attached: each uploads at once (XMLHttpRequest, for its progress)
    function add(list) {
      [].forEach.call(list || [], function (f) { upload(f, f.name); });
      u.text.focus();
    }
    function upload(f, name) {
      var c = {}, bar = c.bar = h("progress", { max: "1", value: "0", "aria-label": T.progress });
      var btn = c.btn = h("button", { class: "ib", type: "button", "aria-label": T.cancel }, icon(X));
      c.el = h("li", {}, [h("span", { dir: "auto" }, [name, c.note = h("small", {}, size(f.size))]), bar, btn]);
      btn.onclick = function () { unchip(c); u.text.focus(); };
      chips.push(c);
      u.chips.append(c.el);
      if (chips.filter(function (k) { return !k.bad; }).length > (cfg.max_files || 5)) return fail(c, "too_many");
      if (!f.size) return fail(c, "empty");
      if (cfg.max_file_size && f.size > cfg.max_file_size) return fail(c, "too_large");
      c.go = function () {
        if (c.gone) return;
        var x = c.x = new XMLHttpRequest(), form = new FormData();
        form.append("file", f, name);
        if (W.S.c) form.append("conversation", W.S.c); // created by the first message if new
        x.open("POST", W.srv + "/widget/" + encodeURIComponent(W.key) + "/attachments/");
        x.setRequestHeader("Authorization", "Bearer " + W.S.t);
        x.upload.onprogress = function (e) { if (e.lengthComputable) bar.value = e.loaded / e.total; };
        x.onload = function () {
          var r = {};
          try { r = JSON.parse(x.responseText) || {}; } catch (e) { /* a proxy's page */ }
          c.x = null;
          if (x.status !== 201 || !r.id) return fail(c, r.error, r.message);
          c.a = r;
          bar.remove();
          btn.setAttribute("aria-label", T.remove);
        };
        x.onerror = function () { c.x = null; fail(c); };
        x.send(form);
      };
      if (W.S.t) c.go(); // else once the socket's session brings a token
    }
    function fail(c, code, text) {
      c.bad = 1;
      c.el.className = "bad";
      c.bar.remove();
      c.note.textContent = text = T["f_" + code] || T[code] || text || T.upErr;
      c.btn.setAttribute("aria-label", T.dismiss);
      alert(text);
    }
    function unchip(c) {
      c.gone = 1;
      if (c.x) c.x.abort();
      else if (c.a && !c.sent) {
        fetch(c.a.url, { method: "DELETE", headers: { Authorization: "Bearer " + W.S.t }, credentials: "omit" }).catch(function () {});
      }
      c.el.remove();
      chips.splice(chips.indexOf(c), 1);
    }
    function shot(type) {
      var d = new Date(), p = function (n) { return (n < 10 ? "0" : "") + n; };
      return "screenshot-" + d.getFullYear() + "-" + p(d.getMonth() + 1) + "-" + p(d.getDate()) + "-" +
        p(d.getHours()) + p(d.getMinutes()) + p(d.getSeconds()) + "." + (type.split("/")[1] || "png");
    }
    function dragging(e) {
      if (!e.dataTransfer || [].indexOf.call(e.dataTransfer.types, "Files") < 0) return false;
      e.preventDefault();
      return true;
    }

    // The picker is its own file, fetched on the first press of its button.
    function emojiToggle() {
      if (emoji) return emoji.toggle();
      if (u.emojiBtn.loading) return;
      u.emojiBtn.loading = 1;
      win.Parley._emoji = function (make) {
        emoji = make({ h: h, style: W.style, text: u.text, button: u.emojiBtn, at: u.composer, panel: u.panel, T: T });
        emoji.toggle();
      };
      var el = h("script", { src: W.srv + "/static/chat/widget-emoji.js", async: true });
      el.onerror = function () { u.emojiBtn.loading = 0; el.remove(); };
      (doc.head || doc.documentElement).append(el);
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
      unview();
      blobs.splice(0).forEach(URL.revokeObjectURL);
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
      if (t === "failed") {
        // The server refused this message's files: it will not be resent.
        var el = pending[f.client_id];
        delete pending[f.client_id];
        if (el) state(el, "failed");
        return;
      }
      if (t === "session" && W.S.t) chips.forEach(function (c) { if (c.go && !c.x && !c.a && !c.bad) c.go(); });
      if (t === "status" && f.status !== "resolved") rated = commented = false;
      render();
    }

    u.sub = h("span", { class: "sub" });
    u.closeBtn = h("button", { class: "x", type: "button", "aria-label": T.close }, icon(X));
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
    // Thumbnails are fetched when they scroll into view.
    if (win.IntersectionObserver) {
      io = new IntersectionObserver(function (seen) {
        seen.forEach(function (e) { if (e.isIntersecting) { io.unobserve(e.target); thumb(e.target); } });
      }, { root: u.body, rootMargin: "300px" });
    }
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
    u.chips = h("ul", { class: "ch", role: "list", "aria-label": T.files });
    u.files = h("input", { type: "file", multiple: true, hidden: true, tabindex: "-1" });
    u.attach = h("button", { class: "ib", type: "button", "aria-label": T.attach }, icon(CLIP));
    u.emojiBtn = h("button", { class: "ib", type: "button", "aria-label": T.emoji, "aria-expanded": "false" }, icon(SMILE));
    u.composer = h("form", { class: "c" }, [u.attach, u.text, u.emojiBtn, h("button", { type: "submit" }, T.send), u.files]);
    var team = h("div", { class: "tm", "aria-hidden": "true" }, (cfg.team || []).map(function (m) {
      var a = h("span", {}, m.i);
      a.style.background = m.c;
      // A picture is fetched (CORS) and shown from a blob: URL, as received files are;
      // where the page's CSP refuses either, the initials stay.
      if (m.a) fetch(W.srv + m.a).then(function (r) { return r.ok ? r.blob() : null; }).then(function (b) {
        if (!b) return;
        var img = h("img", { alt: "" });
        img.onload = function () { a.textContent = ""; a.append(img); };
        img.src = URL.createObjectURL(b);
      }).catch(function () {});
      return a;
    }));
    u.panel = h("div", { class: "p", role: "dialog", "aria-label": T.chat, hidden: true }, [
      h("div", { class: "h" }, [team, h("div", { class: "hn" }, [h("strong", {}, cfg.name || T.chat), u.sub, cfg.reply_time ? h("span", { class: "sub" }, cfg.reply_time) : ""]), u.closeBtn]),
      u.offline, u.body, u.typing, u.conn, u.err, u.details, u.thanksEmail, u.chips, u.composer
    ]);
    W.style(CSS);
    W.wrap.append(u.panel);

    u.closeBtn.onclick = function () { W.close(true); };
    u.panel.addEventListener("keydown", function (e) {
      if (e.key === "Escape") { e.stopPropagation(); if (u.view) unview(); else W.close(true); }
    });
    u.attach.onclick = function () { u.files.click(); };
    u.files.onchange = function () { add(u.files.files); u.files.value = ""; };
    u.emojiBtn.onclick = emojiToggle;
    // Files dropped anywhere on the panel; the page's own drop zones never see them.
    u.panel.addEventListener("dragenter", function (e) { if (dragging(e)) u.panel.classList.add("dz"); });
    u.panel.addEventListener("dragover", dragging);
    u.panel.addEventListener("dragleave", function (e) { if (!u.panel.contains(e.relatedTarget)) u.panel.classList.remove("dz"); });
    u.panel.addEventListener("drop", function (e) {
      u.panel.classList.remove("dz");
      if (!dragging(e)) return;
      e.stopPropagation();
      add(e.dataTransfer.files);
    });
    // A pasted picture (a screenshot) is attached; with text on the clipboard too (office
    // programs put both), the text is pasted instead.
    u.text.addEventListener("paste", function (e) {
      var d = e.clipboardData, list = [];
      [].forEach.call(d && d.items || [], function (i) { var f = i.kind === "file" && i.getAsFile(); if (f) list.push(f); });
      if (!list.length || d.getData("text/plain")) return;
      e.preventDefault();
      list.forEach(function (f) { upload(f, /^image\//.test(f.type) && /^(image\.\w+)?$/.test(f.name) ? shot(f.type) : f.name); });
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
      hide: function () { unview(); u.panel.hidden = true; },
      focus: function () { u.text.focus(); }
    };
  });

})(window);
