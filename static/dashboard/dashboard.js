// Parley agent dashboard: the little behaviour htmx does not give us for free.
// The server renders every panel; this file only handles keys, sounds and titles.
(function () {
  "use strict";
  var sockets = {}; // data-socket name -> htmx ws wrapper
  var baseTitle = document.title;
  var lastTyping = 0;
  var lastRead = 0;

  // The page's words for the script, in the agent's language (data-text-* on <body>).
  function text(key, fallback) {
    var value = document.body.dataset["text" + key.charAt(0).toUpperCase() + key.slice(1)];
    return value || fallback;
  }
  // The agent's notification preferences (their profile), on <body>: per event
  // (data-notify-waiting="sound desktop", chat.notifications), else the two switches.
  function wants(way, event) {
    var data = document.body.dataset;
    var ways = data["notify" + event.charAt(0).toUpperCase() + event.slice(1)];
    if (ways !== undefined) return ways.split(" ").indexOf(way) >= 0;
    return data["notify" + way.charAt(0).toUpperCase() + way.slice(1)] === "1";
  }

  // After a restart, reconnect within seconds: full jitter, the bound doubling from 1 s up
  // to 10 s (the ws extension's own goes to 64 s, a minute of "Reconnecting…" for an
  // agent; agents are few, so coming back sooner costs the server little).
  if (window.htmx) {
    window.htmx.config.wsReconnectDelay = function (retries) {
      return 250 + Math.random() * Math.min(10000, 1000 * Math.pow(2, retries));
    };
  }

  function socketName(elt) {
    var host = elt && elt.closest ? elt.closest("[data-socket]") : null;
    return host ? host.getAttribute("data-socket") : null;
  }

  function send(name, payload) {
    var wrapper = sockets[name];
    if (wrapper) wrapper.send(JSON.stringify(payload));
  }

  // --- connection state ------------------------------------------------------------
  var openSockets = {};
  function showConnection() {
    var names = Array.prototype.map.call(document.querySelectorAll("[data-socket]"), function (e) {
      return e.getAttribute("data-socket");
    });
    var allOpen = names.every(function (n) { return openSockets[n] === "open"; });
    var refused = names.some(function (n) { return openSockets[n] === "refused"; });
    var state = refused ? "refused" : allOpen ? "online" : "reconnecting";
    document.body.setAttribute("data-connection", state);
    var label = document.getElementById("connection");
    if (label) {
      label.textContent = state === "online" ? text("live", "Live") : state === "refused"
        ? text("refused", "Disconnected: sign in again") : text("reconnecting", "Reconnecting…");
    }
  }
  document.addEventListener("htmx:wsOpen", function (e) {
    var name = socketName(e.target);
    sockets[name] = e.detail.socketWrapper;
    openSockets[name] = "open";
    showConnection();
  });
  document.addEventListener("htmx:wsClose", function (e) {
    var name = socketName(e.target);
    var code = e.detail.event && e.detail.event.code;
    openSockets[name] = code >= 4400 && code < 4500 ? "refused" : "closed";
    showConnection();
    if (code === 4401) window.location.assign("/accounts/login/?next=" + encodeURIComponent(location.pathname));
  });

  // --- incoming frames: title, notifications, read markers --------------------------
  function poolCount() {
    var total = 0;
    document.querySelectorAll("data.pool-count").forEach(function (d) { total += parseInt(d.value, 10) || 0; });
    return total;
  }
  function updateTitle() {
    var n = poolCount();
    var total = document.getElementById("pool-total");
    if (total) total.textContent = n ? "(" + n + ")" : "";
    document.title = n ? "(" + n + ") " + baseTitle : baseTitle;
  }
  function beep() {
    try {
      var Ctx = window.AudioContext || window.webkitAudioContext;
      var ctx = new Ctx();
      var osc = ctx.createOscillator();
      var gain = ctx.createGain();
      osc.frequency.value = 880;
      gain.gain.value = 0.08;
      osc.connect(gain); gain.connect(ctx.destination);
      osc.start(); osc.stop(ctx.currentTime + 0.15);
    } catch (err) { /* no audio: the title still says it */ }
  }
  function notify(event, body) {
    if (wants("sound", event)) beep();
    if (wants("desktop", event) && window.Notification && Notification.permission === "granted") {
      new Notification("Parley", { body: body, tag: "parley" });
    }
  }
  function frameTops(html) {
    var frame = document.createElement("template");
    frame.innerHTML = html;
    return Array.prototype.slice.call(frame.content.children);
  }
  // A row arriving in Mine while the page is in the background: assigned to the agent
  // (a transfer, automatic assignment), not claimed by them in this tab.
  function arrivesInMine(html) {
    return frameTops(html).some(function (top) {
      return top.getAttribute("hx-swap-oob") === "afterbegin:#mine-list";
    });
  }
  // Unread messages in a row's summary (chat.events swaps it alone for a message): not
  // in a whole row redrawn for its labels.
  function announcesUnread(html) {
    return frameTops(html).some(function (top) {
      return top.classList.contains("row-summary") && top.querySelector(".unread");
    });
  }
  document.addEventListener("htmx:wsBeforeMessage", function (e) {
    var html = e.detail.message || "";
    var name = socketName(e.target);
    if (document.hidden) {
      if (html.indexOf("beforeend:#pool-list") >= 0) notify("waiting", text("waiting", "A visitor is waiting"));
      else if (name === "inbox" && html.indexOf("afterbegin:#mine-list") >= 0 && arrivesInMine(html))
        notify("assigned", text("assigned", "A conversation was assigned to you"));
      else if (name === "inbox" && html.indexOf('class="unread"') >= 0 && announcesUnread(html))
        notify("message", text("message", "New message in one of your conversations"));
    }
  });
  document.addEventListener("htmx:wsAfterMessage", function (e) {
    updateTitle();
    var html = e.detail.message || "";
    if (socketName(e.target) === "conversation" && html.indexOf("msg-visitor") >= 0) {
      scrollTranscript();
      markRead();
    } else if (socketName(e.target) === "conversation") {
      scrollTranscript();
    }
    localTimes();
  });
  var readTimer = 0;
  function markRead() {
    if (document.visibilityState !== "visible" || readTimer) return;
    // At most one read a second, but never drop the last one: send it when the second is up.
    var wait = Math.max(0, 1000 - (Date.now() - lastRead));
    readTimer = setTimeout(function () {
      readTimer = 0;
      lastRead = Date.now();
      send("conversation", { type: "read" });
    }, wait);
  }
  document.addEventListener("visibilitychange", markRead);
  function scrollTranscript() {
    var log = document.querySelector('[role="log"]');
    if (log && log.parentElement) log.parentElement.scrollTop = log.parentElement.scrollHeight;
  }

  // --- composer: Enter sends, typing, canned responses ------------------------------
  function cannedList(textarea) { return textarea.form && textarea.form.querySelector(".canned"); }
  function visibleOptions(list) {
    return Array.prototype.filter.call(list.querySelectorAll("[role=option]"), function (o) { return !o.hidden; });
  }
  function insertCanned(textarea, option) {
    textarea.value = option.getAttribute("data-text");
    cannedList(textarea).hidden = true;
    textarea.focus();
  }
  document.addEventListener("input", function (e) {
    var textarea = e.target;
    if (!textarea.matches || !textarea.matches("textarea[data-composer]")) return;
    var now = Date.now();
    if (now - lastTyping > 1500) { lastTyping = now; send("conversation", { type: "typing" }); }
    var list = cannedList(textarea);
    if (!list) return;
    var match = /^\/(\S*)$/.exec(textarea.value);
    if (!match) { list.hidden = true; return; }
    var any = false;
    list.querySelectorAll("[role=option]").forEach(function (option, i) {
      var show = option.getAttribute("data-shortcut").indexOf(match[1]) === 0;
      option.hidden = !show;
      option.removeAttribute("aria-selected");
      any = any || show;
    });
    var first = visibleOptions(list)[0];
    if (first) first.setAttribute("aria-selected", "true");
    list.hidden = !any;
  });
  document.addEventListener("keydown", function (e) {
    var textarea = e.target;
    if (!textarea.matches || !textarea.matches("textarea[data-composer]")) return;
    var list = cannedList(textarea);
    if (list && !list.hidden) {
      var options = visibleOptions(list);
      var current = options.findIndex(function (o) { return o.getAttribute("aria-selected") === "true"; });
      if (e.key === "ArrowDown" || e.key === "ArrowUp") {
        e.preventDefault();
        var next = (current + (e.key === "ArrowDown" ? 1 : options.length - 1)) % options.length;
        options.forEach(function (o) { o.removeAttribute("aria-selected"); });
        options[next].setAttribute("aria-selected", "true");
        return;
      }
      if ((e.key === "Enter" || e.key === "Tab") && current >= 0) {
        e.preventDefault();
        insertCanned(textarea, options[current]);
        return;
      }
      if (e.key === "Escape") { list.hidden = true; e.preventDefault(); return; } // not a blur
    }
    if (e.key === "Enter" && !e.shiftKey && !e.isComposing) {
      e.preventDefault();
      // Files alone make a message too (composer-files.js puts their ids in the form).
      if (textarea.value.trim() || textarea.form.querySelector('input[name="attachments"]')) textarea.form.requestSubmit();
    }
  });
  document.addEventListener("click", function (e) {
    var option = e.target.closest && e.target.closest(".canned [role=option]");
    if (option) insertCanned(option.closest("form").querySelector("textarea"), option);
    if (e.target.matches && e.target.matches(".flash-close")) {
      var flash = document.getElementById("flash");
      flash.textContent = "";
    }
    if (e.target.id === "enable-notifications" && window.Notification) {
      Notification.requestPermission();
    }
  });
  document.addEventListener("change", function (e) {
    if (e.target.matches && e.target.matches("select[data-autosubmit]")) e.target.form.requestSubmit();
    // Turning desktop notifications on in the profile asks the browser's permission.
    if (e.target.name === "notify_desktop" && e.target.checked && window.Notification) {
      Notification.requestPermission();
    }
  });
  // An append is an upsert: a row drawn by a fresh panel and appended by a broadcast that
  // crossed it on the wire must not appear twice.
  document.addEventListener("htmx:oobBeforeSwap", function (e) {
    var fragment = e.detail && e.detail.fragment;
    var target = e.detail && e.detail.target;
    if (!fragment || !fragment.children || !target) return;
    Array.prototype.forEach.call(fragment.children, function (child) {
      if (!child.id || child.id === target.id) return; // a replacement, not an append
      var old = document.getElementById(child.id);
      if (old) old.remove();
    });
  });

  // Transfer menus follow the team lists (data-team-site), which the server redraws when
  // someone's presence changes: only available agents, never the assignee.
  function refreshTransferMenus() {
    document.querySelectorAll("select[data-transfer-site]").forEach(function (select) {
      var team = document.querySelector('[data-team-site="' + select.getAttribute("data-transfer-site") + '"]');
      if (!team) return;
      var chosen = select.value;
      var assignee = select.getAttribute("data-assignee");
      select.textContent = "";
      team.querySelectorAll('li[data-available="1"]').forEach(function (li) {
        if (li.getAttribute("data-agent") === assignee) return;
        var option = document.createElement("option");
        option.value = li.getAttribute("data-agent");
        option.textContent = li.querySelector(".name").textContent;
        select.appendChild(option);
      });
      if (chosen) select.value = chosen;
      select.disabled = !select.options.length;
      var button = select.form && select.form.querySelector("button");
      if (button) button.disabled = select.disabled;
    });
  }
  document.addEventListener("htmx:oobAfterSwap", function (e) {
    var target = e.detail && e.detail.target;
    if (target && target.hasAttribute && (target.hasAttribute("data-team-site") || target.classList.contains("conv-header"))) {
      refreshTransferMenus();
    }
  });

  // The server hands back a fresh composer after each stored reply: keep the caret there.
  document.addEventListener("htmx:oobAfterSwap", function (e) {
    var target = e.detail && e.detail.target;
    if (target && target.classList && target.classList.contains("composer") &&
        (document.activeElement === document.body || !document.activeElement)) {
      var textarea = target.querySelector("textarea");
      if (textarea) textarea.focus();
    }
  });

  // --- presence: an agent at the keyboard is not idle (auto-away after the idle period) --
  var lastActivity = 0;
  function activity() {
    var now = Date.now();
    if (now - lastActivity < 60000 || openSockets.inbox !== "open") return;
    lastActivity = now;
    send("inbox", { type: "activity" });
  }
  ["keydown", "pointerdown", "pointermove", "focus", "visibilitychange"].forEach(function (name) {
    window.addEventListener(name, function () { if (!document.hidden) activity(); }, { passive: true });
  });

  function localTimes() {
    document.querySelectorAll("time[data-tz]").forEach(function (t) {
      try {
        t.textContent = new Date().toLocaleTimeString([], { timeZone: t.getAttribute("data-tz"), hour: "2-digit", minute: "2-digit" }) +
          " (" + t.getAttribute("data-tz") + ")";
      } catch (err) { /* unknown zone: leave the name */ }
    });
  }

  // --- favicon: the number waiting plus unread, drawn as an SVG data URL ----------------
  var lastBadge = null;
  function updateFavicon(n) {
    var link = document.getElementById("favicon");
    if (!link || n === lastBadge) return;
    if (!link.getAttribute("data-plain")) link.setAttribute("data-plain", link.href);
    lastBadge = n;
    if (!n) { link.href = link.getAttribute("data-plain"); return; }
    var label = n > 99 ? "99+" : String(n);
    var svg = '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 32 32">' +
      '<rect x="2" y="4" width="28" height="20" rx="6" fill="#4f46e5"/><path d="M9 24l-2 6 8-6z" fill="#4f46e5"/>' +
      '<circle cx="22" cy="10" r="10" fill="#dc2626"/>' +
      '<text x="22" y="14.5" font-size="' + (label.length > 2 ? 9 : 13) + '" font-family="sans-serif" font-weight="700" text-anchor="middle" fill="#fff">' +
      label + "</text></svg>";
    link.href = "data:image/svg+xml," + encodeURIComponent(svg);
  }
  function unreadCount() {
    var total = 0;
    document.querySelectorAll("#mine-list .unread").forEach(function (u) { total += parseInt(u.textContent, 10) || 0; });
    return total;
  }
  function updateBadges() { updateFavicon(poolCount() + unreadCount()); }

  // --- theme: the system's unless the agent chose; remembered per agent -------------------
  var agentId = document.body.getAttribute("data-agent") || "";
  var themeKey = "parley:theme:" + agentId;
  function effectiveTheme() {
    var chosen = document.documentElement.getAttribute("data-theme");
    if (chosen) return chosen;
    return window.matchMedia && window.matchMedia("(prefers-color-scheme: dark)").matches ? "dark" : "light";
  }
  function applyTheme(theme, remember) {
    if (theme) document.documentElement.setAttribute("data-theme", theme);
    else document.documentElement.removeAttribute("data-theme");
    if (remember) {
      try { localStorage.setItem(themeKey, theme); } catch (err) { /* private mode: the cookie remembers */ }
      document.cookie = "parley_theme=" + theme + "; path=/; max-age=31536000; samesite=lax";
    }
    var toggle = document.querySelector("[data-theme-toggle]");
    if (toggle) toggle.setAttribute("aria-pressed", effectiveTheme() === "dark" ? "true" : "false");
  }
  function restoreTheme() {
    var stored = null;
    try { stored = agentId && localStorage.getItem(themeKey); } catch (err) { stored = null; }
    // Another agent on this browser may have left the cookie: this agent's choice wins.
    if ((stored === "dark" || stored === "light") && stored !== document.documentElement.getAttribute("data-theme")) applyTheme(stored, true);
    else applyTheme(document.documentElement.getAttribute("data-theme"), false);
  }
  if (window.matchMedia) {
    var scheme = window.matchMedia("(prefers-color-scheme: dark)");
    if (scheme.addEventListener) scheme.addEventListener("change", function () { applyTheme(document.documentElement.getAttribute("data-theme"), false); });
  }

  // --- panes on a phone: lists, conversation, visitor ----------------------------------
  function showPane(name) {
    var main = document.getElementById("main");
    if (!main) return;
    main.setAttribute("data-pane", name);
    document.querySelectorAll("[data-pane-target]").forEach(function (b) {
      b.setAttribute("aria-pressed", b.getAttribute("data-pane-target") === name ? "true" : "false");
    });
  }

  // --- seen ticks, avatars, the status banner -------------------------------------------
  function seenTicks() {
    document.querySelectorAll("[data-seen-up-to]").forEach(function (seen) {
      var upTo = parseInt(seen.getAttribute("data-seen-up-to"), 10) || 0;
      var log = seen.parentElement && seen.parentElement.querySelector('[role="log"]');
      if (!log) return;
      log.querySelectorAll(".msg-agent").forEach(function (msg) {
        var tick = msg.querySelector(".tick");
        var isSeen = upTo && (parseInt(msg.getAttribute("data-id"), 10) || 0) <= upTo;
        if (isSeen && !tick) {
          tick = document.createElement("span");
          tick.className = "tick";
          tick.setAttribute("role", "img");
          tick.setAttribute("aria-label", text("seen", "Seen"));
          tick.title = text("seen", "Seen");
          tick.textContent = "✓";
          var who = msg.querySelector(".who");
          (who || msg).appendChild(tick);
        } else if (!isSeen && tick) {
          tick.remove();
        }
      });
    });
  }
  function avatars() {
    document.querySelectorAll(".avatar[data-hue]").forEach(function (a) {
      a.style.setProperty("--hue", a.getAttribute("data-hue"));
    });
  }
  // Label colours: CSP forbids style attributes, so the colour travels as data-color.
  function labelColors() {
    document.querySelectorAll(".chip[data-color]").forEach(function (chip) {
      var color = chip.getAttribute("data-color");
      if (/^#[0-9a-fA-F]{6}$/.test(color)) chip.style.setProperty("--label-color", color);
    });
  }
  function statusBanner() {
    var banner = document.querySelector("[data-status-banner]");
    var select = document.getElementById("availability-select");
    if (banner && select) banner.hidden = select.value === "online";
  }
  document.addEventListener("click", function (e) {
    var target = e.target.closest ? e.target.closest("[data-pane-target], [data-theme-toggle], [data-shortcuts-open], [data-go-online], [data-menu-toggle]") : null;
    if (!target) return;
    if (target.hasAttribute("data-pane-target")) showPane(target.getAttribute("data-pane-target"));
    else if (target.hasAttribute("data-menu-toggle")) {
      var open = target.getAttribute("aria-expanded") !== "true";
      target.setAttribute("aria-expanded", open ? "true" : "false");
      target.closest(".topbar").classList.toggle("menu-open", open);
    }
    else if (target.hasAttribute("data-theme-toggle")) applyTheme(effectiveTheme() === "dark" ? "light" : "dark", true);
    else if (target.hasAttribute("data-shortcuts-open")) openShortcuts();
    else if (target.hasAttribute("data-go-online")) {
      var select = document.getElementById("availability-select");
      if (select) { select.value = "online"; select.form.requestSubmit(); statusBanner(); }
    }
  });
  document.addEventListener("change", function (e) {
    if (e.target.id === "availability-select") statusBanner();
  });

  // --- keyboard shortcuts: never while typing in a field ---------------------------------
  var NOT_TYPED = /^(radio|checkbox|button|submit|reset|range|color|file)$/;
  function typingIn(el) {
    if (!el || !el.tagName) return false;
    if (el.tagName === "INPUT") return !NOT_TYPED.test(el.type);
    return el.isContentEditable || el.tagName === "TEXTAREA" || el.tagName === "SELECT";
  }
  // On an inbox view page (data-inbox-view) j/k move through its list, not the live ones.
  function listScope() { return document.querySelector("[data-inbox-view]") ? "[data-inbox-view]" : ".lists"; }
  function listLinks() {
    return Array.prototype.filter.call(document.querySelectorAll(listScope() + " .convlist a"), function (a) {
      return a.offsetParent !== null || a.getClientRects().length;
    });
  }
  function moveInList(step, arrow) {
    var links = listLinks();
    if (!links.length) return false;
    // The arrows scroll the page unless the agent is in the lists (or nowhere in particular).
    var active = document.activeElement;
    if (arrow && active && active !== document.body && !active.closest(listScope())) return false;
    var current = links.indexOf(document.activeElement);
    if (current < 0) current = links.findIndex(function (a) { return a.classList.contains("is-current"); });
    var next = current < 0 ? (step > 0 ? 0 : links.length - 1) : Math.min(links.length - 1, Math.max(0, current + step));
    links.forEach(function (a) { a.classList.remove("is-current"); });
    links[next].classList.add("is-current");
    if (listScope() === ".lists" && document.getElementById("main").getAttribute("data-pane") !== "lists" &&
        window.matchMedia("(max-width: 900px)").matches) showPane("lists");
    links[next].focus();
    return true;
  }
  function openShortcuts() {
    var dialog = document.getElementById("shortcuts");
    if (dialog && !dialog.open) dialog.showModal();
  }
  function clickAction(name) {
    var control = document.querySelector('[data-shortcut-action="' + name + '"]');
    if (!control || control.disabled) return false;
    if (control.tagName === "SELECT") control.focus();
    else control.click();
    return true;
  }
  function composer() { return document.querySelector("textarea[data-composer]"); }
  var pendingG = 0;
  document.addEventListener("keydown", function (e) {
    if (e.defaultPrevented || e.ctrlKey || e.metaKey || e.altKey || e.isComposing) return;
    if (!document.getElementById("main") || !document.querySelector(".layout")) return; // not the workspace
    if (typingIn(e.target)) {
      if (e.key === "Escape" && e.target.blur && !(e.target.form && e.target.form.querySelector(".canned:not([hidden])"))) e.target.blur();
      return;
    }
    if (document.querySelector("dialog[open]")) return; // the shortcuts list, the image viewer
    var key = e.key;
    if (pendingG && Date.now() - pendingG < 1500) {
      pendingG = 0;
      if (key === "i") { e.preventDefault(); window.location.assign(document.body.getAttribute("data-inbox-url") || "/"); }
      return;
    }
    pendingG = 0;
    var handled = true;
    if (key === "j" || key === "ArrowDown") handled = moveInList(1, key !== "j");
    else if (key === "k" || key === "ArrowUp") handled = moveInList(-1, key !== "k");
    else if (key === "Enter") {
      var chosen = document.querySelector(listScope() + " .convlist a.is-current");
      var idle = !document.activeElement || document.activeElement === document.body;
      if (chosen && idle) chosen.click();
      else handled = false; // a focused link or button does its own Enter
    }
    else if (key === "c") handled = clickAction("claim");
    else if (key === "r") handled = clickAction("resolve");
    else if (key === "t") handled = clickAction("transfer");
    else if (key === "n") {
      var note = document.querySelector('.composer input[name="type"][value="note"]');
      var reply = document.querySelector('.composer input[name="type"][value="reply"]');
      if (note && reply) { (note.checked ? reply : note).checked = true; showPane("conversation"); composer().focus(); }
      else handled = false;
    }
    else if (key === "/") {
      var textarea = composer();
      if (textarea) {
        showPane("conversation");
        textarea.focus();
        if (!textarea.value) {
          textarea.value = "/";
          textarea.dispatchEvent(new Event("input", { bubbles: true }));
        }
      } else handled = false;
    }
    else if (key === "g") pendingG = Date.now();
    else if (key === "?") openShortcuts();
    else handled = false;
    if (handled) e.preventDefault();
  });

  // Message times in the agent's own time zone (the server renders its own).
  function agentTimes() {
    document.querySelectorAll("time[data-local-time]:not([data-localised])").forEach(function (t) {
      var when = new Date(t.getAttribute("datetime"));
      if (isNaN(when)) return;
      t.textContent = when.toLocaleTimeString([], { hour: "2-digit", minute: "2-digit", hourCycle: "h23" });
      t.title = when.toLocaleString();
      t.setAttribute("data-localised", "");
    });
  }
  function refreshDecorations() { updateBadges(); seenTicks(); avatars(); labelColors(); statusBanner(); agentTimes(); }
  document.addEventListener("htmx:wsAfterMessage", refreshDecorations);
  document.addEventListener("DOMContentLoaded", function () {
    updateTitle(); localTimes(); scrollTranscript(); restoreTheme(); refreshDecorations();
  });
})();
