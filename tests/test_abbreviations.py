"""``imr_abbreviations``: abbreviation definitions of a letter (Schwartz & Hearst)."""

from __future__ import annotations

import json

import pytest
import spacy
from imr_spacy.abbreviations import is_short_form, long_form_start
from imr_spacy.tokenizer import build_tokenizer
from spacy.language import Language
from spacy.tokens import Doc, DocBin


@pytest.fixture(scope="module")
def nlp() -> Language:
    nlp = spacy.blank("en")
    nlp.tokenizer = build_tokenizer(nlp)
    nlp.add_pipe("imr_abbreviations")
    return nlp


def pairs(doc: Doc) -> list[tuple[str, str]]:
    text = doc.text
    return [
        (text[r["short"][0] : r["short"][1]], text[r["long"][0] : r["long"][1]]) for r in doc._.abbreviation_records
    ]


@pytest.mark.parametrize(
    ("short", "words", "start"),
    [
        ("PPIs", ["use", "of", "Proton", "Pump", "Inhibitors"], 2),  # initials, plural s
        ("ACOEM", ["the", "American", "College", "of", "Occupational", "and", "Environmental", "Medicine"], 1),
        ("EMG", ["electromyography"], 0),  # letters inside a word
        ("LBP", ["with", "chronic", "low", "back", "pain"], 2),
        ("XYZ", ["nothing", "to", "see", "here"], None),
    ],
)
def test_long_form_start(short: str, words: list[str], start: int | None) -> None:
    assert long_form_start(short, words) == start


def test_short_form_filter() -> None:
    assert is_short_form("CTS") and is_short_form("PR-2") and is_short_form("NSAIDs")
    assert not is_short_form("weak") and not is_short_form("2x") and not is_short_form("A")


def test_definition_across_a_line_wrap_and_later_uses(nlp: Language) -> None:
    text = "She reports carpal tunnel\n\nsyndrome (CTS) of the wrist. The CTS is worse at night; CTS splints help."
    doc = nlp(text)
    assert pairs(doc) == [("CTS", "carpal tunnel\n\nsyndrome")] * 3
    assert doc._.abbreviation_records[0]["short"][0] == text.index("(CTS") + 1


def test_short_form_before_the_parenthesis(nlp: Language) -> None:
    doc = nlp("An EMG (electromyography) was ordered; the EMG was normal.")
    assert pairs(doc) == [("EMG", "electromyography"), ("EMG", "electromyography")]


@pytest.mark.parametrize(
    "text",
    [
        "Full movement of the extremities (weak) was noted.",
        "The reviewer saw the report (see above) and the x-ray (2016).",
        "Pain rated 7/10 (VAS) today.",  # letters do not spell the preceding words
        "(CTS) opens the note.",
    ],
)
def test_no_false_definitions(nlp: Language, text: str) -> None:
    assert nlp(text)._.abbreviation_records == []


def test_first_definition_wins_and_records_are_plain_data(nlp: Language) -> None:
    doc = nlp("A home exercise program (HEP) is advised. A second home exercise plan (HEP) too.")
    assert [p[1] for p in pairs(doc)] == ["home exercise program", "home exercise program"]
    json.dumps(doc._.abbreviation_records)
    restored = next(DocBin(docs=[doc], store_user_data=True).get_docs(nlp.vocab))
    assert pairs(restored) == pairs(doc)
