"""A news listing whose items a script inserts: the page as served holds an empty list, and
its script asks the same server for the stories (JSON, answered after a delay) and builds
the list from them. Used by tests/test_render.py and bench/render.py.

    serve_scripted(server)            # /news, /app.js, /api/stories.json
    server.url("/news")
"""

from __future__ import annotations

import json
import time

from .httpd import LocalServer, Reply, Request

STORIES = [
    {"title": f"Scripted story {n}", "path": f"/stories/{n}",
     "date": f"2024-05-{n:02d}T09:00:00Z", "label": "News"}
    for n in range(1, 7)
]

SHELL = b"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Newsroom</title></head>
<body><header><nav><a href="/">Home</a> <a href="/about">About</a></nav></header>
<main><h1>Latest news</h1><ul id="stories"></ul></main>
<footer><p>Example newsroom</p></footer>
<script src="/app.js"></script></body></html>"""

SCRIPT = b"""
setTimeout(function () {
  fetch('/api/stories.json').then(function (r) { return r.json(); }).then(function (data) {
    var list = document.getElementById('stories');
    data.forEach(function (s) {
      var li = document.createElement('li');
      li.className = 'story';
      li.innerHTML = '<h2><a href="' + s.path + '"></a></h2>' +
        '<time datetime="' + s.date + '"></time><span class="label"></span>' +
        '<p class="summary">What happened in ' + s.title.toLowerCase() + '.</p>';
      li.querySelector('a').textContent = s.title;
      li.querySelector('time').textContent = s.date.slice(0, 10);
      li.querySelector('.label').textContent = s.label;
      list.appendChild(li);
    });
  });
}, %(delay)d);
"""


def serve_scripted(server: LocalServer, *, delay: float = 0.3, script_delay_ms: int = 300,
                   extra_script: bytes = b"") -> None:
    """Route the listing at /news: its script waits ``script_delay_ms``, then fetches the
    stories, which the server answers after ``delay`` seconds. ``extra_script`` runs too."""

    def stories(request: Request) -> Reply:
        time.sleep(delay)
        return Reply(200, json.dumps(STORIES).encode(), {"Content-Type": "application/json"})

    server.route("/news", SHELL, headers={"Content-Type": "text/html; charset=utf-8"})
    server.route("/app.js", SCRIPT % {b"delay": script_delay_ms} + extra_script,
                 headers={"Content-Type": "text/javascript"})
    server.route("/api/stories.json", handler=stories)
