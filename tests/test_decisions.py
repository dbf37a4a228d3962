"""``imr_decisions``: records and relations from hand-set entities on invented letter text.

Unit tests run the sections and decisions components on ``make_doc`` Docs whose entities are set
by hand, so they pin this component's logic whatever the entity patterns do. The tests at the end
use the assembled pipeline (``nlp`` fixture) and need the DECISION/GUIDELINE_CITE patterns.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
import spacy
from imr_spacy.decisions import IMRDecisions
from imr_spacy.entity_ruler import load_pattern_dir
from imr_spacy.sections import IMRSections
from imr_spacy.tables import load_tables
from spacy.language import Language
from spacy.tokens import Doc, DocBin

ROOT = Path(__file__).resolve().parents[1]
PATTERNS = ROOT / "patterns"
SEED_GOLD = ROOT.parent / "shared" / "gold" / "seed.jsonl"

Mark = tuple[str, str] | tuple[str, str, int] | tuple[str, str, int, dict[str, Any]]


def pdf_lines(text: str) -> str:
    """Letter text as PDF extraction gives it: every line ends in a space (blank lines hold one)."""
    return "\n".join(line + " " for line in text.split("\n"))


TWO_ITEMS = pdf_lines("""\
Case Number: CM99-0000101
Date Assigned: 02/06/2017 Date of Injury:  08/30/2015
Decision Date: 03/03/2017 UR Denial Date:  01/24/2017

HOW THE IMR FINAL DETERMINATION WAS MADE
A physician with no ties to the parties read every record in the file.

CLINICAL CASE SUMMARY
The injured worker is a 29 year old woman who twisted her right ankle on a loading dock.

IMR ISSUES, DECISIONS AND RATIONALES
Each disputed item/service and its decision are set forth below:

Aquatic therapy for the right ankle x 10: Upheld

Claims Administrator guideline: Decision based on ODG Ankle and Foot Chapter.

MAXIMUS guideline: Decision based on MTUS Chronic Pain Medical Treatment 2016,
Section(s): Aquatic therapy.

Decision rationale: Pool exercise is an option when land exercise cannot be tolerated. The
notes describe a worker who walks without a limp, and the ODG favours land based therapy.
The request is not medically necessary.

Ankle brace for the right ankle, purchase: Overturned

Claims Administrator guideline: The Claims Administrator cited no guideline.

MAXIMUS guideline: Decision based on ACOEM Practice Guidelines, 2nd Edition (2004),
Chapter 14, page 371.

Decision rationale: Bracing is advised for an unstable ankle during recovery, which the exam
shows. The request is medically necessary.
""")

TWO_ITEMS_MARKS: list[Mark] = [
    ("Aquatic therapy", "TREATMENT"),
    ("x 10", "VISIT_COUNT"),
    ("Upheld", "DECISION"),
    ("ODG Ankle and Foot Chapter", "GUIDELINE_CITE"),
    ("MTUS Chronic Pain Medical Treatment 2016, Section(s): Aquatic therapy", "GUIDELINE_CITE"),
    ("ODG", "GUIDELINE_CITE", 1),
    ("not medically necessary", "DECISION"),
    ("Ankle brace", "TREATMENT"),
    ("Overturned", "DECISION"),
    ("ACOEM Practice Guidelines, 2nd Edition (2004), Chapter 14, page 371", "GUIDELINE_CITE"),
    ("medically necessary", "DECISION", 1),
]

RESTATED = pdf_lines("""\
IMR ISSUES, DECISIONS AND RATIONALES
Each disputed item/service and its decision are set forth below:

Massage therapy ten sessions for the neck was the original request. Massage therapy four sessions
was authorized by the Claims Administrator. The remaining IMR eligible portion of the original
request, Massage therapy six sessions for the neck is:
Upheld

MAXIMUS guideline: Decision based on MTUS Massage therapy 2016.

Decision rationale: Massage is an adjunct to exercise and is limited to 4 to 6 visits in most
cases. Four visits were already approved. The request is not medically necessary.

Knee scooter for a 2 month rental was the original request. The Claims Administrator approved a
knee scooter for 1 month, leaving the original request IMR eligible. The original request, knee
scooter for a 2 month rental is: Overturned

MAXIMUS guideline: Decision based on ODG Knee and Leg Chapter.

Decision rationale: Non weight bearing is ordered for eight weeks, so the device is needed.

Gabapentin 300mg #90, one capsule three times a day for burning pain of the left
lower extremity: Overturned

MAXIMUS guideline: Decision based on MTUS Anti-epilepsy drugs 2016.

