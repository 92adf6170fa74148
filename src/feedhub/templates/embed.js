/* feedhub embed: renders the newest items of one feed into the page that loads it.
 * Usage: <script src="BASE/embed/SLUG.js" data-limit="5" async></script>
 * Options (data- attributes on the script tag): limit, target, summary, date, heading, lang,
 * new-tab. No dependencies, no globals, no eval, no inline styles: safe under a strict CSP.
 * Untrusted text is set with textContent only; links are http(s) only. */
(function () {
  "use strict";
  var feed = FEEDHUB_DATA;
  var script = document.currentScript;
  if (!script || !script.src || script.src.indexOf(feed.script) === -1) {
    script = null;
    var tags = document.getElementsByTagName("script");
    for (var i = 0; i < tags.length; i++) {
      if (tags[i].src && tags[i].src.indexOf(feed.script) !== -1 &&
          !tags[i].hasAttribute("data-feedhub-done")) {
        script = tags[i];
        break;
      }
    }
  }
  if (!script) {
    return;
  }
  script.setAttribute("data-feedhub-done", "");
  var opts = script.dataset || {};

  function flag(name, fallback) {
    var value = opts[name];
    if (value === undefined) {
      return fallback;
    }
    return value !== "false" && value !== "0" && value !== "no";
  }

  function el(tag, className, text) {
    var node = document.createElement(tag);
    if (className) {
      node.className = className;
    }
    if (text) {
      node.textContent = text;
    }
    return node;
  }

  function httpUrl(url) {
    return typeof url === "string" && /^https?:\/\//i.test(url) ? url : "";
  }

  function link(node, url, newTab) {
    node.href = url;
    if (newTab) {
      node.target = "_blank";
      node.rel = "noopener noreferrer";
    }
    return node;
  }

  function dateText(iso, lang) {
    try {
      return new Date(iso).toLocaleDateString(lang || undefined, {
        year: "numeric", month: "short", day: "numeric", timeZone: "UTC"
      });
    } catch (e) {
      return iso.slice(0, 10);
    }
  }

  var limit = parseInt(opts.limit || "5", 10);
  if (!(limit >= 1)) {
    limit = 5;
  }
  limit = Math.min(limit, feed.items.length);
  var newTab = flag("newTab", false);
  var lang = opts.lang || document.documentElement.lang || "";

  var root = el("div", "feedhub-embed");
  root.setAttribute("data-feedhub-feed", feed.slug);
  if (flag("heading", false)) {
    var heading = el("p", "feedhub-heading");
    heading.appendChild(link(el("a", "", feed.title), httpUrl(feed.page), newTab));
    root.appendChild(heading);
  }
  var list = el("ul", "feedhub-items");
  for (var n = 0; n < limit; n++) {
    var item = feed.items[n];
    var li = el("li", "feedhub-item");
    var url = httpUrl(item.url);
    li.appendChild(url ? link(el("a", "feedhub-link", item.title), url, newTab)
                       : el("span", "feedhub-link", item.title));
    if (flag("date", true)) {
      var time = el("time", "feedhub-date", dateText(item.date, lang));
      time.setAttribute("datetime", item.date);
      li.appendChild(document.createTextNode(" "));
      li.appendChild(time);
    }
    if (flag("summary", false) && item.summary) {
      li.appendChild(el("p", "feedhub-summary", item.summary));
    }
    list.appendChild(li);
  }
  root.appendChild(list);
  var more = httpUrl(feed.page);
  if (more) {
    root.appendChild(link(el("a", "feedhub-more", "More: " + feed.title), more, newTab));
  }

  function place() {
    var target = null;
    if (opts.target) {
      try {
        target = document.querySelector(opts.target);
      } catch (e) {
        target = null;
      }
    }
    if (target) {
      while (target.firstChild) {
        target.removeChild(target.firstChild);
      }
      target.appendChild(root);
    } else if (script.parentNode) {
      script.parentNode.insertBefore(root, script.nextSibling);
    }
  }

  if (opts.target && document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", place);
  } else {
    place();
  }
})();
