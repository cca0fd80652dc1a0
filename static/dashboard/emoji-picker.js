// A small emoji picker for the agent's composer: common emoji in a popover, inserted at
// the caret. The system's emoji keyboard works too; this is the quick way.
(function () {
  "use strict";
  var EMOJI = [
    "😀", "😊", "🙂", "😉", "😂", "😅", "😍", "🤔", "😮", "😢", "🙁", "😴",
    "👍", "👎", "👋", "👏", "🙌", "🙏", "💪", "🤝", "🎉", "❤️", "🔥", "⭐",
    "✅", "❌", "⚠️", "💡", "📦", "🚚", "💳", "📧", "📎", "⏳", "🔒", "👀",
  ];
  var COLUMNS = 6;
  var caret = null; // the composer's selection when the picker opened

  function pickerOf(toggle) { return document.getElementById(toggle.getAttribute("aria-controls")); }
  function toggleOf(picker) { return document.querySelector('[aria-controls="' + picker.id + '"]'); }
  function textareaOf(el) { var form = el.closest("form"); return form && form.querySelector("textarea[data-composer]"); }

  function fill(picker) {
    if (picker.children.length) return;
    EMOJI.forEach(function (emoji) {
      var button = document.createElement("button");
      button.type = "button";
      button.className = "emoji";
      button.textContent = emoji;
      button.setAttribute("data-emoji", emoji);
      picker.appendChild(button);
    });
  }
  function open(toggle) {
    var picker = pickerOf(toggle);
    var textarea = textareaOf(toggle);
    if (!picker) return;
    caret = textarea ? [textarea.selectionStart, textarea.selectionEnd] : null;
    fill(picker);
    picker.hidden = false;
    toggle.setAttribute("aria-expanded", "true");
    picker.querySelector("button").focus();
  }
  function close(picker, refocus) {
    if (!picker || picker.hidden) return;
    picker.hidden = true;
    var toggle = toggleOf(picker);
    if (toggle) {
      toggle.setAttribute("aria-expanded", "false");
      if (refocus) toggle.focus();
    }
  }
  function insert(picker, emoji) {
    var textarea = textareaOf(picker);
    close(picker, false);
    if (!textarea) return;
    var start = caret ? caret[0] : textarea.value.length;
    var end = caret ? caret[1] : start;
    textarea.focus();
    textarea.setRangeText(emoji, start, end, "end");
    textarea.dispatchEvent(new Event("input", { bubbles: true })); // typing, canned list
  }

  document.addEventListener("click", function (e) {
    var toggle = e.target.closest && e.target.closest("[data-emoji-toggle]");
    var choice = e.target.closest && e.target.closest("[data-emoji-picker] [data-emoji]");
    if (toggle) {
      var picker = pickerOf(toggle);
      if (picker && picker.hidden) open(toggle);
      else close(picker, true);
    } else if (choice) {
      insert(choice.closest("[data-emoji-picker]"), choice.getAttribute("data-emoji"));
    } else {
      document.querySelectorAll("[data-emoji-picker]:not([hidden])").forEach(function (p) {
        if (!p.contains(e.target)) close(p, false);
      });
    }
  });
  document.addEventListener("keydown", function (e) {
    var picker = e.target.closest && e.target.closest("[data-emoji-picker]");
    if (!picker) return;
    var buttons = Array.prototype.slice.call(picker.querySelectorAll("[data-emoji]"));
    var at = buttons.indexOf(e.target);
    var step = { ArrowRight: 1, ArrowLeft: -1, ArrowDown: COLUMNS, ArrowUp: -COLUMNS }[e.key];
    if (e.key === "Escape") close(picker, true);
    else if (step && at >= 0) buttons[Math.min(buttons.length - 1, Math.max(0, at + step))].focus();
    else if (e.key === "Home") buttons[0].focus();
    else if (e.key === "End") buttons[buttons.length - 1].focus();
    else return;
    e.preventDefault(); // the arrows would scroll the page
  });
  document.addEventListener("focusout", function (e) {
    var picker = e.target.closest && e.target.closest("[data-emoji-picker]");
    if (picker && e.relatedTarget && !picker.contains(e.relatedTarget) && e.relatedTarget !== toggleOf(picker)) close(picker, false);
  });
})();
