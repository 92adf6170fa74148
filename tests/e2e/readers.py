"""Real feed readers from Debian, driven headlessly: newsboat, sfeed and rss2email.

Each reader lives in its own folder (its own HOME, cache and config) and subscribes to a list of
feed URLs. ``poll()`` runs one refresh, the way cron would, and returns what the reader now holds:
feed URL -> the titles it has stored, one per item it kept (a duplicate shows as a repeat).
"""

from __future__ import annotations

import email
import email.policy
import os
import re
import sqlite3
import stat
import subprocess
from abc import ABC, abstractmethod
from pathlib import Path

from .site import require_tool

Seen = dict[str, list[str]]


def clean(title: str) -> str:
    """Whitespace collapsed, as every reader shows a title on one line."""
    return re.sub(r"\s+", " ", title).strip()


class Reader(ABC):
    name: str
    tools: tuple[str, ...]

    def __init__(self, folder: Path, urls: list[str]) -> None:
        for tool in self.tools:
            require_tool(tool)
        self.folder = folder / self.name
        self.folder.mkdir(parents=True)
        self.urls = urls
        self.env = dict(os.environ, HOME=str(self.folder), LANG="C.UTF-8", LC_ALL="C.UTF-8")
        self.setup()

    @abstractmethod
    def setup(self) -> None:
        """Write the reader's configuration and subscribe it."""

    def run(self, *args: str) -> str:
        done = subprocess.run(list(args), cwd=self.folder, env=self.env, capture_output=True,
                              text=True, timeout=120, check=False)
        assert done.returncode == 0, (
            f"{self.name}: {' '.join(args)} exited {done.returncode}\n{done.stdout}\n{done.stderr}")
        return done.stdout

    @abstractmethod
    def poll(self) -> Seen: ...


class Newsboat(Reader):
    """newsboat -x reload; items from its SQLite cache (table rss_item)."""

    name = "newsboat"
    tools = ("newsboat",)

    def setup(self) -> None:
        (self.folder / "urls").write_text("".join(f"{u}\n" for u in self.urls))
        (self.folder / "config").write_text("reload-threads 1\n")

    def poll(self) -> Seen:
        d = self.folder
        self.run("newsboat", "-u", str(d / "urls"), "-c", str(d / "cache.db"),
                 "-C", str(d / "config"), "-x", "reload")
        seen: Seen = {u: [] for u in self.urls}
        with sqlite3.connect(d / "cache.db") as db:
            for feedurl, title in db.execute("SELECT feedurl, title FROM rss_item ORDER BY id"):
                seen.setdefault(feedurl, []).append(clean(title))
        return seen


class Sfeed(Reader):
    """sfeed_update with a fetch() that keeps the ETag (sfeed's README shows this override)."""

    name = "sfeed"
    tools = ("sfeed_update", "curl")

    def setup(self) -> None:
        d = self.folder
        (d / "etags").mkdir()
        feeds = "".join(f'\tfeed "feed{n}" "{u}"\n' for n, u in enumerate(self.urls))
        (d / "sfeedrc").write_text(
            f'sfeedpath="{d}/feeds"\n'
            f"feeds() {{\n{feeds}}}\n"
            "fetch() {\n"
            f'\tetag="{d}/etags/$1"\n'
            '\tcurl -L --max-redirs 0 -H "User-Agent: sfeed" -f -s -m 15 --compressed \\\n'
            '\t\t--etag-save "$etag.new" --etag-compare "$etag" "$2" && \\\n'
            '\t{ [ ! -s "$etag.new" ] || mv "$etag.new" "$etag"; }\n'
            "}\n")

    def poll(self) -> Seen:
        self.run("sfeed_update", str(self.folder / "sfeedrc"))
        seen: Seen = {}
        for n, url in enumerate(self.urls):
            path = self.folder / "feeds" / f"feed{n}"
            rows = path.read_text(encoding="utf-8").splitlines() if path.exists() else []
            # TSV: timestamp, title, link, content, content-type, id, ...
            seen[url] = [clean(row.split("\t")[1]) for row in rows if row]
        return seen


class Rss2email(Reader):
    """r2e run with a sendmail stand-in that files each message; items = mails sent."""

    name = "rss2email"
    tools = ("r2e",)

    def setup(self) -> None:
        d = self.folder
        (d / "mail").mkdir()
        sendmail = d / "sendmail"
        sendmail.write_text(f'#!/bin/sh\ncat > "$(mktemp {d}/mail/XXXXXXXX.eml)"\n')
        sendmail.chmod(sendmail.stat().st_mode | stat.S_IXUSR)
        (d / "r2e.cfg").write_text(
            "[DEFAULT]\nfrom = feedhub-e2e@localhost\nto = reader@localhost\n"
            f"email-protocol = sendmail\nsendmail = {sendmail}\n")
        for n, url in enumerate(self.urls):
            self.r2e("add", f"feed{n}", url)

    def r2e(self, *args: str) -> str:
        return self.run("r2e", "-c", str(self.folder / "r2e.cfg"),
                        "-d", str(self.folder / "r2e.json"), *args)

    def poll(self) -> Seen:
        self.r2e("run")
        seen: Seen = {u: [] for u in self.urls}
        for path in sorted(self.folder.glob("mail/*.eml"), key=lambda p: p.stat().st_mtime_ns):
            message = email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
            seen.setdefault(str(message["X-RSS-Feed"]), []).append(clean(str(message["Subject"])))
        return seen


READERS: dict[str, type[Reader]] = {r.name: r for r in (Newsboat, Sfeed, Rss2email)}
