"""A throwaway TLS certificate for 127.0.0.1, made with the openssl command (Debian's openssl,
which ./test.sh installs). Used by tests/test_fetch_tls.py and bench/fetch.py."""

from __future__ import annotations

import subprocess
from pathlib import Path


def self_signed_certificate(folder: Path, name: str = "feedhub test") -> tuple[Path, Path]:
    """A self-signed certificate (its own CA) for IP 127.0.0.1, and its key, in ``folder``."""
    cert, key = folder / "cert.pem", folder / "key.pem"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt",
                    "ec_paramgen_curve:prime256v1", "-nodes", "-days", "1",
                    "-subj", f"/CN={name}", "-addext", "subjectAltName=IP:127.0.0.1",
                    "-keyout", str(key), "-out", str(cert)],
                   check=True, capture_output=True, timeout=60)
    return cert, key
