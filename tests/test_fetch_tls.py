"""Fetching over TLS from nginx on 127.0.0.1: certificates are verified, and the TLS context
(the CA bundle) is made by the first https connection, never by a plain-http fetch."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from feedhub.errors import FetchError
from feedhub.fetch import AddressPolicy, close_pools, fetch_url
from feedhub.fetch import pools as fetch_module

from .support.nginx import NGINX, Nginx, free_port
from .support.tls import self_signed_certificate

LOCAL = AddressPolicy(allow_private=True)

pytestmark = pytest.mark.skipif(not NGINX or not shutil.which("openssl"),
                                reason="needs Debian's nginx and openssl (./test.sh installs them)")


@pytest.fixture
def tls_site(tmp_path: Path) -> Iterator[tuple[str, str, Path]]:
    """(https base URL, http base URL, certificate) of one nginx serving a feed both ways."""
    cert, key = self_signed_certificate(tmp_path)
    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "feed.xml").write_bytes(b"<rss><channel><title>t</title></channel></rss>")
    tls_port, plain_port = free_port(), free_port()
    block = (f"server {{ listen 127.0.0.1:{tls_port} ssl; ssl_certificate {cert}; "
             f"ssl_certificate_key {key}; root {docs}; }}\n"
             f"server {{ listen 127.0.0.1:{plain_port}; root {docs}; }}")
    fetch_module._ssl_context.cache_clear()
    close_pools()
    with Nginx(tmp_path / "nginx", block, tls_port):
        yield f"https://127.0.0.1:{tls_port}", f"http://127.0.0.1:{plain_port}", cert
    fetch_module._ssl_context.cache_clear()
    close_pools()


def test_plain_http_never_loads_the_ca_bundle_and_tls_verifies(
        tls_site: tuple[str, str, Path]) -> None:
    https, http, _cert = tls_site
    assert fetch_url("plain", f"{http}/feed.xml", policy=LOCAL).body.startswith(b"<rss>")
    assert fetch_module._ssl_context.cache_info().currsize == 0
    with pytest.raises(FetchError, match=r"(?i)certificate"):
        fetch_url("self-signed", f"{https}/feed.xml", policy=LOCAL)
    assert fetch_module._ssl_context.cache_info().currsize == 1


def test_a_trusted_certificate_is_fetched_over_tls(tls_site: tuple[str, str, Path],
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    https, _http, cert = tls_site
    monkeypatch.setenv("SSL_CERT_FILE", str(cert))  # read when the context is made
    result = fetch_url("trusted", f"{https}/feed.xml", policy=LOCAL)
    assert result.body == b"<rss><channel><title>t</title></channel></rss>"
    assert result.etag
