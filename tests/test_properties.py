"""Property tests: any text goes through the whole pipeline and what comes out keeps the SCHEMA contract.

``assert_contract`` is the contract checker the other reliability tests reuse: entities inside the text and
token-aligned, every attribute of its SCHEMA type, stored values plain data, decisions and relations made of
the Doc's own entities. The letter templates below are invented (no sentence of a real letter, the seed or
a benchmark); hypothesis mutates them the way PDF extraction and odd letters do.

Example counts (CI, 2 cores, well under 2 minutes together): arbitrary text 400, IMR-flavoured token soup
300, big repeats 15, mutated letters 200.

PYTEST_DONT_REWRITE: failures carry only the messages written here (labels, offsets, attribute names),
never document text, also when the contract checker runs on real letters.
"""

from __future__ import annotations

import math
import os
import re
import traceback
from collections.abc import Callable
from datetime import date
from typing import Any, TypeVar

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from imr_spacy.extensions import CONTEXT_ATTRS, SECTIONS_KEY
from spacy.language import Language
from spacy.tokens import Doc, Span

# --- the contract -------------------------------------------------------------------------------

ISO_RE = re.compile(r"^(\d{4})-(\d{2})(?:-(\d{2}))?$")
ICD10_RE = re.compile(r"^[A-TV-Z][0-9][0-9A-Z](?:\.[0-9A-Z]{1,4})?$")
DATE_ROLES = {"injury", "report", "utilization_review", "request", "other"}
OUTCOMES = {"upheld", "overturned", "partial"}
SIDES = {"bilateral", "left", "right"}
#: relation label -> (head label or None for the item text, child label)
RELATIONS: dict[str, tuple[str | None, str]] = {
    "HAS_OUTCOME": (None, "DECISION"),
    "CITES": ("DECISION", "GUIDELINE_CITE"),
    "HAS_COUNT": ("TREATMENT", "VISIT_COUNT"),
}
STR_ATTRS = ("iso", "date_role", "reflex", "grade", "side", "guideline", "outcome", "icd10")
DECISION_KEYS = {"item", "treatment", "count", "outcome", "decision", "guidelines", "rationale"}


def is_plain(value: Any) -> bool:
    """True for JSON-like data: None, bool, int, finite float, str, list and str-keyed dict of those."""
    if value is None or isinstance(value, bool | int | str):
        return True
    if isinstance(value, float):
        return math.isfinite(value)
    if isinstance(value, list):
        return all(is_plain(v) for v in value)
    if isinstance(value, dict):
        return all(isinstance(k, str) and is_plain(v) for k, v in value.items())
    return False


T = TypeVar("T")


def describe(exc: BaseException) -> str:
    """Type and raising location of ``exc`` (innermost project frame if any): never its message."""
    frames = traceback.extract_tb(exc.__traceback__)
    ours = [f for f in frames if "imr_spacy" in f.filename] or frames
    where = f"{ours[-1].filename}:{ours[-1].lineno} in {ours[-1].name}" if ours else "?"
    return f"{type(exc).__name__} raised at {where}"