Decision rationale: Neuropathic pain is documented. The request is medically necessary.
""")

NOT_RELIED = pdf_lines("""\
IMR ISSUES, DECISIONS AND RATIONALES
Each disputed item/service and its decision are set forth below:

Cold therapy unit for the left knee, 7 day rental: Upheld

Claims Administrator guideline: Decision based on ODG Knee Chapter.

MAXIMUS guideline: The Expert Reviewer based their decision on recommendation(s) outside
of the MTUS Guidelines. Decision based on Non-MTUS Citation Official Disability Guidelines
(ODG) Knee Chapter.

Decision rationale: The California MTUS and the ODG do not address cold units after a knee
sprain (the CA MTUS is silent on devices of this kind). The ACOEM Guidelines advise ice packs
at home. The request is not medically necessary.
""")

OLDER = pdf_lines("""\
 HOW THE IMR FINAL DETERMINATION WAS MADE

The file went to a physician who has no link to the worker, the employer or the insurer. The

reviewer is Board Certified in Orthopaedic Surgery and is licensed to practice in Nevada.



CLINICAL CASE SUMMARY

The worker is a 51 years old male with a back strain from 2012.



IMR ISSUES, DECISIONS AND RATIONALES

Each disputed item/service and its decision are set forth below:



Chiropractic treatment for the lumbar spine x 8: Upheld



Claims Administrator guideline: None cited.



MAXIMUS guideline: Decision based on MTUS Chronic Pain Treatment Guidelines Page(s):

58-59.



Decision rationale: Eight visits were done last spring with no change in function, and MTUS

page 58 asks for objective gains before more visits. Request is not medically necessary.



""")


#: PDF page breaks (empty lines) inside a wrapped item and between an item and its outcome word.
PAGE_BREAKS = (
    "IMR ISSUES, DECISIONS AND RATIONALES \nEach disputed item/service and its decision are set forth below: \n \n"
    "Home health aide 4 hours per day, 3 days a week for 6 weeks to help with bathing \n\n"
    "and dressing: Overturned \n \nMAXIMUS guideline: Decision based on ODG Knee and Leg Chapter. \n \n"
    "Decision rationale: The worker cannot bear weight after surgery and lives alone. \n \n"
    "Spinal cord stimulator trial with percutaneous leads: \n\nUpheld \n \n"
    "MAXIMUS guideline: Decision based on MTUS Spinal cord stimulators 2016. \n \n"
    "Decision rationale: A psychological evaluation must come before a trial; none was done. \n"
)


@pytest.fixture(scope="module")
def parts() -> Language:
    """Tokenizer, sections and decisions, initialized from the working tree's tables."""
    nlp = spacy.blank("en", config={"nlp": {"tokenizer": {"@tokenizers": "imr_spacy.Tokenizer.v1"}}})
    nlp.add_pipe("imr_sections", name="sections").initialize(titles=load_pattern_dir(PATTERNS / "sections"))
    nlp.add_pipe("imr_decisions", name="decisions").initialize(tables=load_tables(PATTERNS / "decisions"))
    return nlp


def find(text: str, phrase: str, nth: int = 0) -> tuple[int, int]:
    """Offsets of the ``nth`` occurrence of ``phrase``, whitespace (line wraps) matching any run."""
    regex = r"\s+".join(re.escape(w) for w in phrase.split())
    found = list(re.finditer(rf"(?<!\w){regex}(?!\w)", text))
    assert len(found) > nth, f"test text lacks occurrence {nth} of {phrase!r}"
    return found[nth].span()


def annotate(nlp: Language, text: str, marks: list[Mark]) -> Doc:
    """Sections, the hand-set entities, then decisions."""
    doc = nlp.get_pipe("sections")(nlp.make_doc(text))
    ents = []
    for mark in marks:
        phrase, label = mark[0], mark[1]
        nth = mark[2] if len(mark) > 2 else 0
        start, end = find(text, phrase, nth)
        span = doc.char_span(start, end, label=label)
        assert span is not None, f"{phrase!r} is not token-aligned"
        for name, value in (mark[3] if len(mark) > 3 else {}).items():
            setattr(span._, name, value)
        ents.append(span)
    doc.ents = sorted(ents)
    return nlp.get_pipe("decisions")(doc)


def words(span: Any) -> str | None:
    """A span's text with whitespace runs collapsed (None stays None)."""
    return None if span is None else " ".join(span.text.split())


