"""Rule tables: data files under ``patterns/<component>/`` held and serialized by a component.

A component that keeps vocabularies or cue lists as data gets them in ``initialize`` (from the
``imr_spacy.read_jsonl_tables.v1`` reader in ``[initialize.components.NAME]``) and saves them with
``to_disk``, so the packaged pipeline needs no file outside its own folder.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

import srsly
from spacy.util import ensure_path, registry

Tables = dict[str, list[dict[str, Any]]]


def load_tables(path: str | Path) -> Tables:
    """Every ``*.jsonl`` file directly in ``path``, keyed by file stem."""
    return {file.stem: list(srsly.read_jsonl(file)) for file in sorted(Path(path).glob("*.jsonl"))}


@registry.misc("imr_spacy.read_jsonl_tables.v1")
def read_jsonl_tables(path: str) -> Callable[[], Tables]:
    """Reader for ``[initialize]``: the tables of a folder."""

    def read() -> Tables:
        return load_tables(path)

    return read


class TablesMixin:
    """``initialize``/``to_disk``/``from_disk`` for a component whose state is ``self.tables``."""

    tables: Tables

    def on_tables(self) -> None:
        """Hook: rebuild derived state after the tables change."""

    def initialize(self, get_examples: Any = None, *, nlp: Any = None, tables: Any = None) -> None:
        if callable(tables):
            tables = tables()
        self.tables = dict(tables or {})
        self.on_tables()

    def to_disk(self, path: str | Path, *, exclude: Iterable[str] = ()) -> None:
        path = ensure_path(path)
        path.mkdir(parents=True, exist_ok=True)
        for name, rows in self.tables.items():
            srsly.write_jsonl(path / f"{name}.jsonl", rows)

    def from_disk(self, path: str | Path, *, exclude: Iterable[str] = ()) -> Any:
        self.tables = load_tables(ensure_path(path))
        self.on_tables()
        return self

    def to_bytes(self, *, exclude: Iterable[str] = ()) -> bytes:
        return srsly.msgpack_dumps(self.tables)

    def from_bytes(self, data: bytes, *, exclude: Iterable[str] = ()) -> Any:
        self.tables = dict(srsly.msgpack_loads(data))
        self.on_tables()
        return self


Rows = list[dict[str, Any]]


def rows_from(value: Any) -> Rows:
    """Rows given to ``initialize``: a list, a reader returning one, or None."""
    if callable(value):
        value = value()
    return [dict(r) for r in value or []]


class RowsMixin:
    """``to_disk``/``from_disk``/``to_bytes``/``from_bytes`` for a component whose state is one rule table.

    The table is saved as ``rows_file`` (JSONL); the component says how to read and set it.
    """

    rows_file: str

    def get_rows(self) -> Rows:
        raise NotImplementedError

    def set_rows(self, rows: Rows) -> None:
        """Replace the table and rebuild what derives from it."""
        raise NotImplementedError

    def to_disk(self, path: str | Path, *, exclude: Iterable[str] = ()) -> None:
        path = ensure_path(path)
        path.mkdir(parents=True, exist_ok=True)
        srsly.write_jsonl(path / self.rows_file, self.get_rows())

    def from_disk(self, path: str | Path, *, exclude: Iterable[str] = ()) -> Any:
        self.set_rows(list(srsly.read_jsonl(ensure_path(path) / self.rows_file)))
        return self

    def to_bytes(self, *, exclude: Iterable[str] = ()) -> bytes:
        return srsly.msgpack_dumps(self.get_rows())

    def from_bytes(self, data: bytes, *, exclude: Iterable[str] = ()) -> Any:
        self.set_rows(list(srsly.msgpack_loads(data)))
        return self