def safe_call(fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
    """``fn(*args, **kwargs)``; an exception becomes an AssertionError naming only its type and place.

    For calls on real letters: pytest would otherwise print the text arguments of every frame.
    """
    __tracebackhide__ = True
    try:
        return fn(*args, **kwargs)
    except Exception as exc:
        raise AssertionError(describe(exc)) from None


def assert_iso(value: str, where: str) -> None:
    """``value`` is YYYY-MM-DD or YYYY-MM and a real calendar date."""
    __tracebackhide__ = True
    m = ISO_RE.match(value)
    assert m, f"{where}: iso is not YYYY-MM-DD or YYYY-MM"
    year, month, day = int(m.group(1)), int(m.group(2)), int(m.group(3) or 1)
    try:
        date(year, month, day)
    except ValueError:
        raise AssertionError(f"{where}: iso is not a calendar date") from None


def assert_offsets(pair: Any, n: int, what: str) -> tuple[int, int]:
    """A stored [start, end] pair of ints inside a text of length ``n``."""
    __tracebackhide__ = True
    assert isinstance(pair, list) and len(pair) == 2, f"{what}: not a [start, end] list"
    start, end = pair
    assert type(start) is int and type(end) is int, f"{what}: offsets are not ints"
    assert 0 <= start <= end <= n, f"{what}: offsets {start}-{end} outside the text (length {n})"
    return start, end


def assert_span_attrs(ent: Span) -> None:
    """Every SCHEMA attribute of ``ent`` has its SCHEMA type."""
    __tracebackhide__ = True
    where = f"{ent.label_}@{ent.start_char}-{ent.end_char}"
    for name in CONTEXT_ATTRS:
        assert type(getattr(ent._, name)) is bool, f"{where}: {name} is not a bool"
    section = ent._.section
    assert section is None or (isinstance(section, str) and section == section.upper()), f"{where}: section"
    for name in STR_ATTRS:
        value = getattr(ent._, name)
        assert value is None or isinstance(value, str), f"{where}: {name} is not str/None"
    if ent._.iso is not None:
        assert_iso(ent._.iso, where)
    assert ent._.date_role is None or ent._.date_role in DATE_ROLES, f"{where}: date_role"
    assert ent._.outcome is None or ent._.outcome in OUTCOMES, f"{where}: outcome"
    assert ent._.side is None or ent._.side in SIDES, f"{where}: side"
    assert ent._.icd10 is None or ICD10_RE.match(ent._.icd10), f"{where}: icd10 is not an ICD-10-CM code"
    for name in ("count_min", "count_max"):
        value = getattr(ent._, name)
        assert value is None or (type(value) is int and value >= 0), f"{where}: {name} is not an int >= 0"
    if ent._.count_min is not None and ent._.count_max is not None:
        assert ent._.count_min <= ent._.count_max, f"{where}: count_min > count_max"
    pages = ent._.pages
    assert pages is None or (isinstance(pages, list) and all(type(p) is int and p >= 0 for p in pages)), (
        f"{where}: pages is not a list of ints"
    )
    cues = ent._.context_cues
    assert cues is None or (isinstance(cues, list) and all(is_plain(c) and isinstance(c, dict) for c in cues)), (
        f"{where}: context_cues is not a list of plain dicts"
    )


def assert_contract(doc: Doc, text: str) -> None:
    """Everything the pipeline put on ``doc`` (made from ``text``) keeps the annotation contract."""
    __tracebackhide__ = True
    assert doc.text == text, "the pipeline changed the text"
    n = len(text)
    ents = list(doc.ents)
    by_offsets: dict[tuple[int, int], str] = {}
    prev_end = 0
    for ent in ents:
        where = f"{ent.label_}@{ent.start_char}-{ent.end_char}"
        assert ent.label_ and not ent.label_.startswith("_"), f"{where}: blocker or empty label"
        assert 0 <= ent.start_char < ent.end_char <= n, f"{where}: outside the text"
        assert ent.start_char >= prev_end, f"{where}: entities overlap or are unsorted"
        prev_end = ent.end_char
        assert doc.char_span(ent.start_char, ent.end_char) is not None, f"{where}: not token-aligned"
        assert not ent[0].is_space and not ent[-1].is_space, f"{where}: starts or ends on whitespace"
        assert_span_attrs(ent)
        by_offsets[(ent.start_char, ent.end_char)] = ent.label_

    bounds = doc._.section_bounds
    assert bounds is None or is_plain(bounds), "section_bounds is not plain data"
    last = 0
    for b in bounds or []:
        assert isinstance(b, list) and len(b) == 3, "section bound is not [start, end, title]"
        start, end = assert_offsets(b[:2], n, "section")
        assert start >= last, "sections overlap or are unsorted"
        last = end
        assert b[2] is None or isinstance(b[2], str), "section title is not str/None"
    if SECTIONS_KEY in doc.spans:
        for span in doc.spans[SECTIONS_KEY]:
            assert 0 <= span.start_char <= span.end_char <= n, "section span outside the text"

    assert doc._.case is None or (isinstance(doc._.case, dict) and is_plain(doc._.case)), "case is not plain"

    def entity(pair: Any, label: str, what: str) -> None:
        __tracebackhide__ = True
        start, end = assert_offsets(pair, n, what)
        assert by_offsets.get((start, end)) == label, f"{what} at {start}-{end} is not a {label} entity"

    records = doc._.decision_records
    assert records is None or (isinstance(records, list) and is_plain(records)), "decision_records not plain"
    for i, rec in enumerate(records or []):
        what = f"decision {i}"
        assert set(rec) >= DECISION_KEYS, f"{what}: keys missing"
        assert rec["outcome"] in OUTCOMES, f"{what}: outcome"
        assert_offsets(rec["item"], n, f"{what} item")
        entity(rec["decision"], "DECISION", f"{what} decision")
        if rec["treatment"] is not None:
            entity(rec["treatment"], "TREATMENT", f"{what} treatment")
        if rec["count"] is not None:
            entity(rec["count"], "VISIT_COUNT", f"{what} count")
        assert isinstance(rec["guidelines"], list), f"{what}: guidelines is not a list"
        for g in rec["guidelines"]:
            entity(g, "GUIDELINE_CITE", f"{what} guideline")
        if rec["rationale"] is not None:
            assert_offsets(rec["rationale"], n, f"{what} rationale")
    decisions = doc._.decisions
    assert len(decisions) == len(records or [])
    for rec in decisions:
        assert rec["item"] is not None and rec["decision"] is not None
        assert None not in rec["guidelines"]
        span_outcome = rec["decision"]._.outcome
        assert span_outcome is None or span_outcome == rec["outcome"], "decision outcome differs from its span's"

    relations = doc._.relation_records
    assert relations is None or (isinstance(relations, list) and is_plain(relations)), "relation_records not plain"
    for i, rel in enumerate(relations or []):
        what = f"relation {i}"
        assert isinstance(rel, list) and len(rel) == 3, f"{what}: not [head, child, label]"
        head, child, label = rel
        assert label in RELATIONS, f"{what}: unknown label {label!r}"
        head_label, child_label = RELATIONS[label]
        if head_label is None:
            assert_offsets(head, n, f"{what} head")
        else:
            entity(head, head_label, f"{what} head")
        entity(child, child_label, f"{what} child")
    assert len(doc._.relations) == len(relations or [])


# --- letter-shaped text -------------------------------------------------------------------------

NEW_FORMAT = """\
Case Number: CM17-0012345
Date Assigned: 01/04/2017 Date of Injury: 05/22/2011
Decision Date: 02/01/2017 UR Denial Date: 12/19/2016
Priority: Standard Application
Received:
12/28/2016

HOW THE IMR FINAL DETERMINATION WAS MADE
An independent physician looked at the whole file sent by the review organization. The physician
works in the same field as the treating doctors and has no tie to any party in this dispute.

The Expert Reviewer has the following credentials:
State(s) of Licensure: Oregon
Certification(s)/Specialty: Orthopedic Surgery

CLINICAL CASE SUMMARY
This summary was written from the records in the file.

The claimant is a 52 year old warehouse clerk who hurt her left knee and low back while lifting
boxes on 05/22/2011. Diagnoses were lumbar radiculopathy, left knee meniscal tear and chronic
low back pain. On 11/30/2016 she reported aching in the lower back rated 7/10 that radiates to
the left calf. Straight leg raise was positive on the left. Patellar reflexes were 1+/4 bilaterally
and the Achilles reflex was absent on the left. There was no swelling of the knee. She has had
18 sessions of physical therapy, a home exercise program and Naproxen 550mg. An MRI of the
lumbar spine on 03/2016 showed a 4mm disc protrusion at L4-5. The plan was chiropractic care
2 times a week for 4 weeks, Tramadol ER 100mg #30 and a follow-up visit in six weeks.
Utilization review on 12/19/2016 non-certified the requests.

IMR ISSUES, DECISIONS AND RATIONALES
The Final Determination was based on decisions for the disputed items/services set forth below:

Chiropractic care for the lumbar spine 2 times a week for 4 weeks: Overturned

Claims Administrator guideline: Decision based on MTUS Chronic Pain Medical Treatment
Guidelines, Manual therapy & manipulation, pages 58-60.

MAXIMUS guideline: Decision based on MTUS Chronic Pain Medical Treatment Guidelines,
Manual therapy & manipulation, Page(s): 58-59.

Decision rationale: The guidelines allow a trial of 6 visits over 2 weeks and up to 18 visits
with objective functional improvement. The records show flare of low back pain after a period of
improvement and no prior chiropractic care. The request is medically necessary.

Tramadol ER 100mg #30: Upheld

Claims Administrator guideline: Decision based on ODG, Pain Chapter, Opioids.

MAXIMUS guideline: Decision based on MTUS Chronic Pain Medical Treatment Guidelines, Opioids,
pages 76-80.

Decision rationale: Ongoing opioid use needs documented pain relief, functional gains and a
urine drug screen. None of these are in the notes reviewed. The request is not medically
necessary.

Follow-up visit in six weeks: Overturned

Claims Administrator guideline: The Claims Administrator did not cite any guideline.

MAXIMUS guideline: Decision based on ACOEM Practice Guidelines, 2nd Edition (2004),
Chapter 12, page 303.

Decision rationale: Follow-up is reasonable while medication is adjusted. The request is
medically necessary.
"""

OLD_FORMAT = """\
HOW THE IMR FINAL DETERMINATION WAS MADE
The reviewing physician is board certified and licensed in Nevada. He or she holds no interest in
the outcome of this review and has been in practice for over ten years.

CLINICAL CASE SUMMARY
This 61 year old man was injured at work on 9/14/2009 when a pallet struck his right shoulder.
He has a history of rotator cuff repair and hypertension. He denies chest pain. Biceps reflex is
2+ on the right and trace on the left. Range of motion of the right shoulder is limited. Deep
tendon reflexes are symmetric. He completed 12 visits of physical therapy in March 2013. The
treating doctor requested acupuncture x 6 and a shoulder MRI on 4/2/14.

IMR ISSUES, DECISIONS AND RATIONALES
The Final Determination was based on decisions for the disputed items/services set forth below:

1. Acupuncture for the right shoulder x 6 is not medically necessary and appropriate.

Claims Administrator guideline: Decision based on MTUS Acupuncture Medical Treatment
Guidelines, page 8.

MAXIMUS guideline: Decision based on MTUS page 8.

Decision rationale: There is no record of functional improvement from prior acupuncture. There
were no therapy notes. The request for acupuncture is not medically necessary.

2. MRI of the right shoulder: Upheld

Claims Administrator guideline: Decision based on ODG, Shoulder Chapter.

Decision rationale: Imaging after surgery is suggested when new red flags appear; none are
documented, so the request is not medically necessary.
"""

TEMPLATES = [NEW_FORMAT, OLD_FORMAT]

NASTY = [
    "\x00",
    "\x07",
    "\x0b",
    "\x0c",
    "\r",
    "\r\n",
    "\x85",
    "\u2028",
    "\u2029",
    "\u00a0",
    "\u00ad",
    "\u200b",
    "\u200d",
    "\u200f",
    "\u202e",
    "\u2066",
    "\ufeff",
    "\ufffd",
    "\u0301\u0301\u0301",
    "e\u0301",
    "שלום",
    "مرحبا",
    "😀",
    "👩‍👩‍👧",
    "🇺🇸",
    "𝔘𝔭𝔥𝔢𝔩𝔡",
    "ﬁ",
    "Ⅻ",
    "٣",
    "\t",
    "\n\n\n",
    " ",
]

IMR_WORDS = [
    "no",
    "not",
    "without",
    "denies",
    "history of",
    "Upheld",
    "Overturned",
    "UPHELD",
    ":",
    "medically necessary",
    "not medically necessary",
    "MTUS",
    "ODG",
    "ACOEM",
    "Page(s):",
    "98-99",
    "page",
    "x 12",
    "x12",
    "2x6",
    "12 sessions",
    "2 times a week for 6 weeks",
    "2+",
    "+2",
    "2+/4",
    "1 +",
    "absent",
    "trace",
    "reflexes",
    "bilaterally",
    "02/23/2009",
    "2/30/2016",
    "13/45/2016",
    "7/3/14",
    "11-2016",
    "March 2013",
    "June 31, 2014",
    "0/0/0000",
    "L4-5",
    "physical therapy",
    "MRI of the lumbar spine",
    "Norco 10/325 mg",
    "neck pain",
    "Date of Injury:",
    "UR Denial Date:",
    "Decision rationale:",
    "MAXIMUS guideline:",
    "Claims Administrator guideline:",
    "CLINICAL CASE SUMMARY",
    "IMR ISSUES, DECISIONS AND RATIONALES",
    "HOW THE IMR FINAL DETERMINATION WAS MADE",
    ".",
    ",",
    "(",
    ")",
    "-",
    "/",
    "#",
    "99999999999999999999",
    "-1",
]

CI = bool(os.environ.get("CI"))


def profile(n: int) -> settings:
    """Hypothesis settings: ``n`` examples, no deadline (CI timing varies), fixed seed in CI."""
    return settings(
        max_examples=n,
        deadline=None,
        derandomize=CI,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.large_base_example],
    )


