"""ConText rule data: triggers, pseudo-triggers, terminators and section rules, and their matching.

Rows of ``patterns/context/*.jsonl`` (other row kinds, such as sentence abbreviations, are skipped):

- trigger: ``{"literal": "no evidence of", "category": "NEGATED_EXISTENCE", "direction": "FORWARD"}``;
  optional ``sequence`` (the phrases it stands for, as a list of slots, each a phrase or a list of
  alternative phrases: ``[["mtus", "odg"], ["recommends", "states"]]``), ``pattern`` (a spaCy token
  pattern, matched on the Doc with SPACE tokens; slower than literals), ``max_scope`` (tokens;
  ``null``: to the sentence end), ``scope: "section"`` (a header such as "PAST MEDICAL HISTORY:"
  whose scope runs to the next header, across sentences) and ``over_entities`` (the trigger may
  overlap an entity, as "MTUS guidelines recommend" does a GUIDELINE_CITE).
- pseudo-trigger: ``direction: "PSEUDO"``: a phrase that contains a trigger but is none ("no change");
  every trigger overlapping it is dropped (``category`` limits it to one category).
- terminator: ``direction: "TERMINATE"`` with a ``category`` (or ``"ALL"``): ends the scope of
  triggers of that category ("but", "however", "which"); with ``unless_opened_by`` (a closing
  bracket), only when its opening bracket is not inside the scope: "(no X) and Y" ends at ")",
  "no X (a, b), Y" does not.
- section rule: ``{"section": "PAST MEDICAL HISTORY", "category": "HISTORICAL"}``: every entity of
  the section (``doc.spans["sections"]`` label or ``span._.section`` title) gets the category;
  ``{"section_kind": "family", "category": "FAMILY"}`` keys on the section's kind (``kb_id_``).
- category default: ``{"category_default": "HISTORICAL", "max_scope": 30}``.

Categories: NEGATED_EXISTENCE, HISTORICAL, HYPOTHETICAL, FAMILY, UNCERTAIN (POSSIBLE_EXISTENCE is an
alias) and GENERIC: guideline statements ("MTUS guidelines recommend ... for myalgia"), which speak
of patients in general, not of this patient; ConText calls that temporality "not particular" and
the project marks it ``is_hypothetical``.
"""

from __future__ import annotations

from bisect import bisect_left
from collections.abc import Sequence
from dataclasses import dataclass
from itertools import accumulate, product
from typing import Any, NamedTuple

from spacy.language import Language
from spacy.matcher import Matcher
from spacy.tokens import Doc

CATEGORY_ATTR: dict[str, str] = {
    "NEGATED_EXISTENCE": "is_negated",
    "HISTORICAL": "is_historical",
    "HYPOTHETICAL": "is_hypothetical",
    "FAMILY": "is_family",
    "UNCERTAIN": "is_uncertain",
    "GENERIC": "is_hypothetical",
}
ALIASES = {"POSSIBLE_EXISTENCE": "UNCERTAIN", "NEGATED": "NEGATED_EXISTENCE", "HISTORY": "HISTORICAL"}
TRIGGER_DIRECTIONS = frozenset({"FORWARD", "BACKWARD", "BIDIRECTIONAL"})
DIRECTIONS = TRIGGER_DIRECTIONS | {"PSEUDO", "TERMINATE"}
ALL = "ALL"


@dataclass(frozen=True)
class Rule:
    """One trigger, pseudo-trigger or terminator."""

    literal: str
    category: str
    direction: str
    max_scope: int | None
    section_scope: bool = False
    over_entities: bool = False
    opener: str | None = None


class Match(NamedTuple):
    """A rule matched on a Doc: ``start``/``end`` count non-space tokens, ``doc_start``/``doc_end`` are Doc tokens."""

    rule: Rule
    start: int
    end: int
    doc_start: int
    doc_end: int


#: A node of the literal trie: children by LOWER hash, and the rules whose literal ends here.
Node = tuple[dict[int, "Node"], list[Rule]]


class RuleError(ValueError):
    """A malformed rule row (the message names the row number, never document text)."""


def _category(value: str) -> str:
    cat = ALIASES.get(value.upper(), value.upper())
    if cat != ALL and cat not in CATEGORY_ATTR:
        raise RuleError(f"unknown category {value!r}")
    return cat


