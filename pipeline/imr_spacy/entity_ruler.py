"""``imr_entity_ruler``: the SCHEMA labels from pattern files, matched across line wraps.

Patterns are data (``patterns/*.jsonl``, one file per label), in spaCy's EntityRuler format
plus an optional ``priority`` (int, default 0)::

    {"label": "DIAGNOSIS", "pattern": "carpal tunnel syndrome"}
    {"label": "VISIT_COUNT", "pattern": [{"LIKE_NUM": true}, {"LOWER": "sessions"}], "priority": 1}

Labels starting with ``_`` are blockers: they win overlaps like any pattern and are then
dropped, so "pain level" can keep "pain" from being a DIAGNOSIS. With ``blocks_key`` the blockers that won
are kept as spans in ``doc.spans[blocks_key]`` (for a later component, e.g. the model merge, to respect).

Overlaps are resolved by priority, then length, then position, then pattern order (the label
whose patterns were loaded first; files load in name order). Matching runs on the
:class:`~imr_spacy.textview.CompactView`, so phrases broken by blank lines still match and
entity offsets stay on the original text.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

import srsly
from spacy.language import Language
from spacy.matcher import PhraseMatcher
from spacy.tokens import Doc, Span
from spacy.util import registry

from . import boundaries
from .tables import RowsMixin, rows_from
from .textview import CompactView
from .windowed_matcher import WindowedMatcher

PATTERNS_FILE = "patterns.jsonl"
Candidate = tuple[int, int, str, int]  # view start, view end, label, priority


@registry.misc("imr_spacy.read_jsonl_dir.v1")
def read_jsonl_dir(path: str) -> Callable[[], list[dict[str, Any]]]:
    """Reader for every ``*.jsonl`` file directly in ``path`` (used in ``[initialize]``)."""

    def read() -> list[dict[str, Any]]:
        return load_pattern_dir(Path(path))

    return read


def load_pattern_dir(path: Path) -> list[dict[str, Any]]:
    """All patterns of the ``*.jsonl`` files directly in ``path``, in file-name order."""
    patterns: list[dict[str, Any]] = []
    for file in sorted(Path(path).glob("*.jsonl")):
        patterns.extend(srsly.read_jsonl(file))
    return patterns


class IMREntityRuler(RowsMixin):
    """Rule-based NER over the compact view of a Doc."""

    rows_file = PATTERNS_FILE

    def __init__(
        self,
        nlp: Language,
        name: str,
        phrase_matcher_attr: str,
        overwrite_ents: bool,
        blocks_key: str | None = None,
    ) -> None:
        self.nlp = nlp
        self.name = name
        self.phrase_matcher_attr = phrase_matcher_attr
        self.overwrite_ents = overwrite_ents
        self.blocks_key = blocks_key
        self.patterns: list[dict[str, Any]] = []
        self._build()

    def _build(self) -> None:
        self.matcher = WindowedMatcher(self.nlp.vocab)
        self.phrase_matcher = PhraseMatcher(self.nlp.vocab, attr=self.phrase_matcher_attr)
        token_patterns: dict[str, list[list[dict[str, Any]]]] = {}
        phrase_patterns: dict[str, list[str]] = {}
        # ties (same priority, same extent) go to the label whose patterns came first
        self._rank: dict[str, int] = {}
        for entry in self.patterns:
            key = f"{entry['label']}|{int(entry.get('priority', 0))}"
            self._rank.setdefault(entry["label"], len(self._rank))
            if isinstance(entry["pattern"], str):
                phrase_patterns.setdefault(key, []).append(entry["pattern"])
            else:
                token_patterns.setdefault(key, []).append(entry["pattern"])
        for key, pats in token_patterns.items():
            self.matcher.add(key, pats, greedy="LONGEST")
        tokenizer = self.nlp.tokenizer
        for key, phrases in phrase_patterns.items():
            docs = [_space_free(tokenizer(p)) for p in phrases]
            self.phrase_matcher.add(key, [d for d in docs if len(d)])

    def __getstate__(self) -> dict[str, Any]:
        # spaCy's Matcher drops greedy="LONGEST" when pickled (n_process, spawn), and the
        # windowed matcher's lexeme cache is per process: rebuild both from the patterns
        return {k: v for k, v in self.__dict__.items() if k not in ("matcher", "phrase_matcher", "_rank")}

    def __setstate__(self, state: dict[str, Any]) -> None:
        # the vocab may still be half restored here: build the matchers on first use
        self.__dict__.update(state)
        self.matcher = None  # type: ignore[assignment]
        self.phrase_matcher = None  # type: ignore[assignment]

    @property
    def labels(self) -> tuple[str, ...]:
        """The entity labels this ruler can set (blockers excluded)."""
        return tuple(sorted({p["label"] for p in self.patterns if not p["label"].startswith("_")}))

    def add_patterns(self, patterns: Iterable[dict[str, Any]]) -> None:
        """Add patterns and rebuild the matchers."""
        self.patterns.extend(dict(p) for p in patterns)
        self._build()

    def initialize(
        self,
        get_examples: Callable[[], Iterable[Any]] | None = None,
        *,
        nlp: Language | None = None,
        patterns: Iterable[dict[str, Any]] | Callable[[], Iterable[dict[str, Any]]] | None = None,
    ) -> None:
        """Load the patterns (a list, or a reader from ``[initialize.components]``)."""
        self.set_rows(rows_from(patterns))

    def candidates(self, view: Doc) -> list[Candidate]:
        """All matches on the view as (start, end, label, priority)."""
        if self.matcher is None:
            self._build()
        strings = self.nlp.vocab.strings
        out: list[Candidate] = []
        matches = self.matcher(view) if len(self.matcher) else []
        if len(self.phrase_matcher):
            matches.extend(self.phrase_matcher(view))
        for match_id, start, end in matches:
            label, prio = strings[match_id].rsplit("|", 1)
            out.append((start, end, label, int(prio)))
        return out

    def __call__(self, doc: Doc) -> Doc:
        view = CompactView(doc)
        cands = boundaries.refine(view.view, self.candidates(view.view))
        rank = self._rank
        cands.sort(key=lambda c: (-c[3], -(c[1] - c[0]), c[0], rank.get(c[2], 0)))
        taken = bytearray(len(view.view) + 1)
        chosen: list[Candidate] = []
        for cand in cands:
            start, end = cand[0], cand[1]
            if any(taken[start:end]):
                continue
            taken[start:end] = b"\x01" * (end - start)
            chosen.append(cand)
        new_ents = []
        blocks = []
        for start, end, label, _ in chosen:
            s, e = view.to_doc(start, end)
            if label.startswith("_"):
                if self.blocks_key is not None:
                    blocks.append(Span(doc, s, e, label=label))
                continue
            new_ents.append(Span(doc, s, e, label=label))
        if self.blocks_key is not None:
            doc.spans[self.blocks_key] = sorted(blocks)
        if self.overwrite_ents:
            doc.ents = sorted(new_ents)
        else:
            keep = list(doc.ents)
            used = {i for ent in keep for i in range(ent.start, ent.end)}
            extra = [e for e in new_ents if not any(i in used for i in range(e.start, e.end))]
            doc.ents = sorted(keep + extra)
        return doc

    def get_rows(self) -> list[dict[str, Any]]:
        return self.patterns

    def set_rows(self, rows: list[dict[str, Any]]) -> None:
        self.patterns = rows
        self._build()


def _space_free(doc: Doc) -> Doc:
    """A phrase pattern as a Doc without SPACE tokens (the view has none)."""
    return CompactView(doc).view


@Language.factory(
    "imr_entity_ruler",
    default_config={"phrase_matcher_attr": "LOWER", "overwrite_ents": True, "blocks_key": None},
)
def make_entity_ruler(
    nlp: Language, name: str, phrase_matcher_attr: str, overwrite_ents: bool, blocks_key: str | None
) -> IMREntityRuler:
    """Factory of :class:`IMREntityRuler`."""
    return IMREntityRuler(nlp, name, phrase_matcher_attr, overwrite_ents, blocks_key)
