"""``imr_case_facts``: ``doc._.case`` from invented letter headers and paragraphs."""

from __future__ import annotations

from pathlib import Path

import pytest
import spacy
from imr_spacy.case_facts import FACTS, IMRCaseFacts, parse_date
from imr_spacy.entity_ruler import load_pattern_dir
from imr_spacy.tables import load_tables
from spacy.language import Language
from spacy.tokens import Doc

ROOT = Path(__file__).resolve().parents[1]

NEWER = (
    " \nCase Number: CM99-0000303  \nDate Assigned: 05/08/2017 Date of Injury:  1/9/2014 \n"
    "Decision Date: 06/12/2017 UR Denial Date:  04/27/2017 \nPriority:  Standard Application \n"
    "Received:  \n05/02/2017 \n \nHOW THE IMR FINAL DETERMINATION WAS MADE \nA reviewer read the file. "
    "He/she is 50 years old in this sentence, which is not about the patient. \n \n"
    "The Expert Reviewer has the following credentials: \nState(s) of Licensure: Vermont, Maine \n"
    "Certification(s)/Specialty: Anesthesiology, Pain Management \n \n"
    "CLINICAL CASE SUMMARY \nThe injured worker is a 39-year-old right-handed woman who fell from a ladder. \n"
)
OLDER = (
    " HOW THE IMR FINAL DETERMINATION WAS MADE \n\nThe reviewer is Board Certified in Physical Medicine and \n\n"
    "Rehabilitation, has a subspecialty in Sports Medicine and is licensed to practice in Oregon. \n\n"
    "CLINICAL CASE SUMMARY \n\nThe patient is a 57 years old male with an injury date on 11/30/2010. "
    "The utilization review denied the request on March 3, 2014. \n"
)


@pytest.fixture(scope="module")
def parts() -> Language:
    nlp = spacy.blank("en", config={"nlp": {"tokenizer": {"@tokenizers": "imr_spacy.Tokenizer.v1"}}})
    nlp.add_pipe("imr_sections", name="sections").initialize(titles=load_pattern_dir(ROOT / "patterns" / "sections"))
    nlp.add_pipe("imr_case_facts", name="case_facts").initialize(tables=load_tables(ROOT / "patterns" / "case"))
    return nlp


def test_newer_header(parts: Language) -> None:
    case = parts(NEWER)._.case
    assert case == {
        "case_number": "CM99-0000303",
        "patient_age": 39,
        "patient_sex": "female",
        "injury_date": "2014-01-09",
        "ur_denial_date": "2017-04-27",
        "decision_date": "2017-06-12",
        "date_assigned": "2017-05-08",
        "application_received": "2017-05-02",
        "priority": "Standard",
        "reviewer_specialty": "Anesthesiology, Pain Management",
        "reviewer_licensure": "Vermont, Maine",
    }


def test_older_paragraphs(parts: Language) -> None:
    case = parts(OLDER)._.case
    assert case["patient_age"] == 57 and case["patient_sex"] == "male"
    assert case["injury_date"] == "2010-11-30"
    assert case["ur_denial_date"] == "2014-03-03"
    assert case["reviewer_specialty"] == "Physical Medicine and Rehabilitation"
    assert case["reviewer_licensure"] == "Oregon"
    assert case["case_number"] is None and case["decision_date"] is None


def test_sex_without_age(parts: Language) -> None:
    text = "CLINICAL CASE SUMMARY \nThe injured worker is a female who hurt her wrist. \n"
    case = parts(text)._.case
    assert case["patient_sex"] == "female" and case["patient_age"] is None


def test_date_entity_iso_is_reused(parts: Language) -> None:
    doc = parts.make_doc(NEWER)
    start = NEWER.index("1/9/2014")
    date = doc.char_span(start, start + len("1/9/2014"), label="DATE")
    date._.iso = "2014-09-01"  # a day-first reading, as a normalizer might decide
    doc.ents = [date]
    doc = parts.get_pipe("case_facts")(parts.get_pipe("sections")(doc))
    assert doc._.case["injury_date"] == "2014-09-01"
    assert doc._.case["decision_date"] == "2017-06-12"  # no entity there: parsed from the text


@pytest.mark.parametrize("text", ["", "   ", "Case Number:", "Date of Injury: unknown\nUR Denial Date: 99/99/9999"])
def test_missing_facts_are_none(parts: Language, text: str) -> None:
    case = parts(text)._.case
    assert set(case) == set(FACTS)
    assert all(value is None for value in case.values())


@pytest.mark.parametrize(
    ("written", "iso"),
    [
        ("02/23/2009", "2009-02-23"),
        ("10-13-16", "2016-10-13"),
        ("June 20, 2014", "2014-06-20"),
        ("March 2013", "2013-03"),
        ("11-2016", "2016-11"),
        ("13/45/2016", None),
        ("Standard", None),
        ("2016", None),
    ],
)
def test_parse_date(written: str, iso: str | None) -> None:
    assert parse_date(written) == iso


def test_to_disk_and_back(parts: Language, tmp_path: Path) -> None:
    parts.get_pipe("case_facts").to_disk(tmp_path)
    loaded = IMRCaseFacts().from_disk(tmp_path)
    doc: Doc = parts.get_pipe("sections")(parts.make_doc(NEWER))
    assert loaded(doc)._.case == parts(NEWER)._.case


def test_end_to_end(nlp: Language) -> None:
    """Through the whole pipeline (DATE entities from engineer A's patterns, if any)."""
    case = nlp(NEWER)._.case
    assert case["injury_date"] == "2014-01-09" and case["application_received"] == "2017-05-02"
    assert case["patient_age"] == 39
