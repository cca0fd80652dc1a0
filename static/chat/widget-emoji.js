/*! Parley visitor chat widget: the emoji picker. widget-panel.js fetches it the first time
 * the emoji button is pressed; the chosen emoji goes in at the caret. See docs/widget.md.
 */
(function (win) {
  "use strict";
  var P = win.Parley;
  if (!P || !P._emoji) return;
  var EMOJI = ("😀 😊 🙂 😉 😂 😅 😍 🤔 😮 😢 🙁 😴 👍 👎 👋 👏 🙌 🙏 💪 🤝 🎉 ❤️ 🔥 ⭐ " +
    "✅ ❌ ⚠️ 💡 📦 🚚 💳 📧 📎 ⏳ 🔒 👀").split(" ");
  var COLUMNS = 6;
  P._emoji(function (o) {
    var text = o.text, toggle = o.button, caret = [0, 0];
    o.style(".em{position:absolute;bottom:100%;inset-inline-end:8px;display:grid;grid-template-columns:repeat(6,36px);" +
      "gap:2px;padding:6px;background:#fff;border:1px solid #e3e5e8;border-radius:10px;box-shadow:0 4px 14px rgba(0,0,0,.15)}" +
      ".c .em button{width:36px;height:36px;padding:0;border:0;border-radius:6px;background:none;font-size:20px;line-height:1}" +
      ".c .em button:hover,.c .em button:focus{background:#f0f1f3}");
    var grid = o.h("div", { class: "em", role: "group", "aria-label": o.T.emoji, hidden: true }, EMOJI.map(function (e) {
      return o.h("button", { type: "button" }, e);
    }));
    o.at.append(grid);

    function show(on) {
      if (on === !grid.hidden) return;
      grid.hidden = !on;
      toggle.setAttribute("aria-expanded", String(on));
      if (on) {
        caret = [text.selectionStart, text.selectionEnd];
        grid.firstChild.focus();
      }
    }
    grid.addEventListener("click", function (e) {
      var b = e.target.closest("button");
      if (!b) return;
      show(false);
      text.focus();
      text.setRangeText(b.textContent, caret[0], caret[1], "end");
      text.dispatchEvent(new Event("input", { bubbles: true })); // resize, typing
    });
    grid.addEventListener("keydown", function (e) {
      var all = [].slice.call(grid.children), at = all.indexOf(e.target);
      var step = { ArrowRight: 1, ArrowLeft: -1, ArrowDown: COLUMNS, ArrowUp: -COLUMNS }[e.key];
      if (e.key === "Escape") {
        e.stopPropagation(); // closes the picker, not the chat
        show(false);
        toggle.focus();
      } else if (step && at >= 0) {
        e.preventDefault();
        if (getComputedStyle(grid).direction === "rtl" && (step === 1 || step === -1)) step = -step;
        all[Math.min(all.length - 1, Math.max(0, at + step))].focus();
      }
    });
    // A click anywhere else in the panel closes it.
    o.panel.addEventListener("click", function (e) {
      if (!grid.hidden && !grid.contains(e.target) && !toggle.contains(e.target)) show(false);
    });
    return { toggle: function () { show(grid.hidden); } };
  });
})(window);
