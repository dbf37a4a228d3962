"""Boundary rules the matchers cannot express, applied to ruler candidates on the view.

Each refiner takes the compact view Doc and the candidate list and returns a new list.
The refiners here read *internal* candidates that the pattern files emit next to the
SCHEMA labels (all start with ``_`` and never reach ``doc.ents``):

- blockers ``_VC_NO_TOTAL``, ``_VC_NOT_COUNT``, ``_DECISION_NOT``, ``_CITE_NOT``: drop the
  structured candidates they cover (overlapping and not longer, or starting inside the blocker),
  so other labels are untouched;
- ``_VC_NUM`` ("Eight physical therapy sessions"): a count whose span is the number only;
- ``_VC_CUED`` ("x 12", "times 6", "2x6"), ``_VC_HASH`` ("#6") and ``_VC_QTY`` ("QTY: 3"): counts
  only after a visit cue (``_CUE_VISIT``), a session cue (``_CUE_SESSION``: sessions, therapy) /
  not after a drug cue (``_CUE_PILL``);
- ``_RG``, ``_RG_WORD``, ``_RG_WEAK``: reflex grades only near a reflex cue (``_CUE_REFLEX``) and
  not bound to another sign (``_CUE_NOT_REFLEX``: strength, pulses, edema, ...);
- ``_CITE_LINE`` ("Decision based on", "Non-MTUS Citation"), ``_CITE_STOP``, ``_CITE_TAIL``,
  ``_CITE_SECTIONS``: a guideline cite runs through its chapter, sections and pages; in a
  guideline line through the sentence, split into one cite per guideline.
"""

from __future__ import annotations

from collections.abc import Callable

from spacy.tokens import Doc

Candidate = tuple[int, int, str, int]
Refiner = Callable[[Doc, list[Candidate]], list[Candidate]]

STRUCTURED = frozenset({"DATE", "VISIT_COUNT", "REFLEX_GRADE", "GUIDELINE_CITE", "DECISION"})
BLOCKERS = frozenset({"_VC_NO_TOTAL", "_VC_NOT_COUNT", "_DECISION_NOT", "_CITE_NOT"})
INTERNAL_PREFIXES = ("_VC_", "_RG", "_CUE_", "_CITE_", "_DECISION_")

#: How far (view tokens) a cue may stand from what it licenses.
VISIT_CUE_WINDOW = 10
REFLEX_BACK, REFLEX_WORD_BACK, REFLEX_FORWARD, REFLEX_WEAK_BACK = 8, 6, 4, 4
CITE_LINE_MAX = 90
#: Abbreviations whose period does not end a citation sentence.
_ABBREVIATIONS = frozenset({"pg", "pgs", "pp", "p", "ed", "vol", "no", "fig", "dr", "inc", "st", "vs", "e.g", "i.e"})
_SPLIT_WORDS = frozenset({"and", ",", ";"})
_TAIL_JOINERS = frozenset({",", "on", "at"})


def _is_internal(label: str) -> bool:
    return label.startswith(INTERNAL_PREFIXES)


def apply_blockers(view: Doc, cands: list[Candidate]) -> list[Candidate]:
    """Drop structured/internal candidates covered by one of this module's blockers."""
    blocks = [c for c in cands if c[2] in BLOCKERS]
    out = []
    for c in cands:
        if c[2] in BLOCKERS:
            continue
        if (c[2] in STRUCTURED or _is_internal(c[2])) and any(_covers(b, c) for b in blocks):
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
    """Cued counts, quantities and number-only counts become VISIT_COUNT or are dropped."""
    visit_ends = [c[1] for c in cands if c[2] == "_CUE_VISIT"]
    session_ends = [c[1] for c in cands if c[2] == "_CUE_SESSION"]
    pills = {i for c in cands if c[2] == "_CUE_PILL" for i in range(c[0], c[1])}
    out = []
    for start, end, label, prio in cands:
        if label == "_VC_NUM":
            out.append((start, _number_end(view, start), "VISIT_COUNT", prio))
        elif label in ("_VC_CUED", "_VC_HASH"):
            ends = visit_ends if label == "_VC_CUED" else session_ends
            if any(start - VISIT_CUE_WINDOW <= e <= start and _clear(view, e, start, pills) for e in ends):
                out.append((start, end, "VISIT_COUNT", prio))
        elif label == "_VC_QTY":
            lo = max(0, start - VISIT_CUE_WINDOW)
            if not any(i in pills for i in range(lo, start)):
                out.append((start, end, "VISIT_COUNT", prio))
        else:
            out.append((start, end, label, prio))
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
    heads = [c for c in cands if c[2] == "GUIDELINE_CITE"]
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
    out = [c for c in cands if c[2] != "GUIDELINE_CITE"]
    for start, end, label, prio in heads:
        if start in line_ends:
            stop = _line_end(view, end, stops)
            out.extend((s, e, label, prio) for s, e in _split_line(view, start, stop, head_starts, sections))
        else:
            out.append((start, _run_tail(view, end, tails, sections, stops), label, prio))
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
    while i < n:
        j = i + 1 if view[i].lower_ in _TAIL_JOINERS and i + 1 < n else i
        if j in tails:
            i = tails[j]
        elif j in sections:
            i = _line_end(view, sections[j], stops)
        else:
            break
    return i


def drop_internal(view: Doc, cands: list[Candidate]) -> list[Candidate]:
    """Remove the cue and helper candidates; they never reach ``doc.ents``."""
    return [c for c in cands if not _is_internal(c[2])]


REFINERS: list[Refiner] = [apply_blockers, promote_visit_counts, promote_reflex_grades, extend_cites, drop_internal]


def refine(view: Doc, candidates: list[Candidate]) -> list[Candidate]:
    """Apply every refiner in order."""
    for refiner in REFINERS:
        candidates = refiner(view, candidates)
    return candidates
