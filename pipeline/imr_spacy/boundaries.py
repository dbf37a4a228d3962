"""Boundary rules the matchers cannot express, applied to ruler candidates on the view.

Each refiner takes the compact view Doc and the candidate list and returns a new list.
The refiners here read *internal* candidates that the pattern files emit next to the
SCHEMA labels (all start with ``_`` and never reach ``doc.ents``):

- blockers ``_VC_NO_TOTAL``, ``_VC_NOT_COUNT`` (counts), ``_DECISION_NOT``, ``_CITE_NOT``: drop
  the candidates of their own label they cover (overlapping and not longer, or starting inside
  the blocker), so other labels are untouched;
- ``_VC_NUM`` ("Eight physical therapy sessions"): a count whose span is the number only;
- ``_VC_CUED`` ("x 12", "times 6", "2x6"), ``_VC_HASH`` ("#6") and ``_VC_QTY`` ("QTY: 3"): counts
  only after a visit cue (``_CUE_VISIT``), a session cue (``_CUE_SESSION``: sessions, therapy) /
  not after a drug cue (``_CUE_PILL``);
- ``_DATE_AFTER_CUE`` ("in 9/93"): a DATE without the preposition that licenses it;
- ``_RG``, ``_RG_WORD``, ``_RG_WEAK``: reflex grades only near a reflex cue (``_CUE_REFLEX``) and
  not bound to another sign (``_CUE_NOT_REFLEX``: strength, pulses, edema, ...);
- ``_CITE_PRE`` ("CA", "California", a year) moves a cite's start back to it;
- ``_CITE_LINE`` ("Decision based on", "Non-MTUS Citation"), ``_CITE_STOP``, ``_CITE_TAIL``,
  ``_CITE_SECTIONS``: a guideline cite runs through its chapter, sections and pages; in a
  guideline line through the sentence, split into one cite per guideline. It never runs into a
  DATE, VISIT_COUNT or DECISION candidate ("(updated 11/22/16)", "page 22, 9-10 visits").
"""

from __future__ import annotations

from collections.abc import Callable

from spacy.tokens import Doc

Candidate = tuple[int, int, str, int]
Refiner = Callable[[Doc, list[Candidate]], list[Candidate]]

#: Each blocker and the label prefixes it blocks (it never touches other labels).
BLOCKERS: dict[str, tuple[str, ...]] = {
    "_VC_NO_TOTAL": ("VISIT_COUNT", "_VC_"),
    "_VC_NOT_COUNT": ("VISIT_COUNT", "_VC_"),
    "_DECISION_NOT": ("DECISION",),
    "_CITE_NOT": ("GUIDELINE_CITE",),
}
INTERNAL_PREFIXES = ("_VC_", "_RG", "_CUE_", "_CITE_", "_DECISION_", "_DATE_")

#: How far (view tokens) a cue may stand from what it licenses.
VISIT_CUE_WINDOW = 10
REFLEX_BACK, REFLEX_WORD_BACK, REFLEX_FORWARD, REFLEX_WEAK_BACK = 8, 6, 4, 4
CITE_LINE_MAX = 90
#: Abbreviations whose period does not end a citation sentence.
_ABBREVIATIONS = frozenset({"pg", "pgs", "pp", "p", "ed", "vol", "no", "fig", "dr", "inc", "st", "vs", "e.g", "i.e"})
_SPLIT_WORDS = frozenset({"and", ",", ";"})
_TAIL_JOINERS = frozenset({",", "on", "at"})
#: Entities a cite never runs into: its extension stops where one of them starts.
_CITE_BARRIERS = frozenset({"DATE", "VISIT_COUNT", "DECISION"})


def _is_internal(label: str) -> bool:
    return label.startswith(INTERNAL_PREFIXES)


def apply_blockers(view: Doc, cands: list[Candidate]) -> list[Candidate]:
    """Drop the candidates of a blocker's own labels that it covers, then the blockers."""
    at: dict[int, list[Candidate]] = {}  # token -> blockers over it
    for c in cands:
        if c[2] in BLOCKERS:
            for i in range(c[0], c[1]):
                at.setdefault(i, []).append(c)
    if not at:
        return cands
    out = []
    for c in cands:
        if c[2] in BLOCKERS:
            continue
        blocks = {b for i in range(c[0], c[1]) for b in at.get(i, ())}
        if any(c[2].startswith(BLOCKERS[b[2]]) and _covers(b, c) for b in blocks):
            continue
        out.append(c)
    return out


def _covers(block: Candidate, cand: Candidate) -> bool:
    """A blocker covers a candidate it overlaps that is not longer or starts inside it."""
    if not (cand[0] < block[1] and block[0] < cand[1]):
        return False
    return cand[1] - cand[0] <= block[1] - block[0] or block[0] < cand[0]


