"""Plain hard cases through ``nlp``: nothing raises, the contract holds, no decision appears from nowhere.

Empty and whitespace-only texts, a 2 MB letter (a real letter repeated), a MiB of newlines, 100k-character
tokens, thousands of negation cues, a discharge summary and clinical notes without IMR content, random
bytes decoded as Latin-1, and CRLF line endings (which must not change what is found).

PYTEST_DONT_REWRITE: failures on real letters name offsets and labels, never text.
"""

from __future__ import annotations

import csv
import random
import sys

import pytest
from conftest import SHARED
from spacy.language import Language
from spacy.tokens import Doc
from test_properties import TEMPLATES, assert_contract, safe_call
from test_roundtrip import letter_texts

DISCHARGE_SUMMARY = """\
DISCHARGE SUMMARY

ADMISSION DATE: 03/02/2015
DISCHARGE DATE: 03/06/2015

ADMITTING DIAGNOSIS: Community acquired pneumonia.
DISCHARGE DIAGNOSES:
1. Right lower lobe pneumonia, improved.
2. Type 2 diabetes mellitus with hyperglycemia.
3. Hypertension.

HOSPITAL COURSE: The patient is a 67-year-old retired teacher who came in with three days of fever,
productive cough and shortness of breath. Chest x-ray showed a right lower lobe infiltrate. She was
started on ceftriaxone and azithromycin and improved within 48 hours. Blood cultures showed no growth.
Blood sugars ran high and insulin glargine was adjusted. She denies chest pain. No rash, no diarrhea.

PHYSICAL EXAMINATION AT DISCHARGE: Temperature 98.4, pulse 82, blood pressure 134/78. Lungs with few
crackles at the right base. Deep tendon reflexes 2+ and symmetric. No edema of the legs.

DISCHARGE MEDICATIONS: Cefuroxime 500 mg twice daily for 5 days, metformin 1000 mg twice daily,
lisinopril 10 mg daily, insulin glargine 18 units at bedtime.

FOLLOW-UP: Primary care in one week; repeat chest x-ray in 6 weeks. Return for fever above 101 or
worsening breathlessness.
"""


def _check_no_decisions(nlp: Language, text: str) -> None:
    doc = nlp(text)
    assert_contract(doc, text)
    assert doc._.decisions == [], "a decision where there is none"
    assert not doc._.relation_records, "a relation where there is no decision"


@pytest.mark.parametrize(
    "text",
    ["", " ", "\n", "\t", "\r\n", "\x0c", "\u00a0", "\u2028", "\ufeff", " \n \n\t\r\n   \n", "\n" * 5000],
    ids=lambda t: f"ws{len(t)}-{ord(t[0]) if t else 0:x}",
)
def test_empty_and_whitespace(nlp: Language, text: str) -> None:
    doc = nlp(text)
    assert_contract(doc, text)
    assert len(doc.ents) == 0, "entities in whitespace"
    assert doc._.decisions == [], "decisions in whitespace"


def test_one_mib_of_newlines(nlp: Language) -> None:
    _check_no_decisions(nlp, "\n" * 2**20)


