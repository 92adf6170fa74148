"""Sanitised HTML is the same bytes in every process, so a story's content hash is stable."""

from __future__ import annotations

import subprocess
import sys

from feedhub.normalise import sanitise_html

HTML = '<p><img src="/a.png" alt="x>y" loading="eager" onload="x()"> <a href="/s">s</a></p>'
EXPECTED = (
    '<p><img src="https://news.example.org/a.png" alt="x&gt;y" loading="lazy" '
    'referrerpolicy="no-referrer"> <a href="https://news.example.org/s" '
    'rel="noopener noreferrer">s</a></p>'
)


def test_images_get_lazy_loading_in_one_attribute_order() -> None:
    assert sanitise_html(HTML, "https://news.example.org/") == EXPECTED


def test_same_bytes_in_fresh_processes() -> None:
    code = (
        "from feedhub.normalise import sanitise_html as s;"
        f"print(s({HTML!r}, 'https://news.example.org/'))"
    )
    outputs = {
        subprocess.run([sys.executable, "-c", code], check=True, capture_output=True,
                       text=True).stdout.strip()
        for _ in range(6)
    }
    assert outputs == {EXPECTED}