def _sentence_end(view: Doc, i: int) -> bool:
    """Whether the "." at view index ``i`` ends a sentence."""
    if view[i].text != ".":
        return False
    if i > 0 and view[i - 1].lower_ in _ABBREVIATIONS:
        return False
    nxt = view[i + 1].text[:1] if i + 1 < len(view) else ""
    return not nxt or not (nxt.islower() or nxt.isdigit())


def _clear(view: Doc, start: int, end: int, blocked: set[int]) -> bool:
    """No sentence end and no blocking position in view tokens ``start:end``."""
    return not any(i in blocked or _sentence_end(view, i) for i in range(start, end))


def promote_visit_counts(view: Doc, cands: list[Candidate]) -> list[Candidate]:
    """Cued counts, quantities and number-only counts become VISIT_COUNT or are dropped.

    A cued count needs a visit cue before it with no drug cue in between, or (not "#6") must
    end a disputed item ("Yoga classes x 6: Upheld") with no drug cue before it.
    """
    visit_ends = [c[1] for c in cands if c[2] == "_CUE_VISIT"]
    session_ends = [c[1] for c in cands if c[2] == "_CUE_SESSION"]
    pills = sorted({i for c in cands if c[2] == "_CUE_PILL" for i in range(c[0], c[1])})
    pill_set = set(pills)
    out = []
    for start, end, label, prio in cands:
        if label == "_VC_NUM":
            out.append((start, _number_end(view, start), "VISIT_COUNT", prio))
            continue
        if label not in ("_VC_CUED", "_VC_HASH", "_VC_QTY"):
            out.append((start, end, label, prio))
            continue
        ends = session_ends if label == "_VC_HASH" else visit_ends
        lo = max(0, start - VISIT_CUE_WINDOW)
        last_pill = max((i for i in pills if lo <= i < start), default=-1)
        cued = any(lo <= e <= start and e > last_pill and _clear(view, e, start, pill_set) for e in ends)
        item_end = label != "_VC_HASH" and end < len(view) and view[end].text == ":" and last_pill < 0
        no_drug = label == "_VC_QTY" and last_pill < 0
        if cued or item_end or no_drug:
            out.append((start, end, "VISIT_COUNT", prio))
    return out


def _number_end(view: Doc, start: int) -> int:
    """End of the number at ``start``: "Eight", "9-10", or "five (5)"."""
    if start + 3 < len(view) and view[start + 1].text == "(" and view[start + 3].text == ")":
        return start + 4
    return start + 1


def promote_reflex_grades(view: Doc, cands: list[Candidate]) -> list[Candidate]:
    """Grade candidates become REFLEX_GRADE next to a reflex cue, in text order.

    A promoted grade extends its cue to the grades after it ("DTRs are 1+ at the knees and
    trace at the ankles"); a sign word (strength, pulses, edema) in between cuts it off.
    """
    kinds = {"_RG": REFLEX_BACK, "_RG_WORD": REFLEX_WORD_BACK, "_RG_WEAK": REFLEX_WEAK_BACK}
    cue_ends = sorted(c[1] for c in cands if c[2] == "_CUE_REFLEX")
    cue_starts = sorted(c[0] for c in cands if c[2] == "_CUE_REFLEX")
    others = {i for c in cands if c[2] == "_CUE_NOT_REFLEX" for i in range(c[0], c[1])}
    grades = sorted((c for c in cands if c[2] in kinds), key=lambda c: (c[0], -(c[1] - c[0])))
    rest = [c for c in cands if c[2] not in kinds]
    promoted: list[Candidate] = []
    for start, end, label, prio in grades:
        back = kinds[label]
        ends = cue_ends + [g[1] for g in promoted]
        crosses = label == "_RG"
        ok = any(
            start - back <= e <= start
            and not any(i in others for i in range(e, start))
            and (crosses or not any(_sentence_end(view, i) for i in range(e, start)))
            for e in ends
        )
        if label == "_RG_WEAK":
            ok = ok and _weak_grade_context(view, start, end)
        elif not ok:
            ok = any(
                end <= s <= end + REFLEX_FORWARD
                and not any(i in others for i in range(end, s))
                and not any(_sentence_end(view, i) for i in range(end, s))
                for s in cue_starts
            )
        if ok and end < len(view) and end in others:
            ok = False
        if ok:
            promoted.append((start, end, "REFLEX_GRADE", prio))
    return rest + promoted


def _weak_grade_context(view: Doc, start: int, end: int) -> bool:
    """A bare digit is a grade only in "(1)" or right after "is/are/were/:"."""
    before = view[start - 1].lower_ if start > 0 else ""
    after = view[end].text if end < len(view) else ""
    return (before == "(" and after == ")") or before in {"is", "are", "were", "was", ":"}


