/* feedhub pages: the only script, and nothing needs it. A feed address is text anyone can
 * select (CSS makes one click select all of it) and copy; this adds a "Copy" button beside it that puts the address
 * on the clipboard and says so, on the button and in a status line that screen readers read
 * out (a live region). It also hides an item image that failed to load, so no broken-image box shows.
 * Its words are the page's, in the page's language: the button's label and its data-copied,
 * data-selected and data-selected-status attributes (templates/address.html).
 * Loaded from this site only (the pages' CSP allows script-src 'self' and nothing inline). */
(function () {
  "use strict";

  function say(button, label, text) {
    var shown = button.querySelector(".fh-copy-label");
    var status = button.parentNode.querySelector(".fh-copied");
    if (!shown || !status) {
      return;
    }
    if (button.feedhubLabel === undefined) {
      button.feedhubLabel = shown.textContent;
    }
    shown.textContent = label;
    status.textContent = text;
    clearTimeout(button.feedhubTimer);
    button.feedhubTimer = setTimeout(function () {
      shown.textContent = button.feedhubLabel;
      status.textContent = "";
    }, 4000);
  }

  function selectText(field) {
    var range = document.createRange();
    range.selectNodeContents(field);
    var selection = window.getSelection();
    selection.removeAllRanges();
    selection.addRange(range);
  }

  function copyBySelection(field) {
    selectText(field);
    try {
      return document.execCommand("copy");
    } catch (e) {
      return false;
    }
  }

  function copy(button) {
    var field = document.getElementById(button.getAttribute("data-copy"));
    if (!field) {
      return;
    }
    var address = field.textContent.trim();
    var copied = button.getAttribute("data-copied");
    var done = function () { say(button, copied, copied); };
    var failed = function () {
      selectText(field);
      say(button, button.getAttribute("data-selected"),
          button.getAttribute("data-selected-status"));
    };
    if (navigator.clipboard && window.isSecureContext) {
      navigator.clipboard.writeText(address).then(done, function () {
        if (copyBySelection(field)) { done(); } else { failed(); }
      });
    } else if (copyBySelection(field)) {
      done();
    } else {
      failed();
    }
  }

  function hide(image) {
    image.hidden = true;
    image.parentNode.classList.remove("fh-with-image");
  }

  function start() {
    var buttons = document.querySelectorAll("button.fh-copy[data-copy]");
    for (var i = 0; i < buttons.length; i++) {
      buttons[i].hidden = false;
      buttons[i].addEventListener("click", function (event) { copy(event.currentTarget); });
    }
    var images = document.querySelectorAll("img.fh-thumb");
    for (var k = 0; k < images.length; k++) {
      images[k].addEventListener("error", function (event) { hide(event.currentTarget); });
      if (images[k].complete && images[k].naturalWidth === 0) {
        hide(images[k]);  // failed before this script ran
      }
    }
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
