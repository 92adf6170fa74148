"""Category labels -> category slugs: how a source's "Press release" becomes ``press``.

A label matches a category by its slug, its title or one of its ``labels``, compared by
:func:`label_key` (case, accents and spacing ignored). A category may also claim items whose
title or summary holds one of its ``keywords`` phrases and none of its ``exclude`` phrases.

A module of its own, apart from :mod:`feedhub.normalise`: every build maps categories (a
source's settings hash names them), but only a build with bodies to parse needs the rest of
normalise (nh3, the sanitising and identity rules), which is ~3% of a warm build's start.
"""

from __future__ import annotations

import functools
import re
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from .model import Category

_SPACE = re.compile(r"\s+")
WORD = re.compile(r"\w+")
"""A word of a :func:`label_key` (phrases and title keys are these words joined by spaces)."""


def key_words(text: str) -> list[str]:
    """``text``'s :func:`label_key` cut into :data:`WORD` words, with "_" (a ``\\w``
    character) splitting words as a space does. Item text, keyword phrases and title keys
    are all cut this way: a phrase cut otherwise could never match the text it names."""
    return WORD.findall(label_key(text).replace("_", " "))


@functools.lru_cache(maxsize=4096)
def label_key(label: str) -> str:
    """Case-, accent- and whitespace-insensitive form of a label."""
    if label.isascii():  # NFKD leaves ASCII as it is, and it has no combining marks
        return _SPACE.sub(" ", label).strip().casefold()
    decomposed = unicodedata.normalize("NFKD", label)
    stripped = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return _SPACE.sub(" ", stripped).strip().casefold()


def _contains(text_key: str, phrase_key: str) -> bool:
    return bool(phrase_key) and f" {phrase_key} " in f" {text_key} "


@dataclass(frozen=True)
class CategoryMap:
    """Raw label or keyword -> category slug, built once per config."""

    by_label: dict[str, str] = field(default_factory=dict)
    keywords: tuple[tuple[str, tuple[str, ...], tuple[str, ...]], ...] = ()
    """(slug, include phrases, exclude phrases), each phrase its :func:`key_words`."""

    @classmethod
    def from_categories(cls, categories: Iterable[Category]) -> CategoryMap:
        by_label: dict[str, str] = {}
        rules = []
        for category in categories:
            by_label.setdefault(label_key(category.slug), category.slug)
            by_label.setdefault(label_key(category.title), category.slug)
            for label in category.labels:
                by_label[label_key(label)] = category.slug
            if category.keywords:
                rules.append((category.slug, _phrases(category.keywords),
                              _phrases(category.exclude)))
        return cls(by_label, tuple(rules))

    def slugs(self, labels: Sequence[str], default: str,
              text: str = "") -> tuple[tuple[str, ...], list[str]]:
        """Categories for these labels and this text (title + summary), and the labels that
        matched nothing. With no match at all, the source's default."""
        found: list[str] = []
        unmatched: list[str] = []
        for label in labels:
            slug = self.by_label.get(label_key(label))
            if slug is None:
                unmatched.append(label)
            elif slug not in found:
                found.append(slug)
        if self.keywords and text:
            words = " ".join(key_words(text))
            for slug, include, exclude in self.keywords:
                if (slug not in found and any(_contains(words, p) for p in include)
                        and not any(_contains(words, p) for p in exclude)):
                    found.append(slug)
        if not found and default:
            found.append(default)
        return tuple(found), unmatched


def _phrases(values: Iterable[str]) -> tuple[str, ...]:
    return tuple(p for v in values if (p := " ".join(key_words(v))))