token_soup = st.lists(
    st.one_of(st.sampled_from(NASTY), st.sampled_from(IMR_WORDS), st.text(max_size=12)),
    max_size=300,
).map(lambda parts: " ".join(parts))

#: Long texts of one repeated piece. Not runs of affix punctuation or emoji without spaces: spaCy's
#: tokenizer strips those one character per step, quadratically (see ``test_long_punctuation_runs``).
big_repeat = st.builds(
    lambda piece, sep, size: ((piece + sep) * (size // len(piece + sep) + 1))[:size],
    st.sampled_from(["no", "a", "9", "\n", "2+", "x", "Upheld", "\u0301", "\x00", "-", "/", "no documentation of"]),
    st.sampled_from(["", " ", "\n"]),
    st.integers(min_value=1_000, max_value=150_000),
)


@st.composite
def mutated_letter(draw: st.DrawFn) -> str:
    """A template letter after a few random edits on its lines and characters."""
    lines = draw(st.sampled_from(TEMPLATES)).split("\n")
    for _ in range(draw(st.integers(0, 8))):
        op = draw(
            st.sampled_from(
                ["delete", "duplicate", "swap_outcome", "blank_in_phrase", "insert", "truncate", "upper", "join"]
            )
        )
        if not lines:
            break
        i = draw(st.integers(0, len(lines) - 1))
        if op == "delete":
            del lines[i]
        elif op == "duplicate":
            j = draw(st.integers(i, min(len(lines), i + 25)))
            at = draw(st.integers(0, len(lines)))
            lines[at:at] = lines[i:j]
        elif op == "swap_outcome":
            swap = {"Upheld": "Overturned", "Overturned": "Upheld", "not medically": "medically"}
            old = draw(st.sampled_from(sorted(swap)))
            lines = [ln.replace(old, swap[old]) for ln in lines]
        elif op == "blank_in_phrase":
            spaces = [k for k, c in enumerate(lines[i]) if c == " "]
            if spaces:
                k = draw(st.sampled_from(spaces))
                gap = draw(st.sampled_from(["\n\n", "\n \n", "\n\n\n\n", " \n", "\n\x0c\n"]))
                lines[i] = lines[i][:k] + gap + lines[i][k + 1 :]
        elif op == "insert":
            k = draw(st.integers(0, len(lines[i])))
            piece = draw(st.one_of(st.sampled_from(NASTY + IMR_WORDS), st.text(max_size=8)))
            lines[i] = lines[i][:k] + piece + lines[i][k:]
        elif op == "truncate":
            lines[i] = lines[i][: draw(st.integers(0, len(lines[i])))]
            del lines[i + 1 :]
        elif op == "upper":
            lines[i] = lines[i].upper()
        elif op == "join" and i + 1 < len(lines):
            lines[i : i + 2] = [lines[i] + lines[i + 1]]
    return "\n".join(lines)


# --- the properties -----------------------------------------------------------------------------


@profile(400)
@given(text=st.one_of(st.text(max_size=3000), st.lists(st.text(max_size=60), max_size=150).map("\n".join)))
def test_arbitrary_unicode(nlp: Language, text: str) -> None:
    assert_contract(nlp(text), text)


@profile(300)
@given(text=token_soup)
def test_imr_token_soup(nlp: Language, text: str) -> None:
    assert_contract(nlp(text), text)


@profile(15)
@given(text=big_repeat)
def test_big_repeats(nlp: Language, text: str) -> None:
    assert_contract(nlp(text), text)


@profile(200)
@given(text=mutated_letter())
def test_mutated_letters(nlp: Language, text: str) -> None:
    assert_contract(nlp(text), text)
