/* feedhub embed: renders the newest items of one feed into the page that loads it.
 * Usage: <script src="BASE/embed/SLUG.js?limit=5&theme=light" async></script>
 * Options (docs/embedding.md) in the script URL's query or as data- attributes on the script
 * tag; when both give one, the data- attribute wins: limit, theme (inherit, light, dark, auto),
 * images, summary, lang; as data- attributes only: target, date, heading, new-tab.
 * feedhub's own words come from the server, in every language it has a catalog for
 * (feed.chrome); lang picks them as it picks the dates' language.
 * A value it cannot use is reported with console.warn and the default is used instead.
 * No dependencies, no globals, no eval, no inline styles: safe under a strict CSP. Untrusted
 * text is set with textContent only; links and images are http(s) only. Layout and themes come
 * from BASE/static/embed.css, linked once per page, whose layout rules weigh nothing against
 * the partner's own CSS. */
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
  var query = Object.create(null);
  try {
    new URL(script.src).searchParams.forEach(function (value, name) {
      if (!(name in query)) {
        query[name] = value;
      }
    });
  } catch (e) {
    query = Object.create(null);
  }

  function warn(message) {
    if (window.console && console.warn) {
      console.warn("feedhub embed " + feed.slug + ": " + message);
    }
  }

  /* [value, where it came from] of an option, or null: the data- attribute wins over the
   * script URL's query; an empty query value is as if it were not there. */
  function given(name, attribute, queryToo) {
    if (opts[name] !== undefined) {
      return [opts[name], "data-" + attribute];
    }
    if (queryToo && query[name] !== undefined && query[name] !== "") {
      return [query[name], attribute + "= in the script URL"];
    }
    return null;
  }

  function flag(name, attribute, fallback, queryToo) {
    var got = given(name, attribute, queryToo);
    if (!got) {
      return fallback;
    }
    var value = String(got[0]).toLowerCase();
    if (value === "1" || value === "true" || value === "yes" || value === "") {
      return true;
    }
    if (value === "0" || value === "false" || value === "no") {
      return false;
    }
    warn(got[1] + " must be 1 or 0 (true or false); using " + (fallback ? "1" : "0"));
    return fallback;
  }

  function pickLimit() {
    var got = given("limit", "limit", true);
    if (!got) {
      return feed.limit;
    }
    var text = String(got[0]);
    var value = /^[0-9]{1,9}$/.test(text) ? parseInt(text, 10) : 0;
    if (value >= 1 && value <= feed.max) {
      return value;
    }
    if (value > feed.max) {
      warn(got[1] + " is more than the " + feed.max + " items this embed carries; showing " +
           feed.max);
      return feed.max;
    }
    warn(got[1] + " must be a whole number from 1 to " + feed.max + "; showing " + feed.limit);
    return feed.limit;
  }

  function pickTheme() {
    var got = given("theme", "theme", true);
    if (!got) {
      return feed.theme;
    }
    if (feed.themes.indexOf(got[0]) !== -1) {
      return got[0];
    }
    warn(got[1] + " must be one of " + feed.themes.join(", ") + "; using " + feed.theme);
    return feed.theme;
  }

  /* The language of the dates and of feedhub's words: lang, else the site's. */
  function pickLang() {
    var got = given("lang", "lang", true);
    if (!got) {
      return feed.lang;
    }
    var known = [];
    try {
      known = Intl.DateTimeFormat.supportedLocalesOf([got[0]]);
    } catch (e) {
      known = [];
    }
    if (known.length) {
      return got[0];
    }
    warn(got[1] + " must be a language tag such as en, en-GB or fr; using " + feed.lang);
    return feed.lang;
  }

  /* [tag the words are in, the words]: the server's words for the language that speaks lang
   * (the whole tag, then without its last subtag: de-AT -> de), else English's. */
  function pickChrome(lang) {
    var parts = String(lang).toLowerCase().replace(/_/g, "-").split("-");
    for (; parts.length; parts.pop()) {
      for (var tag in feed.chrome) {
        if (tag.toLowerCase() === parts.join("-")) {
          return [lang, feed.chrome[tag]];
        }
      }
    }
    return ["en", feed.chrome.en];
  }

  function dateFormat(lang) {
    try {
      return new Intl.DateTimeFormat(lang, {dateStyle: feed.dateStyle, timeZone: "UTC"});
    } catch (e) {
      return null;
    }
  }

  /* Marks node as written in lang when the text around it (in language around) is not. */
  function speaks(node, lang, around) {
    if (String(lang).toLowerCase() !== String(around).toLowerCase()) {
      node.setAttribute("lang", lang);
    }
    return node;
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

  function dateText(format, iso) {
    if (format) {
      try {
        return format.format(new Date(iso));
      } catch (e) {
        return iso.slice(0, 10);
      }
    }
    return iso.slice(0, 10);
  }

  function thumbnail(url) {
    var img = el("img", "feedhub-image");
    img.alt = "";  /* the title beside it says what it shows */
    img.width = feed.imageSize[0];
    img.height = feed.imageSize[1];
    img.loading = "lazy";
    img.decoding = "async";
    img.referrerPolicy = "no-referrer";
    img.src = url;
    return img;
  }

  function linkStylesheet() {
    if (document.querySelector("link[data-feedhub-css]")) {
      return;
    }
    var head = document.head || document.getElementsByTagName("head")[0];
    if (!head) {
      return;
    }
    var css = el("link");
    css.rel = "stylesheet";
    css.href = new URL("../static/embed.css", script.src).href;
    css.setAttribute("data-feedhub-css", "");
    head.insertBefore(css, head.firstChild);  /* first: the partner's own rules come later */
  }

  var limit = Math.min(pickLimit(), feed.items.length);
  var theme = pickTheme();
  var images = flag("images", "images", false, true);
  var summary = flag("summary", "summary", false, true);
  var showDate = flag("date", "date", true, false);
  var newTab = flag("newTab", "new-tab", false, false);
  var lang = pickLang();
  var format = dateFormat(lang);
  var chrome = pickChrome(lang);

  var root = el("div", "feedhub-embed");
  root.setAttribute("data-feedhub-feed", feed.slug);
  root.setAttribute("lang", chrome[0]);
  if (theme !== "inherit") {
    root.setAttribute("data-theme", theme);
  }
  if (flag("heading", "heading", false, false)) {
    var heading = speaks(el("p", "feedhub-heading"), feed.lang, chrome[0]);
    heading.appendChild(link(el("a", "", feed.title), httpUrl(feed.page), newTab));
    root.appendChild(heading);
  }
  var list = speaks(el("ul", "feedhub-items"), feed.lang, chrome[0]);
  for (var n = 0; n < limit; n++) {
    var item = feed.items[n];
    var li = el("li", "feedhub-item");
    var image = images ? httpUrl(item.image) : "";
    if (image) {
      li.className += " feedhub-has-image";
      li.appendChild(thumbnail(image));
    }
    var text = el("div", "feedhub-text");
    var url = httpUrl(item.url);
    text.appendChild(url ? link(el("a", "feedhub-link", item.title), url, newTab)
                         : el("span", "feedhub-link", item.title));
    if (showDate) {
      var time = speaks(el("time", "feedhub-date", dateText(format, item.date)), lang, feed.lang);
      time.setAttribute("datetime", item.date);
      text.appendChild(document.createTextNode(" "));
      text.appendChild(time);
    }
    if (summary && item.summary) {
      text.appendChild(el("p", "feedhub-summary", item.summary));
    }
    li.appendChild(text);
    list.appendChild(li);
  }
  root.appendChild(list);
  var more = httpUrl(feed.page);
  if (more) {
    var line = el("p", "feedhub-more-line");
    line.appendChild(link(el("a", "feedhub-more", chrome[1].more), more, newTab));
    root.appendChild(line);
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

  linkStylesheet();
  if (opts.target && document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", place);
  } else {
    place();
  }
})();