@pytest.mark.parametrize("piece", ["a", "9", "-", "x", "\u0301", "/", "2+", "x.", "\x00"])
def test_100k_character_token(nlp: Language, piece: str) -> None:
    _check_no_decisions(nlp, "Pain " + piece * (100_000 // len(piece)) + " noted.")


@pytest.mark.parametrize("piece", [")", "%", "*", "€", "😀", "’", "+"])
def test_long_punctuation_runs(nlp: Language, piece: str) -> None:
    """Runs of affix punctuation or emoji without a space: spaCy's tokenizer strips them one character per
    step, each step on the rest of the string, so time grows with the square of the run (10,000 ")" take
    about 6 s, 100,000 about 10 minutes, also in ``spacy.blank("en")``). 2,000 here keeps the test short;
    the IMR tokenizer can make such runs linear (one token) with a ``token_match`` for very long strings."""
    _check_no_decisions(nlp, "Pain " + piece * 2_000 + " noted.")


@pytest.mark.parametrize("sep", [" ", "\n", ". ", ", "])
def test_thousands_of_negations(nlp: Language, sep: str) -> None:
    text = sep.join(["no"] * 5000) + sep + "neck pain" + sep + sep.join(["No"] * 3000)
    _check_no_decisions(nlp, text)


def test_two_megabyte_letter(nlp: Language) -> None:
    letter = letter_texts()[0]
    text = (letter + "\n") * (2 * 2**20 // (len(letter) + 1) + 1)
    assert len(text) >= 2 * 2**20
    doc = safe_call(nlp, text)
    assert_contract(doc, text)


def test_discharge_summary(nlp: Language) -> None:
    _check_no_decisions(nlp, DISCHARGE_SUMMARY)


def test_clinical_notes_have_no_decisions(nlp: Language) -> None:
    """Every third MTSamples note: contract clean and no IMR decision."""
    csv.field_size_limit(sys.maxsize)
    with (SHARED / "data" / "mtsamples" / "mtsamples.csv").open(newline="", encoding="utf-8") as fh:
        notes = [row[0] for row in list(csv.reader(fh))[1:]][::3]
    assert len(notes) > 50, "MTSamples not found"
    for i, doc in enumerate(safe_call(lambda: list(nlp.pipe(notes)))):
        assert_contract(doc, notes[i])
        assert doc._.decisions == [], f"note {i * 3} has a decision"


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_random_bytes_as_latin1(nlp: Language, seed: int) -> None:
    data = random.Random(seed).randbytes(200_000)
    _check_no_decisions(nlp, data.decode("latin-1"))


def test_mixed_batch(nlp: Language) -> None:
    texts = ["", "\x00", TEMPLATES[0], " ", DISCHARGE_SUMMARY, "\ud7ff\ue000\U0010ffff", TEMPLATES[1], "\n" * 100]
    docs = list(nlp.pipe(texts, batch_size=3))
    assert len(docs) == len(texts), "nlp.pipe lost documents"
    for doc, text in zip(docs, texts, strict=True):
        assert_contract(doc, text)


def _found(doc: Doc) -> list[tuple[str, str]]:
    return [(e.label_, " ".join(e.text.split())) for e in doc.ents]


@pytest.mark.parametrize("which", range(4))
def test_crlf_finds_the_same(nlp: Language, which: int) -> None:
    """Windows line endings change offsets only: the same entities, sections, decisions and case facts."""
    text = [*TEMPLATES, *letter_texts()[:2]][which]
    crlf = text.replace("\n", "\r\n")
    lf_doc, crlf_doc = safe_call(nlp, text), safe_call(nlp, crlf)
    assert_contract(crlf_doc, crlf)
    problems = []
    lf_found, crlf_found = _found(lf_doc), _found(crlf_doc)
    if lf_found != crlf_found:
        diff = [i for i, (a, b) in enumerate(zip(lf_found, crlf_found, strict=False)) if a != b]
        problems.append(f"entities {len(lf_found)} vs {len(crlf_found)}, first differing index {diff[:1]}")
    lf_sections = [b[2] for b in lf_doc._.section_bounds or []]
    crlf_sections = [b[2] for b in crlf_doc._.section_bounds or []]
    if lf_sections != crlf_sections:
        problems.append(f"sections {len(lf_sections)} vs {len(crlf_sections)}")
    if len(lf_doc._.decisions) != len(crlf_doc._.decisions):
        problems.append(f"decisions {len(lf_doc._.decisions)} vs {len(crlf_doc._.decisions)}")
    lf_case, crlf_case = lf_doc._.case or {}, crlf_doc._.case or {}
    keys = sorted(k for k in set(lf_case) | set(crlf_case) if lf_case.get(k) != crlf_case.get(k))
    if keys:
        problems.append(f"case facts {keys}")
    assert not problems, f"CRLF changes (LF vs CRLF): {'; '.join(problems)}"
