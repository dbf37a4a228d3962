"""``imr_decisions``: one SCHEMA decision record per disputed item, and the relations.

Items are found in the text (:mod:`imr_spacy.items`); an item makes a record only where a
DECISION entity covers its outcome word. Items are looked for inside the decisions section named in the
``regions`` table (anywhere, if the letter has no such section, but then only items followed by
a labelled line count). Each record links the item to entities of the doc: its TREATMENT and
VISIT_COUNT, the DECISION at its end, and the GUIDELINE_CITEs of its "MAXIMUS guideline:" line
and its own rationale, minus cites the letter says were not relied on (``not_relied`` cues,
``side`` before or after the cite, with only ``connectors`` words between).

Stores plain offsets in ``doc._.decision_records`` / ``doc._.relation_records``; the
``doc._.decisions`` / ``doc._.relations`` getters turn them into Spans.
"""

from __future__ import annotations

import re
from typing import Any

from spacy.language import Language
from spacy.tokens import Doc, Span

from .items import Item, ItemFinder, phrase_regex
from .tables import Tables, TablesMixin
from .textview import doc_text

Offsets = list[int]
_GAP_WORD = re.compile(r"[A-Za-z]+|[^\sA-Za-z]")
_MAX_GAP = 40
CITE_ROLES = ("guideline", "rationale")


class IMRDecisions(TablesMixin):
    """Links each item to its outcome, guideline cites, count and rationale."""

    def __init__(self) -> None:
        self.tables: Tables = {}
        self.on_tables()

    def on_tables(self) -> None:
        self._finder = ItemFinder(self.tables)
        self._sections = {_key(r["section"]) for r in self.tables.get("regions", [])}
        self._connectors = {r["word"].lower() for r in self.tables.get("connectors", [])}
        self._not_relied: list[tuple[re.Pattern[str], str]] = [
            (re.compile(rf"(?i)\b{phrase_regex(r['cue'])}\b"), r.get("side", "before"))
            for r in self.tables.get("not_relied", [])
        ]

    def __call__(self, doc: Doc) -> Doc:
        records: list[dict[str, Any]] = []
        relations: list[list[Any]] = []
        by_label: dict[str, list[Span]] = {}
        for ent in doc.ents:
            by_label.setdefault(ent.label_, []).append(ent)
        text = doc_text(doc)  # O(n) in spaCy: read once per pipeline
        for start, end, strict in self._search_regions(doc, text):
            for item in self._finder.find(text, start, end):
                decision = next((e for e in by_label.get("DECISION", []) if _overlaps(e, item.word)), None)
                if decision is None or (strict and not item.regions):
                    continue
                record = self._record(text, item, decision, by_label)
                records.append(record)
                relations.extend(_relations(record))
        doc._.decision_records = records
        doc._.relation_records = relations
        return doc

    def _search_regions(self, doc: Doc, text: str) -> list[tuple[int, int, bool]]:
        """(start, end, strict) of the decisions sections (after their title line), or the whole text."""
        found = []
        for start, end, title in doc._.section_bounds or []:
            if title and _key(title) in self._sections:
                head = re.compile(rf"(?i){phrase_regex(title)}").match(text, start, end)
                nl = text.find("\n", head.end() if head else start, end)
                found.append((end if nl < 0 else nl + 1, end, False))
        return found or [(0, len(text), True)]

    def _record(self, text: str, item: Item, decision: Span, by_label: dict[str, list[Span]]) -> dict[str, Any]:
        outcome = decision._.outcome or item.outcome
        treatment = next((e for e in by_label.get("TREATMENT", []) if _inside(e, item.item)), None)
        count = next((e for e in by_label.get("VISIT_COUNT", []) if _inside(e, item.item)), None)
        rationale = item.regions.get("rationale")
        return {
            "item": list(item.item),
            "treatment": _offsets(treatment),
            "count": _offsets(count),
            "outcome": outcome,
            "decision": _offsets(decision),
            "guidelines": [_offsets(c) for c in self._guidelines(text, item, by_label.get("GUIDELINE_CITE", []))],
            "rationale": list(rationale) if rationale else None,
        }

    def _guidelines(self, text: str, item: Item, cites: list[Span]) -> list[Span]:
        """Cites of the item's guideline line and rationale that the letter relies on."""
        block = [c for c in cites if _inside(c, (item.word[1], item.block[1]))]
        regions = [item.regions[r] for r in CITE_ROLES if r in item.regions]
        if regions:
            chosen = [c for c in block if any(_inside(c, r) for r in regions)]
        else:
            claims = item.regions.get("claims")
            chosen = [c for c in block if claims is None or not _inside(c, claims)]
        dropped = self._not_relied_on(text, block, (item.word[1], item.block[1]))
        return [c for c in chosen if c.start_char not in dropped]

    def _not_relied_on(self, text: str, cites: list[Span], block: tuple[int, int]) -> set[int]:
        """Start offsets of cites named next to a not-relied-on cue ("MTUS does not address")."""
        dropped: set[int] = set()
        for regex, side in self._not_relied:
            for m in regex.finditer(text, *block):
                if side == "before":
                    chain = [c for c in cites if c.end_char <= m.start()][::-1]
                    edge = m.start()
                else:
                    chain = [c for c in cites if c.start_char >= m.end()]
                    edge = m.end()
                for cite in chain:
                    gap = text[cite.end_char : edge] if side == "before" else text[edge : cite.start_char]
                    if not self._connects(gap):
                        break
                    dropped.add(cite.start_char)
                    edge = cite.start_char if side == "before" else cite.end_char
        return dropped

    def _connects(self, gap: str) -> bool:
        return len(gap) <= _MAX_GAP and all(w.lower() in self._connectors for w in _GAP_WORD.findall(gap))


def _relations(record: dict[str, Any]) -> list[list[Any]]:
    out: list[list[Any]] = []
    out.append([record["item"], record["decision"], "HAS_OUTCOME"])
    out.extend([record["decision"], g, "CITES"] for g in record["guidelines"])
    if record["treatment"] is not None and record["count"] is not None:
        out.append([record["treatment"], record["count"], "HAS_COUNT"])
    return out


def _offsets(span: Span | None) -> Offsets | None:
    return None if span is None else [span.start_char, span.end_char]


def _inside(span: Span, region: tuple[int, int]) -> bool:
    return region[0] <= span.start_char and span.end_char <= region[1]


def _overlaps(span: Span, region: tuple[int, int]) -> bool:
    return span.start_char < region[1] and region[0] < span.end_char


def _key(title: str) -> str:
    return " ".join(title.upper().split())


@Language.factory("imr_decisions")
def make_decisions(nlp: Language, name: str) -> IMRDecisions:
    """Factory of :class:`IMRDecisions`."""
    return IMRDecisions()
