"""What the store needs from a database: the :class:`Connection` protocol and the
:class:`Dialect` record. One module per driver implements them (sqlite.py, postgres.py).

SQL in the store is written once, with ``?`` parameters and standard SQL that both SQLite
(>= 3.24) and PostgreSQL (>= 12) accept, including ``INSERT ... ON CONFLICT``. Every place
where the two differ is a field of :class:`Dialect`, so the differences are listed here and
nowhere else. A query must not contain a literal ``?`` (PostgreSQL's driver wants ``%s``).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass
from typing import Any, Protocol

Row = tuple[Any, ...]


@dataclass(frozen=True)
class Dialect:
    """The SQL that differs between the backends."""

    name: str
    """``sqlite`` or ``postgresql``."""
    serial_pk: str
    """Column type of an auto-numbered integer primary key."""
    blob: str
    """Column type of raw bytes."""
    skip_locked: str
    """Suffix of a SELECT that claims rows another worker has not claimed ("" when the
    database serialises writers anyway, as SQLite does with BEGIN IMMEDIATE)."""
    migration_lock: str
    """Statement that serialises concurrent migrations ("" when BEGIN already does)."""
    shared: bool
    """Whether machines other than this one may use the database (PostgreSQL), rather than
    only this machine's processes (a SQLite file). The store keeps the bytes of published
    files only when it is shared: web nodes and workers elsewhere read them from it."""


class Result:
    """Rows of one statement, fetched eagerly (queries here return small, bounded sets)."""

    def __init__(self, rows: Sequence[Row], rowcount: int = -1) -> None:
        self.rows = list(rows)
        self.rowcount = rowcount
        """Rows an INSERT, UPDATE or DELETE changed (-1 for a query)."""

    def fetchone(self) -> Row | None:
        return self.rows[0] if self.rows else None

    def scalar(self) -> Any:
        """The first column of the first row (for COUNT(*) and the like)."""
        if not self.rows:
            raise LookupError("the query returned no row")
        return self.rows[0][0]

    def fetchall(self) -> list[Row]:
        return self.rows

    def __iter__(self) -> Iterator[Row]:
        return iter(self.rows)


class Connection(Protocol):
    """One open database connection, in autocommit mode outside :meth:`transaction`."""

    dialect: Dialect
    where: str
    """Where the database is, for messages (a path or a URL without its password)."""

    def execute(self, sql: str, params: Sequence[object] = ()) -> Result: ...

    def stream(self, sql: str, params: Sequence[object] = ()) -> Iterator[Row]:
        """The rows of a query that may be large (every item of the store), for reading once,
        in order, before anything else runs on this connection: SQLite hands them over a
        batch at a time instead of all at once."""
        ...

    def executemany(self, sql: str, rows: Iterable[Sequence[object]]) -> None: ...

    def transaction(self) -> AbstractContextManager[None]:
        """Everything executed inside commits together, or not at all. Writers are
        serialised only as far as the database does it (SQLite: one writer at a time).
        Inside another transaction it is a savepoint: a failure undoes only its part."""
        ...

    def legacy_schema_version(self) -> int:
        """Schema version kept before the schema_version table existed (0 if none)."""
        ...

    def close(self) -> None: ...
