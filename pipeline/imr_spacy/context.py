"""``imr_context``: ConText-style negation, temporality, experiencer and uncertainty.

Trigger rules are data (``patterns/context/*.jsonl``), saved and loaded with the component.
Each rule: ``{"literal": "no documentation of", "category": "NEGATED_EXISTENCE",
"direction": "FORWARD"}``; categories map to the span attributes ``is_negated``,
``is_historical``, ``is_hypothetical``, ``is_family`` and ``is_uncertain``.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import Any

import srsly
from spacy.language import Language
from spacy.matcher import PhraseMatcher
from spacy.tokens import Doc
from spacy.util import ensure_path

from .sentences import sentence_starts

RULES_FILE = "rules.jsonl"

CATEGORY_ATTR = {
    "NEGATED_EXISTENCE": "is_negated",
    "HISTORICAL": "is_historical",
    "HYPOTHETICAL": "is_hypothetical",
    "FAMILY": "is_family",
    "UNCERTAIN": "is_uncertain",
}


class IMRContext:
    """Assigns ConText modifiers to ``doc.ents`` (sentences split on the fly if unset)."""

    def __init__(self, nlp: Language, max_scope: int) -> None:
        self.nlp = nlp
        self.max_scope = max_scope
        self.rules: list[dict[str, Any]] = []
        self._build()

    def _build(self) -> None:
        self.matcher = PhraseMatcher(self.nlp.vocab, attr="LOWER")
        self._rule_of: dict[str, dict[str, Any]] = {}
        for i, rule in enumerate(self.rules):
            key = f"ctx{i}"
            self._rule_of[key] = rule
            self.matcher.add(key, [self.nlp.make_doc(rule["literal"])])

    def initialize(self, get_examples: Any = None, *, nlp: Language | None = None, rules: Any = None) -> None:
        """Load the trigger rules (a list or a reader)."""
        if callable(rules):
            rules = rules()
        self.rules = list(rules or [])
        self._build()

    def __call__(self, doc: Doc) -> Doc:
        if not doc.ents:
            return doc
        if doc.has_annotation("SENT_START"):
            starts = [s.start for s in doc.sents]
        else:
            starts = sentence_starts(doc)
        from bisect import bisect_right

        strings = self.nlp.vocab.strings
        triggers = [(self._rule_of[strings[m]], s, e) for m, s, e in self.matcher(doc)]
        for ent in doc.ents:
            si = bisect_right(starts, ent.start) - 1
            sent_start = starts[si] if si >= 0 else 0
            sent_end = starts[si + 1] if si + 1 < len(starts) else len(doc)
            cues = []
            for rule, s, e in triggers:
                if s < sent_start or e > sent_end or (s < ent.end and ent.start < e):
                    continue
                direction = rule.get("direction", "FORWARD")
                if (
                    direction in ("FORWARD", "BIDIRECTIONAL") and e <= ent.start and ent.start - e <= self.max_scope
                ) or (direction in ("BACKWARD", "BIDIRECTIONAL") and s >= ent.end and s - ent.end <= self.max_scope):
                    cues.append(rule)
            for rule in cues:
                attr = CATEGORY_ATTR.get(rule["category"])
                if attr:
                    setattr(ent._, attr, True)
            if cues:
                ent._.context_cues = [{"literal": r["literal"], "category": r["category"]} for r in cues]
        return doc

    def to_disk(self, path: str | Path, *, exclude: Iterable[str] = ()) -> None:
        path = ensure_path(path)
        path.mkdir(parents=True, exist_ok=True)
        srsly.write_jsonl(path / RULES_FILE, self.rules)
        srsly.write_json(path / "cfg.json", {"max_scope": self.max_scope})

    def from_disk(self, path: str | Path, *, exclude: Iterable[str] = ()) -> IMRContext:
        path = ensure_path(path)
        self.rules = list(srsly.read_jsonl(path / RULES_FILE))
        self._build()
        return self


@Language.factory("imr_context", default_config={"max_scope": 10})
def make_context(nlp: Language, name: str, max_scope: int) -> IMRContext:
    """Factory of :class:`IMRContext`."""
    return IMRContext(nlp, max_scope)
