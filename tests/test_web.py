from __future__ import annotations

from flask.testing import FlaskClient


def test_category_feeds_served_with_media_types(client: FlaskClient) -> None:
    for slug in ("all", "press-releases", "news", "features"):
        rss = client.get(f"/feeds/{slug}.rss")
        assert rss.status_code == 200
        assert rss.headers["Content-Type"] == "application/rss+xml; charset=utf-8"
        assert rss.data.startswith(b"<?xml")
        atom = client.get(f"/feeds/{slug}.atom")
        assert atom.status_code == 200
        assert atom.headers["Content-Type"] == "application/atom+xml; charset=utf-8"


def test_unknown_slug_is_404_naming_the_slugs(client: FlaskClient) -> None:
    response = client.get("/feeds/nope.rss")
    assert response.status_code == 404
    body = response.get_data(as_text=True)
    for slug in ("all", "press-releases", "news", "features"):
        assert slug in body
    assert client.get("/feeds/news.exe").status_code == 404


def test_index_has_autodiscovery(client: FlaskClient) -> None:
    response = client.get("/")
    assert response.status_code == 200
    body = response.get_data(as_text=True)
    assert ('<link rel="alternate" type="application/rss+xml" title="ILO newsroom: Press '
            'releases (RSS)" href="/feeds/press-releases.rss"/>') in body
    assert 'type="application/atom+xml"' in body