def test_multi_item_letter(parts: Language) -> None:
    doc = annotate(parts, TWO_ITEMS, TWO_ITEMS_MARKS)
    first, second = doc._.decisions
    assert first["item"].text == "Aquatic therapy for the right ankle x 10"
    assert (first["outcome"], first["decision"].text) == ("upheld", "Upheld")
    assert (first["treatment"].text, first["count"].text) == ("Aquatic therapy", "x 10")
    assert [words(g) for g in first["guidelines"]] == [
        "MTUS Chronic Pain Medical Treatment 2016, Section(s): Aquatic therapy",
        "ODG",
    ]
    assert words(first["rationale"]).startswith("Pool exercise is an option")
    assert words(first["rationale"]).endswith("The request is not medically necessary.")
    assert second["item"].text == "Ankle brace for the right ankle, purchase"
    assert (second["outcome"], second["treatment"].text, second["count"]) == ("overturned", "Ankle brace", None)
    assert [words(g) for g in second["guidelines"]] == [
        "ACOEM Practice Guidelines, 2nd Edition (2004), Chapter 14, page 371"
    ]
    assert words(second["rationale"]).endswith("The request is medically necessary.")


def test_claims_administrator_cites_are_not_decision_guidelines(parts: Language) -> None:
    doc = annotate(parts, TWO_ITEMS, TWO_ITEMS_MARKS)
    claims = find(TWO_ITEMS, "ODG Ankle and Foot Chapter")
    assert all([g.start_char, g.end_char] != list(claims) for d in doc._.decisions for g in d["guidelines"])
    assert claims in {(e.start_char, e.end_char) for e in doc.ents}


def test_relations(parts: Language) -> None:
    doc = annotate(parts, TWO_ITEMS, TWO_ITEMS_MARKS)
    rels = {(h.start_char, h.end_char, c.start_char, c.end_char, label) for h, c, label in doc._.relations}
    item1 = find(TWO_ITEMS, "Aquatic therapy for the right ankle x 10")
    item2 = find(TWO_ITEMS, "Ankle brace for the right ankle, purchase")
    upheld, overturned = find(TWO_ITEMS, "Upheld"), find(TWO_ITEMS, "Overturned")
    assert (*item1, *upheld, "HAS_OUTCOME") in rels
    assert (*item2, *overturned, "HAS_OUTCOME") in rels
    mtus = find(TWO_ITEMS, "MTUS Chronic Pain Medical Treatment 2016, Section(s): Aquatic therapy")
    assert (*upheld, *mtus, "CITES") in rels
    assert (*upheld, *find(TWO_ITEMS, "ODG", 1), "CITES") in rels
    assert (*find(TWO_ITEMS, "Aquatic therapy"), *find(TWO_ITEMS, "x 10"), "HAS_COUNT") in rels
    assert sorted(label for *_, label in rels) == ["CITES", "CITES", "CITES", "HAS_COUNT", "HAS_OUTCOME", "HAS_OUTCOME"]


def test_records_are_plain_offsets(parts: Language) -> None:
    doc = annotate(parts, TWO_ITEMS, TWO_ITEMS_MARKS)
    assert json.loads(json.dumps(doc._.decision_records)) == doc._.decision_records
    assert json.loads(json.dumps(doc._.relation_records)) == doc._.relation_records
    ents = {(e.start_char, e.end_char) for e in doc.ents}
    for rec in doc._.decision_records:
        for key in ("treatment", "count", "decision"):
            assert rec[key] is None or tuple(rec[key]) in ents
        assert all(tuple(g) in ents for g in rec["guidelines"])


def test_restated_modified_requests_and_wrapped_items(parts: Language) -> None:
    marks: list[Mark] = [
        ("Upheld", "DECISION"),
        ("Overturned", "DECISION"),
        ("Overturned", "DECISION", 1),
        ("Massage therapy", "TREATMENT", 2),
        ("six sessions", "VISIT_COUNT"),
        ("Gabapentin 300mg", "TREATMENT"),
    ]
    doc = annotate(parts, RESTATED, marks)
    items = [words(d["item"]) for d in doc._.decisions]
    assert items == [
        "Massage therapy six sessions for the neck",
        "knee scooter for a 2 month rental",
        "Gabapentin 300mg #90, one capsule three times a day for burning pain of the left lower extremity",
    ]
    assert [d["outcome"] for d in doc._.decisions] == ["upheld", "overturned", "overturned"]
    massage, scooter, gabapentin = doc._.decisions
    assert (massage["treatment"].text, massage["count"].text) == ("Massage therapy", "six sessions")
    assert scooter["treatment"] is None and scooter["count"] is None
    assert gabapentin["treatment"].text == "Gabapentin 300mg"
    assert words(scooter["rationale"]) == "Non weight bearing is ordered for eight weeks, so the device is needed."


