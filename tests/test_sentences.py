"""The sentence splitter: PDF line wraps, clinical abbreviations, list items, titles, headers."""

from __future__ import annotations

from itertools import pairwise
from pathlib import Path

import pytest
import spacy
import srsly
from hypothesis import given, settings
from hypothesis import strategies as st
from imr_spacy.sentences import IMRSentencizer, SentenceRules, sentence_starts
from imr_spacy.tokenizer import build_tokenizer
from spacy.language import Language

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def blank() -> Language:
    nlp = spacy.blank("en")
    nlp.tokenizer = build_tokenizer(nlp)
    return nlp


@pytest.fixture(scope="module")
def rules() -> SentenceRules:
    rows = [row for path in sorted((ROOT / "patterns" / "context").glob("*.jsonl")) for row in srsly.read_jsonl(path)]
    return SentenceRules(rows)


def split(nlp: Language, rules: SentenceRules, text: str) -> list[str]:
    doc = nlp.make_doc(text)
    starts = [*sentence_starts(doc, rules), len(doc)]
    return [" ".join(doc[a:b].text.split()) for a, b in pairwise(starts)]


@pytest.mark.parametrize(
    "text",
    [
        "Dr. Okafor examined the left shoulder on Monday.",
        "Naproxen was taken b.i.d. with meals for two weeks.",
        "Ice and rest, e.g. after work, were advised.",
        "Surgery vs. injections was discussed at length.",
        "The request on Form No. 2 was received late.",
        "The notes cite the ACOEM Guidelines, 3rd ed., Low Back Disorders, pg. 607 as support.",
    ],
)
def test_abbreviations_do_not_end_sentences(blank: Language, rules: SentenceRules, text: str) -> None:
    assert split(blank, rules, text) == [text]


def test_dosing_abbreviation_can_end_a_sentence(blank: Language, rules: SentenceRules) -> None:
    text = "She takes Motrin t.i.d. The pain is better."
    assert split(blank, rules, text) == ["She takes Motrin t.i.d.", "The pain is better."]


def test_numbered_items_are_sentences(blank: Language, rules: SentenceRules) -> None:
    text = "The diagnoses are: 1. Lumbar strain. 2. Knee sprain with effusion. 3. Insomnia. He works."
    assert split(blank, rules, text) == [
        "The diagnoses are:",
        "1. Lumbar strain.",
        "2. Knee sprain with effusion.",
        "3. Insomnia.",
        "He works.",
    ]


def test_pdf_wraps_and_blank_lines_stay_inside_a_sentence(blank: Language, rules: SentenceRules) -> None:
    text = (
        "The claimant reported increased pain in the \nleft knee after a fall at \n\nwork. She was seen the next day."
    )
    assert split(blank, rules, text) == [
        "The claimant reported increased pain in the left knee after a fall at work.",
        "She was seen the next day.",
    ]


def test_title_lines_and_short_item_lines_end_sentences(blank: Language, rules: SentenceRules) -> None:
    body = "The reviewer read every progress note and the operative report supplied with the application. "
    text = (
        "CLINICAL CASE SUMMARY \n"
        f"{body}\nThe decisions are set forth below: \n \n"
        "Arthroscopy of the right knee: Overturned \n \n"
        "Claims Administrator guideline: Decision based on the MTUS."
    )
    assert split(blank, rules, text) == [
        "CLINICAL CASE SUMMARY",
        body.strip(),
        "The decisions are set forth below:",
        "Arthroscopy of the right knee: Overturned",
        "Claims Administrator guideline: Decision based on the MTUS.",
    ]


def test_inline_header_starts_a_sentence(blank: Language, rules: SentenceRules) -> None:
    text = "Vital signs stable PAST MEDICAL HISTORY: Asthma. ALLERGIES: None."
    assert split(blank, rules, text) == ["Vital signs stable", "PAST MEDICAL HISTORY: Asthma.", "ALLERGIES: None."]


def test_lower_case_continuation_is_not_a_new_sentence(blank: Language, rules: SentenceRules) -> None:
    assert len(split(blank, rules, "Pain was 6/10 at rest. and 8/10 with lifting.")) == 1


def test_empty_doc(blank: Language) -> None:
    assert sentence_starts(blank.make_doc("")) == []


WORDS = ["Dr.", "pain", "No.", "2", ".", ":", "\n", "\n\n", "The", "b.i.d.", "1.", "MRI", "HISTORY"]


@settings(max_examples=60, deadline=None)
@given(st.lists(st.sampled_from(WORDS), max_size=40))
def test_starts_are_sorted_unique_and_in_range(words: list[str]) -> None:
    doc = spacy.blank("en").make_doc(" ".join(words))
    starts = sentence_starts(
        doc, SentenceRules([{"abbreviation": "dr"}, {"abbreviation": "no", "before_number": True}])
    )
    if len(doc):
        assert starts[0] == 0
        assert starts == sorted(set(starts))
        assert all(0 <= s < len(doc) for s in starts)
    else:
        assert starts == []


def test_component_sets_sentences_and_round_trips(blank: Language, tmp_path: Path) -> None:
    rows = [{"abbreviation": "dr"}, {"literal": "no", "category": "NEGATED_EXISTENCE", "direction": "FORWARD"}]
    component = IMRSentencizer()
    component.initialize(rules=lambda: rows)
    assert component.rules.rows == [{"abbreviation": "dr"}]
    doc = component(blank.make_doc("Dr. Lee saw him. He improved."))
    assert [s.text for s in doc.sents] == ["Dr. Lee saw him.", "He improved."]
    component.to_disk(tmp_path / "sentencizer")
    assert IMRSentencizer().from_disk(tmp_path / "sentencizer").rules.rows == component.rules.rows
    assert IMRSentencizer().from_bytes(component.to_bytes()).rules.never_ends == {"dr"}


def test_pipeline_sentencizer_splits(nlp: Language) -> None:
    doc = nlp.get_pipe("sentencizer")(nlp.make_doc("The MRI was normal. Therapy continues."))
    assert [s.text for s in doc.sents] == ["The MRI was normal.", "Therapy continues."]
