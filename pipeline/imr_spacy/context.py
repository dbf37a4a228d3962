"""``imr_context``: ConText-style negation, temporality, experiencer and uncertainty.

For each entity of ``doc.ents`` (labels in ``skip_labels`` excepted) the component sets
``is_negated``, ``is_historical``, ``is_hypothetical``, ``is_family`` and ``is_uncertain`` and
explains them in ``span._.context_cues``: plain dicts ``{"trigger", "category", "direction",
"start", "end"}`` (Doc token offsets of the trigger, or of the section for direction SECTION).

A trigger modifies the entities in its scope: after it (FORWARD), before it (BACKWARD) or both,
up to ``max_scope`` non-space tokens, never past its sentence or a terminator of its category.
Pseudo-triggers cancel the triggers they overlap; triggers and terminators overlapping an entity
are dropped, except a cue that opens the entity ("status post CABG"), which modifies that entity
only; of the remaining overlapping triggers of a category and direction the longest counts.
Header triggers ("PAST MEDICAL HISTORY:") reach to the next header, and section rules give every
entity of a section (``doc.spans["sections"]``, ``span._.section``) a category. Guideline
statements (GENERIC: "MTUS guidelines recommend ... for myalgia") set ``is_hypothetical``: they
speak of patients in general, ConText's "not particular" temporality.

Rules are data (``patterns/context/*.jsonl``, see :mod:`imr_spacy.context_rules`), loaded in
``initialize`` and saved with the component. Matching skips SPACE tokens, so cues broken by PDF
line wraps match and scopes count words only. Sentences come from the Doc, or from
:func:`imr_spacy.sentences.sentence_starts` when none are set (a Doc from ``nlp.make_doc``).
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from collections.abc import Iterable, Sequence
from itertools import accumulate
from typing import Any

from spacy.attrs import IS_SPACE, LOWER, ORTH
from spacy.language import Language
from spacy.tokens import Doc, Span

from .context_rules import ALL, CATEGORY_ATTR, ContextRules, Match, longest, normal_title
from .extensions import CONTEXT_ATTRS, SECTIONS_KEY
from .sentences import SentenceRules, header_start, sentence_starts
from .tables import RowsMixin, rows_from

DEFAULT_SKIP = ["DATE", "DECISION", "GUIDELINE_CITE", "VISIT_COUNT", "REFLEX_GRADE"]
_ATTRS = [LOWER, IS_SPACE, ORTH]
#: A trigger with the first and last+1 non-space token of its scope.
Scoped = tuple[Match, int, int]
#: A section cue: title, category, first and last+1 Doc token of the section.
SectionCue = tuple[str, str, int, int]


class IMRContext(RowsMixin):
    """Assigns ConText modifiers to ``doc.ents`` (sentences split on the fly if unset)."""

    rows_file = "rules.jsonl"

    def __init__(self, nlp: Language, name: str, max_scope: int | None, skip_labels: list[str]) -> None:
        self.nlp = nlp
        self.name = name
        self.max_scope = max_scope
        self.skip_labels = frozenset(skip_labels)
        self.rows: list[dict[str, Any]] = []
        self._build()

    def _build(self) -> None:
        self.rules = ContextRules(self.nlp, self.rows, self.max_scope)
        self.sentence_rules = SentenceRules(self.rows)

    def initialize(self, get_examples: Any = None, *, nlp: Language | None = None, rules: Any = None) -> None:
        """Load the rule rows (a list, or a reader from ``[initialize.components]``)."""
        self.set_rows(rows_from(rules))

    def get_rows(self) -> list[dict[str, Any]]:
        return self.rows

    def set_rows(self, rows: list[dict[str, Any]]) -> None:
        self.rows = rows
        self._build()

    def __call__(self, doc: Doc) -> Doc:
        ents = doc.ents
        targets = [e for e in ents if e.label_ not in self.skip_labels]
        if not targets:
            return doc
        fresh = not doc.user_data  # no extension value stored yet: the defaults (False, None) hold
        arr = doc.to_array(_ATTRS)
        lows, spaces = arr[:, 0].tolist(), arr[:, 1].tolist()
        # cum[i]: the number of non-space tokens before token i
        cum = [0, *accumulate([1 - sp for sp in spaces])] if 1 in spaces else range(len(spaces) + 1)
        matches = self.rules.find(doc, lows, spaces, cum)
        sections = self._section_cues(doc, targets) if self._has_sections(doc) else {}
        scoped: list[Scoped] = []
        inner: dict[int, list[Match]] = {}
        if matches:
            matches = longest(_drop_over_entities(matches, [(cum[e.start], cum[e.end]) for e in ents], inner))
            scoped = self._scopes(doc, matches, cum, arr[:, 2].tolist(), spaces)
        by_target = _cues_by_target(scoped, [cum[e.start] for e in targets], [cum[e.end] for e in targets])
        for ti, ent in enumerate(targets):
            start = cum[ent.start]
            cues = by_target.get(ti, [])
            cues.extend(inner.get(start, ()))
            flags = dict.fromkeys(CONTEXT_ATTRS, False)
            records = []
            for m in cues:
                flags[CATEGORY_ATTR[m.rule.category]] = True
                text = doc[m.doc_start : m.doc_end].text
                records.append(_cue(text, m.rule.category, m.rule.direction, m.doc_start, m.doc_end))
            for title, category, s, e in sections.get(ent.start, ()):
                flags[CATEGORY_ATTR[category]] = True
                records.append(_cue(title, category, "SECTION", s, e))
            if fresh and not records:
                continue
            underscore = ent._
            for attr, value in flags.items():
                if value or not fresh:
                    setattr(underscore, attr, value)
            underscore.context_cues = records or None
        return doc

    def _scopes(
        self, doc: Doc, matches: list[Match], cum: Sequence[int], orth: list[int], spaces: list[int]
    ) -> list[Scoped]:
        """Each trigger with the range of non-space tokens it modifies."""
        n = cum[-1]
        if doc.has_annotation("SENT_START"):
            dstarts = [s.start for s in doc.sents]
        else:
            dstarts = sentence_starts(doc, self.sentence_rules, orth, spaces)
        sents = sorted({cum[i] for i in dstarts} | {0})
        terms = [m for m in matches if m.rule.direction == "TERMINATE"]  # by start, as matches
        term_starts = [t.start for t in terms]
        reach = max((t.end - t.start for t in terms), default=0)  # the longest terminator
        heads: list[int] | None = None
        out: list[Scoped] = []
        for m in matches:
            rule = m.rule
            if rule.direction == "TERMINATE":
                continue
            if rule.section_scope:
                if heads is None:
                    heads = _headers(doc, matches, cum, orth)
                k = bisect_right(heads, m.start)
                out.append((m, m.end, heads[k] if k < len(heads) else n))
                continue
            si = bisect_right(sents, m.start) - 1
            lo, hi = m.start, m.end
            if rule.direction != "BACKWARD":
                hi = sents[si + 1] if si + 1 < len(sents) else n
                for ti in range(bisect_left(term_starts, m.end), bisect_left(term_starts, hi)):
                    t = terms[ti]
                    if t.rule.category in (ALL, rule.category):
                        if t.rule.opener and _contains(doc, t.rule.opener, m.doc_end, t.doc_start):
                            continue
                        hi = t.start
                        break
                if rule.max_scope is not None:
                    hi = min(hi, m.end + rule.max_scope)
            if rule.direction != "FORWARD":
                lo = sents[si]
                # a terminator ending after lo starts after lo - reach; one ending by m.start starts by it
                for ti in range(bisect_left(term_starts, lo - reach), bisect_right(term_starts, m.start)):
                    t = terms[ti]
                    if lo < t.end <= m.start and t.rule.category in (ALL, rule.category):
                        lo = t.end
                if rule.max_scope is not None:
                    lo = max(lo, m.start - rule.max_scope)
            out.append((m, lo, hi))
        return out

    def _has_sections(self, doc: Doc) -> bool:
        if not (self.rules.sections or self.rules.section_kinds):
            return False
        return SECTIONS_KEY in doc.spans or (bool(doc.user_data) and bool(doc._.section_bounds))

    def _section_cues(self, doc: Doc, targets: list[Span]) -> dict[int, list[SectionCue]]:
        """Entity start -> the cues of the sections it lies in that carry categories (one per category)."""
        found: dict[tuple[str, int, int], SectionCue] = {}
        rules, kinds = self.rules.sections, self.rules.section_kinds
        for sec in doc.spans.get(SECTIONS_KEY, ()):
            for cat in rules.get(normal_title(sec.label_), []) + kinds.get(sec.kb_id_.lower(), []):
                found.setdefault((cat, sec.start_char, sec.end_char), (sec.label_, cat, sec.start, sec.end))
        for start, end, title in doc._.section_bounds or []:
            cats = rules.get(normal_title(title), [])
            sec = doc.char_span(start, end, alignment_mode="expand") if cats else None
            for cat in cats if sec is not None else ():
                found.setdefault((cat, start, end), (title, cat, sec.start, sec.end))
        out: dict[int, list[SectionCue]] = {}
        # sweep: sections by start, entities by start character; the open sections are few
        items = sorted(((start, end, n, cat, cue) for n, ((cat, start, end), cue) in enumerate(found.items())))
        nxt = 0
        active: list[tuple[int, int, int, str, SectionCue]] = []
        for ent in sorted(targets, key=lambda e: e.start_char):
            pos = ent.start_char
            while nxt < len(items) and items[nxt][0] <= pos:
                active.append(items[nxt])
                nxt += 1
            active = [a for a in active if a[1] > pos]
            seen: set[str] = set()
            for _, _, _, cat, cue in sorted(active, key=lambda a: a[2]):
                if cat not in seen:
                    seen.add(cat)
                    out.setdefault(ent.start, []).append(cue)
        return out


def _drop_over_entities(
    matches: list[Match], spans: list[tuple[int, int]], inner: dict[int, list[Match]]
) -> list[Match]:
    """Triggers clear of entities; a FORWARD cue opening an entity goes to ``inner`` (by entity start)."""
    starts = [s for s, _ in spans]
    kept = []
    for m in matches:
        i = bisect_left(starts, m.end) - 1
        hit = None
        while i >= 0 and spans[i][1] > m.start:
            hit = spans[i]
            i -= 1
        if hit is None or m.rule.over_entities:
            kept.append(m)
        elif m.start == hit[0] and m.end < hit[1] and m.rule.direction == "FORWARD":
            inner.setdefault(hit[0], []).append(m)
    return kept


def _cues_by_target(scoped: list[Scoped], starts: list[int], ends: list[int]) -> dict[int, list[Match]]:
    """Target index -> the triggers whose scope holds it, in ``scoped`` order.

    A forward trigger holds a target starting in ``[max(lo, m.end), hi)``; a backward one a target
    ending in ``(lo, min(hi, m.start)]``; a bidirectional one either.

    ``starts``/``ends``: non-space token offsets of the targets (in Doc order, so both ascend).
    """
    out: dict[int, list[Match]] = {}
    for m, lo, hi in scoped:
        direction = m.rule.direction
        hits: Iterable[int] = ()
        if direction != "BACKWARD":  # m.end <= start and lo <= start < hi
            hits = range(bisect_left(starts, max(lo, m.end)), bisect_left(starts, hi))
        if direction != "FORWARD":  # end <= m.start and lo < end <= hi
            back = range(bisect_right(ends, lo), bisect_right(ends, min(hi, m.start)))
            hits = sorted(set(hits) | set(back)) if hits else back
        for i in hits:
            out.setdefault(i, []).append(m)
    return out


def _contains(doc: Doc, text: str, start: int, end: int) -> bool:
    return any(t.text == text for t in doc[start:end])


def _headers(doc: Doc, matches: list[Match], cum: Sequence[int], orth: list[int]) -> list[int]:
    """Starts (non-space token counts) of headers: header triggers and all-caps "TITLE:" runs."""
    heads = {m.start for m in matches if m.rule.section_scope}
    colon = doc.vocab.strings[":"]
    for i, o in enumerate(orth):  # the ORTH array: no Token object per token
        if o == colon:
            h = header_start(doc, i)
            if h is not None:
                heads.add(cum[h])
    return sorted(heads)


def _cue(trigger: str, category: str, direction: str, start: int, end: int) -> dict[str, Any]:
    return {"trigger": trigger, "category": category, "direction": direction, "start": start, "end": end}


@Language.factory(
    "imr_context",
    default_config={"max_scope": 10, "skip_labels": DEFAULT_SKIP},
)
def make_context(nlp: Language, name: str, max_scope: int | None, skip_labels: list[str]) -> IMRContext:
    """Factory of :class:`IMRContext`."""
    return IMRContext(nlp, name, max_scope, skip_labels)
