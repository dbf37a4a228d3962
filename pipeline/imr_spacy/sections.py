"""``imr_sections``: the sections of IMR letters (both formats) and clinical notes.

Section titles are data (``patterns/sections/titles.jsonl``). Each section runs from its
title to the next title. ``doc.spans["sections"]`` holds one span per section (label = title);
``doc._.section_bounds`` holds (start_char, end_char, title) for ``span._.section``.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import srsly
from spacy.language import Language
from spacy.tokens import Doc
from spacy.util import ensure_path

from .extensions import SECTIONS_KEY

TITLES_FILE = "titles.jsonl"


class IMRSections:
    """Finds section titles by line-anchored regexes built from the title list."""

    def __init__(self, titles: list[dict[str, Any]] | None = None) -> None:
        self.titles: list[dict[str, Any]] = list(titles or [])
        self._compile()

    def _compile(self) -> None:
        alts = []
        for t in self.titles:
            words = t["title"].split()
            alts.append(r"[ \t]*\n?[ \t]*".join(re.escape(w) for w in words))
        body = "|".join(sorted(alts, key=len, reverse=True)) or r"(?!x)x"
        self._regex = re.compile(rf"(?im)^[ \t]*({body})[ \t]*:?[ \t]*$")
        self._by_key = {_key(t["title"]): t for t in self.titles}

    def initialize(self, get_examples: Any = None, *, nlp: Language | None = None, titles: Any = None) -> None:
        """Load the title list (a list or a reader)."""
        if callable(titles):
            titles = titles()
        self.titles = list(titles or [])
        self._compile()

    def find(self, text: str) -> list[tuple[int, int, str | None, str]]:
        """(start_char, end_char, title or None, label) for each section of ``text``."""
        heads = []
        for m in self._regex.finditer(text):
            entry = self._by_key.get(_key(m.group(1)))
            if entry is None:
                continue
            heads.append((m.start(1), entry))
        out: list[tuple[int, int, str | None, str]] = []
        if heads and text[: heads[0][0]].strip():
            out.append((0, heads[0][0], None, "HEADER"))
        parent: str | None = None
        for i, (start, entry) in enumerate(heads):
            end = heads[i + 1][0] if i + 1 < len(heads) else len(text)
            label = entry.get("label", entry["title"]).upper()
            title = parent if entry.get("subsection") else label
            parent = title
            out.append((start, end, title, label))
        return out

    def __call__(self, doc: Doc) -> Doc:
        found = self.find(doc.text)
        spans, bounds = [], []
        for start, end, title, label in found:
            span = doc.char_span(start, end, label=label, alignment_mode="expand")
            if span is not None:
                spans.append(span)
            bounds.append([start, end, title])
        # a subsection continues its parent's title
        merged: list[list[Any]] = []
        for b in bounds:
            if merged and merged[-1][2] == b[2]:
                merged[-1][1] = b[1]
            else:
                merged.append(b)
        doc.spans[SECTIONS_KEY] = spans
        doc._.section_bounds = merged
        return doc

    def to_disk(self, path: str | Path, *, exclude: Iterable[str] = ()) -> None:
        path = ensure_path(path)
        path.mkdir(parents=True, exist_ok=True)
        srsly.write_jsonl(path / TITLES_FILE, self.titles)

    def from_disk(self, path: str | Path, *, exclude: Iterable[str] = ()) -> IMRSections:
        self.titles = list(srsly.read_jsonl(ensure_path(path) / TITLES_FILE))
        self._compile()
        return self


def _key(title: str) -> str:
    return " ".join(title.upper().split())


@Language.factory("imr_sections")
def make_sections(nlp: Language, name: str) -> IMRSections:
    """Factory of :class:`IMRSections`."""
    return IMRSections()