def test_page_breaks_inside_items(parts: Language) -> None:
    marks: list[Mark] = [
        ("Overturned", "DECISION"),
        ("Upheld", "DECISION"),
        ("ODG Knee and Leg Chapter", "GUIDELINE_CITE"),
    ]
    doc = annotate(parts, PAGE_BREAKS, marks)
    assert [(words(d["item"]), d["outcome"]) for d in doc._.decisions] == [
        ("Home health aide 4 hours per day, 3 days a week for 6 weeks to help with bathing and dressing", "overturned"),
        ("Spinal cord stimulator trial with percutaneous leads", "upheld"),
    ]
    assert [words(g) for g in doc._.decisions[0]["guidelines"]] == ["ODG Knee and Leg Chapter"]


def test_cites_not_relied_on_are_left_out(parts: Language) -> None:
    marks: list[Mark] = [
        ("Upheld", "DECISION"),
        ("ODG Knee Chapter", "GUIDELINE_CITE"),
        ("MTUS Guidelines", "GUIDELINE_CITE"),
        ("Official Disability Guidelines (ODG) Knee Chapter", "GUIDELINE_CITE"),
        ("California MTUS", "GUIDELINE_CITE"),
        ("ODG", "GUIDELINE_CITE", 2),
        ("CA MTUS", "GUIDELINE_CITE"),
        ("ACOEM Guidelines", "GUIDELINE_CITE"),
        ("not medically necessary", "DECISION"),
    ]
    doc = annotate(parts, NOT_RELIED, marks)
    (record,) = doc._.decisions
    assert [words(g) for g in record["guidelines"]] == [
        "Official Disability Guidelines (ODG) Knee Chapter",
        "ACOEM Guidelines",
    ]


def test_cite_before_a_bracketed_not_relied_remark_is_kept(parts: Language) -> None:
    text = (
        "IMR ISSUES, DECISIONS AND RATIONALES \n \nCane for the right leg: Overturned \n \n"
        "Decision rationale: Per the ODG guidelines (CA MTUS is silent), a cane helps a painful knee. \n"
    )
    marks: list[Mark] = [
        ("Overturned", "DECISION"),
        ("ODG guidelines", "GUIDELINE_CITE"),
        ("CA MTUS", "GUIDELINE_CITE"),
    ]
    (record,) = annotate(parts, text, marks)._.decisions
    assert [g.text for g in record["guidelines"]] == ["ODG guidelines"]


def test_older_format_item_outcome_is_the_item_decision(parts: Language) -> None:
    marks: list[Mark] = [
        ("Chiropractic treatment", "TREATMENT"),
        ("x 8", "VISIT_COUNT"),
        ("Upheld", "DECISION"),
        ("MTUS Chronic Pain Treatment Guidelines Page(s): 58-59", "GUIDELINE_CITE"),
        ("MTUS page 58", "GUIDELINE_CITE"),
        ("not medically necessary", "DECISION", 0, {"outcome": "upheld"}),
    ]
    doc = annotate(parts, OLDER, marks)
    (record,) = doc._.decisions
    assert record["item"].text == "Chiropractic treatment for the lumbar spine x 8"
    assert record["decision"].text == "Upheld"
    assert [words(g) for g in record["guidelines"]] == [
        "MTUS Chronic Pain Treatment Guidelines Page(s): 58-59",
        "MTUS page 58",
    ]
    assert words(record["rationale"]).startswith("Eight visits were done last spring")


def test_outcome_comes_from_the_decision_entity(parts: Language) -> None:
    text = RESTATED.replace("is: \nUpheld", "is: \nPartially Overturned")
    doc = annotate(parts, text, [("Partially Overturned", "DECISION")])
    assert [d["outcome"] for d in doc._.decisions] == ["partial"]  # from the word: no attribute set
    doc = annotate(parts, TWO_ITEMS, [("Upheld", "DECISION", 0, {"outcome": "partial"})])
    assert [d["outcome"] for d in doc._.decisions] == ["partial"]  # the entity's attribute wins


def test_item_without_decision_entity_makes_no_record(parts: Language) -> None:
    doc = annotate(parts, TWO_ITEMS, [("Overturned", "DECISION")])
    assert [d["item"].text for d in doc._.decisions] == ["Ankle brace for the right ankle, purchase"]