def extend_cites(view: Doc, cands: list[Candidate]) -> list[Candidate]:
    """Run each cite name through its tail; in a guideline line, through the sentence, split."""
    pre_starts: dict[int, int] = {}
    for s, e, label, _ in cands:
        if label == "_CITE_PRE":
            pre_starts[e] = min(s, pre_starts.get(e, s))
    heads = [(pre_starts.get(c[0], c[0]), c[1], c[2], c[3]) for c in cands if c[2] == "GUIDELINE_CITE"]
    if not heads:
        return cands
    tails: dict[int, int] = {}
    for s, e, label, _ in cands:
        if label == "_CITE_TAIL":
            tails[s] = max(e, tails.get(s, 0))
    sections = {c[0]: c[1] for c in cands if c[2] == "_CITE_SECTIONS"}
    line_ends = {c[1] for c in cands if c[2] == "_CITE_LINE"}
    stops = {c[0] for c in cands if c[2] in ("_CITE_STOP", "_CITE_LINE")}
    head_starts = {c[0] for c in heads}
    stops |= {c[0] for c in cands if c[2] in _CITE_BARRIERS}
    out = [c for c in cands if c[2] != "GUIDELINE_CITE"]
    for start, end, label, prio in heads:
        if start in line_ends:
            stop = _line_end(view, end, stops)
            out.extend((s, e, label, prio) for s, e in _split_line(view, start, stop, head_starts, sections))
        else:
            out.append((start, _trim(view, _run_tail(view, end, tails, sections, stops)), label, prio))
    return out


def _line_end(view: Doc, i: int, stops: set[int]) -> int:
    """End of the citation sentence that continues at view index ``i``."""
    limit = min(len(view), i + CITE_LINE_MAX)
    while i < limit and i not in stops and not _sentence_end(view, i):
        i += 1
    return _trim(view, i)


def _trim(view: Doc, end: int) -> int:
    while end > 0 and view[end - 1].text in {",", ";", ":", "-", "(", "."}:
        end -= 1
    return end


def _split_line(
    view: Doc, start: int, stop: int, head_starts: set[int], sections: dict[int, int]
) -> list[tuple[int, int]]:
    """One (start, end) per guideline in a line: split before another guideline name after
    "and"/"," and at ", and <Title> <year>" once the current cite has had its year or sections."""
    pieces = []
    piece_start, seen_year_or_sections = start, False
    i = start + 1
    while i < stop:
        tok = view[i]
        if i in sections or _is_year(tok.text):
            seen_year_or_sections = True
        nxt = i + 1 + (i + 1 < stop and view[i + 1].lower_ == "the")
        if tok.lower_ in _SPLIT_WORDS and nxt in head_starts and nxt < stop:
            pieces.append((piece_start, _trim(view, i)))
            piece_start, seen_year_or_sections, i = nxt, False, nxt + 1
            continue
        if (
            tok.text == ","
            and i + 2 < stop
            and view[i + 1].lower_ == "and"
            and seen_year_or_sections
            and _year_ahead(view, i + 2, stop, sections)
        ):
            pieces.append((piece_start, _trim(view, i)))
            piece_start, seen_year_or_sections, i = i + 2, False, i + 3
            continue
        i += 1
    pieces.append((piece_start, _trim(view, stop)))
    return [(s, e) for s, e in pieces if e > s]


def _is_year(text: str) -> bool:
    return len(text) == 4 and text.isdigit() and text[:2] in {"19", "20"}


def _year_ahead(view: Doc, i: int, stop: int, sections: dict[int, int], window: int = 9) -> bool:
    """A title year within ``window`` tokens of ``i`` before any sections label."""
    for j in range(i, min(stop, i + window)):
        if j in sections:
            return False
        if _is_year(view[j].text):
            return True
    return False


def _run_tail(view: Doc, i: int, tails: dict[int, int], sections: dict[int, int], stops: set[int]) -> int:
    """Extend a prose cite over adjacent chapters, editions and pages (also after ",", "on", "at")."""
    n = len(view)
    while i < n and i not in stops:
        j = i + 1 if view[i].lower_ in _TAIL_JOINERS and i + 1 < n else i
        if j in tails:
            barrier = next((k for k in range(j, tails[j]) if k in stops), None)
            if barrier is not None:
                return barrier if barrier > j else i
            i = tails[j]
        elif j in sections:
            i = _line_end(view, sections[j], stops)
        else:
            break
    return i


def promote_dates(view: Doc, cands: list[Candidate]) -> list[Candidate]:
    """``_DATE_AFTER_CUE`` ("in 9/93") becomes a DATE without its leading cue word."""
    return [(s + 1, e, "DATE", p) if label == "_DATE_AFTER_CUE" else (s, e, label, p) for s, e, label, p in cands]


def drop_internal(view: Doc, cands: list[Candidate]) -> list[Candidate]:
    """Remove the cue and helper candidates; they never reach ``doc.ents``."""
    return [c for c in cands if not _is_internal(c[2])]


REFINERS: list[Refiner] = [
    apply_blockers,
    promote_dates,
    promote_visit_counts,
    promote_reflex_grades,
    extend_cites,
    drop_internal,
]


def refine(view: Doc, candidates: list[Candidate]) -> list[Candidate]:
    """Apply every refiner in order."""
    for refiner in REFINERS:
        candidates = refiner(view, candidates)
    return candidates
