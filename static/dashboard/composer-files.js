// Files in the agent's composer, and the transcript's image viewer (issue #12).
//
// The attach button, a drop onto the conversation and a paste into the composer each
// upload the file at once over HTTP (XMLHttpRequest: it reports upload progress), not over
// the socket. A chip shows each file; once stored, its id sits in a hidden `attachments`
// input inside the chip, so the form's ws-send carries the ids with the reply. The server
// answers a stored message with a fresh composer: chips of files that were sent go with
// the old one, files added meanwhile move to the new one.
(function () {
  "use strict";
  var FORM = "form[data-upload-url]";
  var uploads = new WeakMap(); // chip -> its XMLHttpRequest while uploading

  function csrfToken() { return document.body.getAttribute("data-csrf-token") || ""; }
  function list(form) { return form.querySelector("[data-attachment-list]"); }
  function chips(form, state) {
    return Array.prototype.slice.call(form.querySelectorAll('[data-attachment-list] > [data-state="' + state + '"]'));
  }
  // Our own origin's path: the payload's links name CHAT_PUBLIC_URL, which a proxy may spell differently.
  function localPath(url) { return new URL(url, window.location.href).pathname; }
  function sizeText(bytes) {
    if (bytes < 1024) return bytes + " B";
    if (bytes < 1024 * 1024) return Math.round(bytes / 1024) + " KB";
    return (bytes / (1024 * 1024)).toFixed(1) + " MB";
  }
  function say(form, message, waiting) {
    var status = form && form.querySelector("[data-attachment-status]");
    if (!status) return;
    status.textContent = message;
    status.toggleAttribute("data-waiting", !!waiting);
    // A refusal is written on its chip already: this copy is for screen readers.
    status.classList.toggle("visually-hidden", !waiting);
  }

  // Send waits while a file is uploading; a message may be files alone, so the text is
  // required only when there is none.
  function sync(form) {
    if (!form) return;
    var busy = chips(form, "uploading").length > 0;
    var send = form.querySelector('button[type="submit"]');
    if (send) send.disabled = busy;
    form.setAttribute("aria-busy", busy ? "true" : "false");
    var textarea = form.querySelector("textarea[name=body]");
    if (textarea) textarea.required = chips(form, "done").length === 0;
    var status = form.querySelector("[data-attachment-status][data-waiting]");
    if (!busy && status) say(form, "");
  }

  function setAction(chip, kind) {
    var button = chip.querySelector("[data-attachment-remove]");
    var label = button.getAttribute("data-label-" + kind) || "";
    chip.querySelector("[data-chip-action]").textContent = label;
    button.title = label;
  }

  function discard(chip) {
    var url = chip.getAttribute("data-delete-url");
    if (url) {
      // An unsent upload: tell the server to drop it (it would go after a day anyway).
      fetch(url, { method: "DELETE", headers: { "X-CSRFToken": csrfToken() }, credentials: "same-origin" })
        .catch(function () { /* offline: the cleanup job removes it */ });
    }
  }

  function stored(chip, payload) {
    uploads.delete(chip);
    var form = chip.closest(FORM);
    if (!form) { // dropped with an old composer meanwhile: nobody can send it
      chip.setAttribute("data-delete-url", localPath(payload.url));
      discard(chip);
      return;
    }
    chip.setAttribute("data-state", "done");
    chip.setAttribute("data-attachment-id", payload.id);
    chip.setAttribute("data-delete-url", localPath(payload.url));
    var input = document.createElement("input");
    input.type = "hidden";
    input.name = "attachments";
    input.value = payload.id;
    chip.appendChild(input);
    if (payload.thumbnail_url) {
      var img = document.createElement("img");
      img.className = "attachment-thumb";
      img.alt = "";
      img.src = localPath(payload.thumbnail_url);
      chip.insertBefore(img, chip.firstChild);
    }
    setAction(chip, "remove");
    sync(form);
  }

  function refused(chip, message) {
    uploads.delete(chip);
    chip.setAttribute("data-state", "error");
    chip.querySelector("[data-chip-error]").textContent = message;
    setAction(chip, "dismiss");
    var form = chip.closest(FORM);
    say(form, chip.querySelector("[data-chip-name]").textContent + ": " + message);
    sync(form);
  }

  function upload(form, file) {
    var template = form.querySelector("template[data-attachment-chip]");
    if (!template) return;
    var chip = template.content.firstElementChild.cloneNode(true);
    chip.querySelector("[data-chip-name]").textContent = file.name;
    chip.querySelector("[data-chip-size]").textContent = sizeText(file.size);
    setAction(chip, "cancel");
    list(form).appendChild(chip);
    var failed = list(form).getAttribute("data-text-failed") || "Upload failed";
    var progress = chip.querySelector("[data-chip-progress]");
    var body = new FormData();
    body.append("file", file, file.name);
    var xhr = new XMLHttpRequest();
    uploads.set(chip, xhr);
    xhr.open("POST", form.getAttribute("data-upload-url"));
    xhr.setRequestHeader("X-CSRFToken", csrfToken());
    xhr.responseType = "json";
    xhr.upload.addEventListener("progress", function (e) {
      if (e.lengthComputable) progress.value = Math.round((e.loaded * 100) / e.total);
    });
    xhr.addEventListener("load", function () {
      var answer = xhr.response; // null when a proxy answered with a page, not our JSON
      if (xhr.status === 201 && answer && answer.id) stored(chip, answer);
      else refused(chip, (answer && answer.message) || failed);
    });
    xhr.addEventListener("error", function () { refused(chip, failed); });
    xhr.send(body);
    sync(form);
  }

  function uploadAll(form, files) {
    Array.prototype.forEach.call(files, function (file) { upload(form, file); });
  }

  // A pasted screenshot arrives as "image.png": give it a name that says when it was taken.
  function named(file) {
    if (file.type.indexOf("image/") !== 0 || (file.name && !/^image\.\w+$/.test(file.name))) return file;
    var stamp = new Date().toISOString().slice(0, 19).replace(/[:T]/g, "-");
    var ext = file.type.split("/")[1].replace("jpeg", "jpg");
    return new File([file], "screenshot-" + stamp + "." + ext, { type: file.type });
  }

  // --- the attach button, paste, drop ---------------------------------------------------
  document.addEventListener("click", function (e) {
    var button = e.target.closest && e.target.closest("[data-attach]");
    if (button) {
      var input = button.closest(FORM).querySelector("[data-attach-input]");
      if (input) input.click();
      return;
    }
    var remove = e.target.closest && e.target.closest("[data-attachment-remove]");
    if (!remove) return;
    var chip = remove.closest("[data-state]");
    var form = chip.closest(FORM);
    var xhr = uploads.get(chip);
    if (xhr) { uploads.delete(chip); xhr.abort(); }
    else if (chip.getAttribute("data-state") === "done") discard(chip);
    chip.remove();
    say(form, "");
    sync(form);
    var textarea = form && form.querySelector("textarea");
    if (textarea) textarea.focus();
  });
  document.addEventListener("change", function (e) {
    if (!e.target.matches || !e.target.matches("[data-attach-input]")) return;
    uploadAll(e.target.closest(FORM), e.target.files);
    e.target.value = ""; // choosing the same file again is a new upload
  });
  document.addEventListener("paste", function (e) {
    var form = e.target.closest && e.target.closest(FORM);
    if (!form || !e.clipboardData || !e.clipboardData.files.length) return;
    // Text wins: office programs put a picture of the copied text beside the text itself.
    if (Array.prototype.indexOf.call(e.clipboardData.types, "text/plain") >= 0) return;
    e.preventDefault();
    uploadAll(form, Array.prototype.map.call(e.clipboardData.files, named));
  });
  function dropZone(e) {
    var zone = e.target.closest && e.target.closest("section.conversation");
    var files = e.dataTransfer && Array.prototype.indexOf.call(e.dataTransfer.types, "Files") >= 0;
    return zone && files && zone.querySelector(FORM) ? zone : null;
  }
  document.addEventListener("dragover", function (e) {
    var zone = dropZone(e);
    if (!zone) return;
    e.preventDefault();
    e.dataTransfer.dropEffect = "copy";
    zone.classList.add("dropping");
  });
  document.addEventListener("dragleave", function (e) {
    var zone = e.target.closest && e.target.closest("section.conversation");
    if (zone && !zone.contains(e.relatedTarget)) zone.classList.remove("dropping");
  });
  document.addEventListener("drop", function (e) {
    var zone = dropZone(e);
    if (!zone) return;
    e.preventDefault();
    zone.classList.remove("dropping");
    uploadAll(zone.querySelector(FORM), e.dataTransfer.files);
  });

  // --- sending: wait for uploads; keep what was not sent --------------------------------
  document.addEventListener("htmx:wsConfigSend", function (e) {
    var form = e.target;
    if (!form.matches || !form.matches(FORM)) return;
    if (chips(form, "uploading").length) {
      e.preventDefault();
      say(form, list(form).getAttribute("data-text-uploading") || "", true);
      return;
    }
    chips(form, "done").forEach(function (chip) { chip.setAttribute("data-sent", ""); });
  });
  document.addEventListener("htmx:oobBeforeSwap", function (e) {
    var old = e.detail && e.detail.target;
    var fragment = e.detail && e.detail.fragment;
    if (!old || !old.matches || !old.matches(FORM) || !fragment) return;
    var fresh = fragment.querySelector("[data-attachment-list]");
    if (!fresh) return;
    Array.prototype.forEach.call(list(old).children, function (chip) {
      if (!chip.hasAttribute("data-sent") && chip.getAttribute("data-state") !== "error") fresh.appendChild(chip);
    });
  });
  document.addEventListener("htmx:oobAfterSwap", function (e) {
    var old = e.detail && e.detail.target;
    if (old && old.matches && old.matches(FORM)) sync(document.getElementById(old.id));
  });

  // --- the image viewer -----------------------------------------------------------------
  var opener = null;
  // A click on the backdrop targets the dialog itself, like one on its padding: tell them apart.
  function outside(dialog, e) {
    var box = dialog.getBoundingClientRect();
    return e.clientX < box.left || e.clientX > box.right || e.clientY < box.top || e.clientY > box.bottom;
  }
  document.addEventListener("click", function (e) {
    var link = e.target.closest && e.target.closest("a[data-image-viewer]");
    var dialog = document.querySelector("[data-viewer-dialog]");
    if (dialog && e.target === dialog && outside(dialog, e)) { dialog.close(); return; }
    if (!link || !dialog || !dialog.showModal || e.button !== 0 || e.ctrlKey || e.metaKey || e.shiftKey || e.altKey) return;
    e.preventDefault();
    var thumb = link.querySelector("img");
    var name = thumb ? thumb.alt : "";
    dialog.querySelector("[data-viewer-title]").textContent = name;
    var image = dialog.querySelector("[data-viewer-image]");
    image.alt = name;
    image.src = link.getAttribute("href");
    dialog.querySelector("[data-viewer-download]").setAttribute("href", link.getAttribute("href"));
    opener = link;
    dialog.showModal();
  });
  // "close" does not bubble: listen while it goes down to the dialog.
  document.addEventListener("close", function (e) {
    if (!e.target.matches || !e.target.matches("[data-viewer-dialog]")) return;
    e.target.querySelector("[data-viewer-image]").removeAttribute("src");
    if (opener && document.contains(opener)) opener.focus();
    opener = null;
  }, true);
})();
