"""A local source's bytes: a ``path:`` source read from a file under the config's folder.

Contract: :func:`read_file` returns a :class:`FetchResult` (with a ``file:`` URL) or raises
:class:`FetchError`; the file must lie under ``root`` once symlinks and ``..`` are resolved, and
at most ``limits.max_bytes`` are read. It never parses what it read.
"""

from __future__ import annotations

from pathlib import Path

from ..errors import FetchError
from ..model import FetchLimits, FetchResult

__all__ = ["read_file"]


def read_file(source_id: str, location: str, root: Path, limits: FetchLimits) -> FetchResult:
    """Read a local file that must lie under ``root`` once symlinks and ``..`` are resolved."""
    path = Path(location)
    if not path.is_absolute():
        path = root / path
    path = path.resolve()
    if not path.is_relative_to(root.resolve()):
        raise FetchError(source_id, f"path {location!r} is outside the config folder {root} "
                                    "(after following links); move the file under it")
    try:
        with path.open("rb") as handle:
            body = handle.read(limits.max_bytes + 1)
    except FileNotFoundError as exc:
        raise FetchError(source_id, f"file not found: {path}") from exc
    except IsADirectoryError as exc:
        raise FetchError(source_id, f"{path} is a folder, not a file") from exc
    except OSError as exc:
        raise FetchError(source_id, f"cannot read {path}: {exc.strerror or exc}") from exc
    if len(body) > limits.max_bytes:
        raise FetchError(source_id, f"file {path} is over the {limits.max_bytes}-byte limit")
    return FetchResult(url=path.as_uri(), body=body)
