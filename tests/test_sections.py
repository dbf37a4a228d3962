"""``imr_sections``: IMR letter sections (both formats) and clinical-note headers, on invented text."""

from __future__ import annotations

import csv
import itertools
from pathlib import Path

import pytest
import spacy
from imr_spacy.entity_ruler import load_pattern_dir
from imr_spacy.extensions import SECTIONS_KEY
from imr_spacy.sections import IMRSections, section_kind
from spacy.language import Language
from spacy.tokens import Doc

ROOT = Path(__file__).resolve().parents[1]
MTSAMPLES = ROOT.parent / "shared" / "data" / "mtsamples" / "mtsamples.csv"
HOW = "HOW THE IMR FINAL DETERMINATION WAS MADE"
SUMMARY = "CLINICAL CASE SUMMARY"
ISSUES = "IMR ISSUES, DECISIONS AND RATIONALES"

NEWER = (
    " \nCase Number: CM99-0000202  \nDate Assigned: 04/03/2017 Date of Injury:  12/01/2015 \n \n"
    "HOW THE IMR FINAL DETERMINATION WAS MADE   \nAn outside physician reviewed the file. \n \n"
    "The Expert Reviewer has the following credentials: \nState(s) of Licensure: Maine \n"
    "Certification(s)/Specialty: Neurology \n \n"
    "CLINICAL CASE SUMMARY \nThe worker slipped on ice. MTUS: see below. \n \n"
    "IMR ISSUES, DECISIONS AND \nRATIONALES \nBotox injections x 2: Upheld \n"
)
OLDER = (
    " HOW THE IMR FINAL DETERMINATION WAS MADE \n\nA reviewer with no ties to the case read it. \n\n \n\n"
    "DOCUMENTS REVIEWED \n\nForty pages of records. \n\n \n\n"
    "IMR ISSUES, DECISIONS AND RATIONALES \n\nWrist splint: Overturned \n"
)
NOTE = (
    "CHIEF COMPLAINT: Cough for ten days. PAST MEDICAL HISTORY: Asthma as a child. "
    "FAMILY HISTORY: Mother with diabetes. SOCIAL HISTORY: Quit smoking in 2010. "
    "PHYSICAL EXAMINATION: LUNGS: Scattered wheezes. ASSESSMENT: Acute bronchitis. PLAN: Inhaler."
)


@pytest.fixture(scope="module")
def parts() -> Language:
    nlp = spacy.blank("en", config={"nlp": {"tokenizer": {"@tokenizers": "imr_spacy.Tokenizer.v1"}}})
    nlp.add_pipe("imr_sections", name="sections").initialize(titles=load_pattern_dir(ROOT / "patterns" / "sections"))
    return nlp


def section_at(doc: Doc, phrase: str) -> str | None:
    start = doc.text.index(phrase)
    span = doc.char_span(start, start + len(phrase), alignment_mode="expand")
    assert span is not None
    return span._.section


def test_newer_letter(parts: Language) -> None:
    doc = parts(NEWER)
    assert [b[2] for b in doc._.section_bounds] == [None, HOW, SUMMARY, ISSUES]
    assert [s.label_ for s in doc.spans[SECTIONS_KEY]] == ["HEADER", HOW, "REVIEWER CREDENTIALS", SUMMARY, ISSUES]
    assert section_at(doc, "CM99-0000202") is None
    assert section_at(doc, "outside physician") == HOW
    assert section_at(doc, "Neurology") == HOW  # the credentials are part of HOW ... MADE
    assert section_at(doc, "slipped on ice") == SUMMARY
    assert section_at(doc, "MTUS") == SUMMARY  # an all-caps word with a colon is no title in a letter
    assert section_at(doc, "Botox injections") == ISSUES  # the title was wrapped over two lines
    spans = list(doc.spans[SECTIONS_KEY])
    assert spans[0].start_char == 0 and spans[-1].end_char == len(doc.text)
    assert all(a.end_char == b.start_char for a, b in itertools.pairwise(spans))


def test_older_letter_has_no_header_block(parts: Language) -> None:
    doc = parts(OLDER)
    assert [b[2] for b in doc._.section_bounds] == [HOW, "DOCUMENTS REVIEWED", ISSUES]
    assert section_at(doc, "Forty pages") == "DOCUMENTS REVIEWED"
    assert section_at(doc, "Wrist splint") == ISSUES


def test_clinical_note_inline_headers(parts: Language) -> None:
    doc = parts(NOTE)
    labels = [s.label_ for s in doc.spans[SECTIONS_KEY]]
    assert labels == [
        "CHIEF COMPLAINT",
        "PAST MEDICAL HISTORY",
        "FAMILY HISTORY",
        "SOCIAL HISTORY",
        "PHYSICAL EXAMINATION",
        "LUNGS",
        "ASSESSMENT",
        "PLAN",
    ]
    assert section_at(doc, "Asthma") == "PAST MEDICAL HISTORY"
    assert section_at(doc, "Mother") == "FAMILY HISTORY"
    assert section_at(doc, "wheezes") == "LUNGS"
    kinds = {s.label_: s.kb_id_ for s in doc.spans[SECTIONS_KEY]}
    assert kinds["PAST MEDICAL HISTORY"] == "historical" and kinds["FAMILY HISTORY"] == "family"
    assert kinds["LUNGS"] == ""  # the generic all-caps rule: a section without a kind
    start = doc.text.index("Asthma")
    assert section_kind(doc.char_span(start, start + 6)) == "historical"


def test_table_titles_in_mixed_case_and_synonyms(parts: Language) -> None:
    doc = parts("Past medical history: gout.\nFHx: father had a stroke.\nThe plan: rest.")
    assert [s.label_ for s in doc.spans[SECTIONS_KEY]] == ["PAST MEDICAL HISTORY", "FAMILY HISTORY"]
    assert section_at(doc, "father") == "FAMILY HISTORY"
    assert section_at(doc, "rest") == "FAMILY HISTORY"  # "The plan:" is inside a sentence


@pytest.mark.parametrize("text", ["", "  \n ", "no titles here at all", "A: b. C: d."])
def test_text_without_titles(parts: Language, text: str) -> None:
    doc = parts(text)
    assert doc._.section_bounds == [] and list(doc.spans[SECTIONS_KEY]) == []


def test_to_disk_and_back(parts: Language, tmp_path: Path) -> None:
    parts.get_pipe("sections").to_disk(tmp_path)
    loaded = IMRSections().from_disk(tmp_path)
    assert loaded.find(NEWER) == parts.get_pipe("sections").find(NEWER)
    assert IMRSections().from_bytes(parts.get_pipe("sections").to_bytes()).find(NOTE) == loaded.find(NOTE)


def test_mtsamples_history_headers(parts: Language) -> None:
    """Every MTSamples note with an inline history header gets that section and its kind."""
    csv.field_size_limit(10**9)
    with open(MTSAMPLES, encoding="utf-8", newline="") as fh:
        notes = [row[0] for row in list(csv.reader(fh))[1:]]
    sections = parts.get_pipe("sections")
    checked = 0
    for note in notes:
        found = {s.label: s.kind for s in sections.find(note)}
        for header, kind in (("PAST MEDICAL HISTORY:", "historical"), ("FAMILY HISTORY:", "family")):
            if header in note:
                checked += 1
                assert found.get(header[:-1]) == kind
    assert checked >= 30
