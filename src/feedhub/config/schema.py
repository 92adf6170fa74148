"""The shipped JSON Schema of sources.yaml (``feedhub/data/sources.schema.json``): the one list
of keys.

The walker's allowed keys come from it, so adding a key means adding it to the schema (with
its type, default and description, which also become docs/configuration.md via ``python -m
feedhub.docs``), then reading it in :mod:`.sections` or :mod:`.sources`, showing it in
data/starter.yaml and the full sample. tests/test_schema.py checks that the schema and the
walker give the same verdicts.

Must not: validate a document against the schema (the walker does the checking, with lines).
"""

from __future__ import annotations

import json
from functools import cache
from importlib import resources
from typing import Any


@cache
def json_schema() -> dict[str, Any]:
    """The JSON Schema of sources.yaml, as shipped in the package (``feedhub schema`` prints it)."""
    # Read through the package's loader, so that a zipped install works too.
    try:
        data = resources.files("feedhub").joinpath("data/sources.schema.json").read_bytes()
    except FileNotFoundError as exc:
        raise RuntimeError("feedhub's data/sources.schema.json is missing: reinstall feedhub"
                           ) from exc
    schema: dict[str, Any] = json.loads(data)
    return schema


def schema_keys(definition: str = "") -> frozenset[str]:
    """The keys allowed in one mapping of sources.yaml: the top level ("") or a ``$defs`` entry."""
    node = json_schema() if not definition else json_schema()["$defs"][definition]
    return frozenset(node["properties"])


TOP_KEYS = schema_keys()
SITE_KEYS = schema_keys("site")
CATEGORY_KEYS = schema_keys("category")
SOURCE_KEYS = schema_keys("source")
SELECTOR_KEYS = schema_keys("selectors")
SERVE_KEYS = schema_keys("serve")
FETCH_KEYS = schema_keys("fetch")
