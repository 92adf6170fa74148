"""sources.yaml -> a validated :class:`~feedhub.model.Config`. The only package that imports
yaml.

Validation walks the YAML node tree (not the loaded dict) so every problem names the file, the
line and the dotted key. All problems are collected and raised together as one
:class:`~feedhub.errors.ConfigError`; a config with any problem builds nothing.

One concept per module, in the order a config is read::

    load.py      load_config / parse_config: the file -> Config, every problem raised together
    document.py  the text -> YAML nodes with lines; alias-bomb guard
    syntax.py    a YAML syntax error -> plain words at the line to fix, that line quoted
    walker.py    nodes -> values, problems recorded with file, line and dotted key
    sections.py  site, categories, serve, fetch -> their model objects
    sources.py   the sources list -> Source objects
    checks.py    single-value checks (URL, slug, time zone, host, locale, ...)
    units.py     durations (1h30m) and sizes (10MB)
    schema.py    the shipped JSON Schema, the one list of keys the walker allows
    append.py    editing the text in place: a source added (`feedhub add`), a source's
                 selectors replaced (`feedhub fix`)

This face hands on the names the rest of feedhub and its tests use.

Must not: touch the network, the store or the output folder.
"""

from ..errors import ConfigError, ConfigProblem
from .append import append_source, replace_selectors, yaml_scalar
from .checks import SOURCE_ID_RE
from .load import load_config, parse_config
from .schema import json_schema
from .units import DURATION_EXAMPLES, parse_duration, parse_size

__all__ = [
    "DURATION_EXAMPLES",
    "SOURCE_ID_RE",
    "ConfigError",
    "ConfigProblem",
    "append_source",
    "json_schema",
    "load_config",
    "parse_config",
    "parse_duration",
    "parse_size",
    "replace_selectors",
    "yaml_scalar",
]
