/* Site pages: copy a snippet, and redraw the widget preview as the settings change. */
(function () {
  "use strict";

  document.addEventListener("click", function (e) {
    var button = e.target.closest && e.target.closest("[data-copy]");
    if (!button) return;
    var field = document.getElementById(button.getAttribute("data-copy"));
    var label = button.textContent;
    function done() {
      button.textContent = button.getAttribute("data-copied");
      setTimeout(function () { button.textContent = label; }, 2000);
    }
    field.select();
    // The selection is copied at once (a click is a user gesture); the async clipboard
    // only where that failed. Its promise can wait forever in a page without focus, so
    // the button does not wait for it.
    var copied = false;
    try { copied = document.execCommand("copy"); } catch (err) { copied = false; }
    if (!copied && navigator.clipboard && window.isSecureContext) {
      navigator.clipboard.writeText(field.value).catch(function () {});
    }
    done();
  });

  var form = document.querySelector("[data-preview-form]");
  if (!form) return;
  var frame = document.querySelector(".preview-frame");
  var lang = document.querySelector("[data-preview-lang]");
  var timer = 0;
  function redraw() {
    var params = new URLSearchParams(new FormData(form));
    params.delete("csrfmiddlewaretoken");
    if (lang.value) params.set("lang", lang.value);
    frame.src = form.getAttribute("data-preview-url") + "?" + params.toString();
  }
  function soon() {
    clearTimeout(timer);
    timer = setTimeout(redraw, 300);
  }
  form.addEventListener("input", soon);
  form.addEventListener("change", soon);
  lang.addEventListener("change", redraw);
  if (form.querySelector("[aria-invalid]")) redraw(); // show what was typed, not what is saved
})();
