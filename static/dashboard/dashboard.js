// Parley agent dashboard: the little behaviour htmx does not give us for free.
// The server renders every panel; this file only handles keys, sounds and titles.
(function () {
  "use strict";
  var sockets = {}; // data-socket name -> htmx ws wrapper
  var baseTitle = document.title;
  var lastTyping = 0;
  var lastRead = 0;

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
      label.textContent = state === "online" ? "Live" : state === "refused"
        ? "Disconnected: sign in again" : "Reconnecting…";
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
  function notify(text) {
    beep();
    if (window.Notification && Notification.permission === "granted") {
      new Notification("Parley", { body: text, tag: "parley" });
    }
  }
  document.addEventListener("htmx:wsBeforeMessage", function (e) {
    var html = e.detail.message || "";
    var name = socketName(e.target);
    if (document.hidden) {
      if (html.indexOf("beforeend:#pool-list") >= 0) notify("A visitor is waiting");
      else if (name === "inbox" && html.indexOf('id="mine-c') >= 0 && html.indexOf('class="unread"') >= 0)
        notify("New message in one of your conversations");
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
      if (e.key === "Escape") { list.hidden = true; return; }
    }
    if (e.key === "Enter" && !e.shiftKey && !e.isComposing) {
      e.preventDefault();
      if (textarea.value.trim()) textarea.form.requestSubmit();
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
  document.addEventListener("DOMContentLoaded", function () { updateTitle(); localTimes(); scrollTranscript(); });
})();