class ContextRules:
    """Compiled rule rows: a trie of literals (lower-case words, SPACE tokens skipped) and a Matcher."""

    def __init__(self, nlp: Language, rows: list[dict[str, Any]], default_scope: int | None) -> None:
        self.rows = [dict(r) for r in rows]
        self.rules: list[Rule] = []
        self.sections: dict[str, list[str]] = {}
        self.section_kinds: dict[str, list[str]] = {}
        self.defaults: dict[str, int | None] = {}
        self.trie: dict[int, Node] = {}
        self.matcher = Matcher(nlp.vocab)
        self.by_key: dict[int, Rule] = {}
        for row in self.rows:
            if "category_default" in row:
                self.defaults[_category(row["category_default"])] = row.get("max_scope")
        triggers = []
        for n, row in enumerate(self.rows):
            if "section" in row:
                self.sections.setdefault(_normal_title(row["section"]), []).append(_category(row["category"]))
            elif "section_kind" in row:
                self.section_kinds.setdefault(row["section_kind"].lower(), []).append(_category(row["category"]))
            elif "literal" in row and "direction" in row:
                triggers.append((n, row))
        for n, row in triggers:
            direction = row["direction"].upper()
            if direction not in DIRECTIONS:
                raise RuleError(f"rule row {n}: unknown direction {row['direction']!r}")
            category = _category(row.get("category", ALL))
            if category == ALL and direction in TRIGGER_DIRECTIONS:
                raise RuleError(f"rule row {n}: a trigger needs a category")
            scope = row["max_scope"] if "max_scope" in row else self.defaults.get(category, default_scope)
            rule = Rule(
                literal=row["literal"],
                category=category,
                direction=direction,
                max_scope=scope,
                section_scope=row.get("scope") == "section",
                over_entities=bool(row.get("over_entities")),
                opener=row.get("unless_opened_by"),
            )
            key = f"imr_context_{n}"
            self.by_key[nlp.vocab.strings.add(key)] = rule
            self.rules.append(rule)
            if row.get("pattern"):
                self.matcher.add(key, [row["pattern"]])
                continue
            slots = row.get("sequence") or [[row["literal"]]]
            for phrase in product(*([alt] if isinstance(alt, str) else alt for alt in slots)):
                words = [t.lower for part in phrase for t in nlp.make_doc(part) if not t.is_space]
                if not words:
                    raise RuleError(f"rule row {n}: empty literal")
                level = self.trie
                for word in words[:-1]:
                    level = level.setdefault(word, ({}, []))[0]
                level.setdefault(words[-1], ({}, []))[1].append(rule)

    def find(self, doc: Doc, lows: list[int], spaces: list[int], cum: Sequence[int]) -> list[Match]:
        """Triggers and terminators of ``doc`` (overlaps allowed), less those a pseudo-trigger overlaps.

        ``lows``: LOWER of each token; ``spaces``: 1 for a SPACE token; ``cum[i]``: the number of
        non-space tokens before token ``i`` (``len(doc) + 1`` entries).
        """
        found: list[Match] = []
        trie = self.trie
        n = len(lows)
        for i in [i for i, low in enumerate(lows) if low in trie]:
            node = trie[lows[i]]
            j = i
            while True:
                children, rules = node
                if rules:
                    found.extend(Match(r, cum[i], cum[j + 1], i, j + 1) for r in rules)
                j += 1
                while j < n and spaces[j]:
                    j += 1
                if j >= n or not children:
                    break
                node = children.get(lows[j])
                if node is None:
                    break
        if len(self.matcher):
            by_key = self.by_key
            found.extend(Match(by_key[k], cum[s], cum[e], s, e) for k, s, e in self.matcher(doc))
        if not found:
            return []
        pseudo = [m for m in found if m.rule.direction == "PSEUDO"]
        if not pseudo:
            return found
        # Per pseudo category: starts (sorted) and the running maximum of ends, so "does a pseudo-trigger
        # overlap m" is one bisect: of those starting before m.end, the furthest end passes m.start.
        index: dict[str, tuple[list[int], list[int]]] = {}
        for cat in {p.rule.category for p in pseudo}:
            spans = sorted((p.start, p.end) for p in pseudo if p.rule.category == cat)
            index[cat] = ([s for s, _ in spans], list(accumulate((e for _, e in spans), max)))
        out = []
        for m in found:
            if m.rule.direction == "PSEUDO":
                continue
            if any(_overlapped(index.get(cat), m.start, m.end) for cat in (ALL, m.rule.category)):
                continue
            out.append(m)
        return out


def _overlapped(index: tuple[list[int], list[int]] | None, start: int, end: int) -> bool:
    """Whether a span of ``index`` (sorted starts, running maximum of ends) overlaps ``start``..``end``."""
    if index is None:
        return False
    k = bisect_left(index[0], end)
    return k > 0 and index[1][k - 1] > start


def longest(matches: list[Match]) -> list[Match]:
    """Of overlapping matches of one category and direction, the longest (then the first); by start."""
    ordered = sorted(matches, key=lambda m: (m.start - m.end, m.start))
    if any(m.start >= m.end for m in matches):
        return _longest_quadratic(ordered)
    kept: list[Match] = []
    # Kept spans of a (category, direction) never overlap, so sorted by start their ends rise too: the
    # only kept span that can overlap m is the last one starting before m.end.
    groups: dict[tuple[str, str], tuple[list[int], list[int]]] = {}
    for m in ordered:
        starts, ends = groups.setdefault((m.rule.category, m.rule.direction), ([], []))
        k = bisect_left(starts, m.end)
        if k > 0 and ends[k - 1] > m.start:
            continue
        starts.insert(k, m.start)
        ends.insert(k, m.end)
        kept.append(m)
    kept.sort(key=lambda m: m.start)
    return kept


def _longest_quadratic(ordered: list[Match]) -> list[Match]:
    """:func:`longest` for matches with empty spans (pattern rules matching only SPACE tokens)."""
    kept: list[Match] = []
    for m in ordered:
        if any(
            k.rule.category == m.rule.category
            and k.rule.direction == m.rule.direction
            and k.start < m.end
            and m.start < k.end
            for k in kept
        ):
            continue
        kept.append(m)
    kept.sort(key=lambda m: m.start)
    return kept


def _normal_title(title: str) -> str:
    return " ".join(title.upper().replace(":", " ").split())


def normal_title(title: str | None) -> str:
    """A section title as section rules key it (upper case, no colon, single spaces)."""
    return _normal_title(title) if title else ""