@pytest.mark.parametrize(
    "text",
    [
        "",
        "   \n\n ",
        "qwerty: Upheld zxcv Overturned ::: \n: Upheld\nUpheld\n",
        "Status: Upheld\nThe appeal board met on Tuesday.\n",
        "PAST MEDICAL HISTORY: Asthma. ASSESSMENT: Upheld\nPLAN: Overturned\n",
    ],
)
def test_non_letters_give_no_decisions(parts: Language, text: str) -> None:
    doc = parts.get_pipe("sections")(parts.make_doc(text))
    doc.ents = [doc.char_span(m.start(), m.end(), label="DECISION") for m in re.finditer(r"Upheld|Overturned", text)]
    doc = parts.get_pipe("decisions")(doc)
    assert doc._.decision_records == [] and doc._.relation_records == []
    assert doc._.decisions == [] and doc._.relations == []


def test_docbin_round_trip(parts: Language) -> None:
    doc = annotate(parts, TWO_ITEMS, TWO_ITEMS_MARKS)
    bin_ = DocBin(store_user_data=True)
    bin_.add(doc)
    (back,) = DocBin(store_user_data=True).from_bytes(bin_.to_bytes()).get_docs(parts.vocab)
    assert json.dumps(back._.decision_records) == json.dumps(doc._.decision_records)  # msgpack: tuples
    assert [d["item"].text for d in back._.decisions] == [d["item"].text for d in doc._.decisions]
    assert len(back._.relations) == len(doc._.relations) == 6


def test_component_to_disk_and_back(parts: Language, tmp_path: Path) -> None:
    parts.get_pipe("decisions").to_disk(tmp_path / "decisions")
    parts.get_pipe("sections").to_disk(tmp_path / "sections")
    decisions = IMRDecisions().from_disk(tmp_path / "decisions")
    sections = IMRSections().from_disk(tmp_path / "sections")
    want = annotate(parts, TWO_ITEMS, TWO_ITEMS_MARKS)
    doc = sections(parts.make_doc(TWO_ITEMS))
    doc.ents = [doc.char_span(e.start_char, e.end_char, label=e.label_) for e in want.ents]
    assert decisions(doc)._.decision_records == want._.decision_records


def test_multiprocess_pipe_keeps_records() -> None:
    nlp = spacy.blank("en", config={"nlp": {"tokenizer": {"@tokenizers": "imr_spacy.Tokenizer.v1"}}})
    nlp.add_pipe("imr_sections", name="sections").initialize(titles=load_pattern_dir(PATTERNS / "sections"))
    ruler = nlp.add_pipe("entity_ruler")
    ruler.add_patterns([{"label": "DECISION", "pattern": w} for w in ("Upheld", "Overturned")])
    nlp.add_pipe("imr_decisions", name="decisions").initialize(tables=load_tables(PATTERNS / "decisions"))
    texts = [TWO_ITEMS, RESTATED, "no letter here", OLDER]
    single = [d._.decision_records for d in nlp.pipe(texts)]
    multi = [d._.decision_records for d in nlp.pipe(texts, n_process=2, batch_size=1)]
    assert multi == single
    assert [len(r) for r in single] == [2, 3, 0, 1]


# --- end to end: need the DECISION and GUIDELINE_CITE patterns (engineer A) ---------------------


def test_seed_decision_end_to_end(nlp: Language, seed_text: str) -> None:
    gold = json.loads(SEED_GOLD.read_text(encoding="utf-8").splitlines()[0])
    assert gold["text"] == seed_text
    doc = nlp(seed_text)
    (want,) = gold["decisions"]
    (got,) = doc._.decisions
    assert got["item"].start_char < want["item"][1] and want["item"][0] < got["item"].end_char
    assert got["outcome"] == want["outcome"]
    spans = [(g.start_char, g.end_char) for g in got["guidelines"]]
    assert len(spans) == len(want["guidelines"])
    for start, end in want["guidelines"]:
        assert any(s < end and start < e for s, e in spans)


def test_end_to_end_records_point_at_entities(nlp: Language) -> None:
    doc = nlp(TWO_ITEMS)
    assert [d["outcome"] for d in doc._.decisions] == ["upheld", "overturned"]
    ents = {(e.start_char, e.end_char): e.label_ for e in doc.ents}
    for d in doc._.decisions:
        assert ents[(d["decision"].start_char, d["decision"].end_char)] == "DECISION"
        assert all(ents[(g.start_char, g.end_char)] == "GUIDELINE_CITE" for g in d["guidelines"])
        assert d["guidelines"], "each item of this letter has a MAXIMUS guideline cite"
