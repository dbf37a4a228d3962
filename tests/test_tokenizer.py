"""The IMR tokenizer keeps the units IMR patterns match on whole (engineer A's cases)."""

from __future__ import annotations

import pytest
from imr_spacy.tokenizer import build_tokenizer
from spacy.language import Language

CASES = [
    ("Knee jerks were 1+ and symmetric.", ["1+"]),
    ("Patellar reflexes 2+/4 on the right.", ["2+/4"]),
    ("Reflexes 1+/1+BLE today.", ["1+/1+", "BLE"]),
    ("Biceps +2 bilaterally.", ["+2"]),
    ("Percocet 10/325mg was refilled.", ["10/325", "mg"]),
    ("Hydrocodone 5/325 mg #60 was denied.", ["5/325", "mg", "#60"]),
    ("Tylenol #3 #40 tablets.", ["#3", "#40"]),
    ("Aquatic therapy x12 was asked for.", ["x12"]),
    ("Massage 2x6 for the neck.", ["2x6"]),
    ("Acupuncture x 8 sessions.", ["x", "8"]),
    ("MTUS Page(s): 41-42.", ["Page(s)", ":", "41-42"]),
    ("Section(s): Aquatic therapy.", ["Section(s)"]),
    ("Disc bulge at L4-5 and C5-6, fusion at L5-S1.", ["L4-5", "C5-6", "L5-S1"]),
    ("Seen on 03/14/2015 and again on 4-2-15.", ["03/14/2015", "4-2-15"]),
    ("Visits on (12-01-2016) and 7/9/16.", ["12-01-2016", "7/9/16"]),
    ("Back pain rated 7/10 since 2016.Her knee", ["7/10", "2016", ".", "Her"]),
    ("Chemotherapy in 9/88; strength 5-/5.", ["9/88", "5-/5"]),
]


@pytest.mark.parametrize(("text", "tokens"), CASES)
def test_units_stay_whole(nlp: Language, text: str, tokens: list[str]) -> None:
    """Every expected token is a whole token, in this order."""
    words = iter(t.text for t in nlp.make_doc(text))
    assert all(any(w == tok for w in words) for tok in tokens)


@pytest.mark.parametrize(
    ("text", "tail"),
    [
        ("Tabradol (unknown quantity): Upheld", ["quantity", ")", ":", "Upheld"]),
        ("MRI without contrast (right elbow).The patient", ["elbow", ")", ".", "The", "patient"]),
        ("at level (C5-6).In", ["C5-6", ")", ".", "In"]),
        ("seen (see 8) and :3", ["8", ")", "and", ":", "3"]),
    ],
)
def test_brackets_split_from_colons_periods_and_no_emoticons(nlp: Language, text: str, tail: list[str]) -> None:
    """An item ends before its colon, a sentence after a closing bracket splits; emoticon exceptions are gone."""
    assert [t.text for t in nlp.make_doc(text)][-len(tail) :] == tail


def test_wrapped_date_keeps_its_parts(nlp: Language) -> None:
    words = [t.text for t in nlp.make_doc("seen on 11-28-\n2016 for")]
    assert words[2:5] == ["11-28-", "\n", "2016"]


def test_serialized_tokenizer_splits_the_same(nlp: Language) -> None:
    """A loaded pipeline recompiles the token_match pattern from its string: no regex flags lost."""
    text = "MTUS Page(s): 98-99, Norco 10/325mg #60, PT 2x6, reflexes 2+/4 at L4-5 on 10-13-16."
    fresh = build_tokenizer(nlp)
    fresh.from_bytes(nlp.tokenizer.to_bytes())
    assert [t.text for t in fresh(text)] == [t.text for t in nlp.make_doc(text)]
    assert "Page(s)" in [t.text for t in fresh(text)]


def test_doc_text_is_the_docs_text_and_follows_each_doc() -> None:
    import spacy
    from imr_spacy.textview import doc_text

    nlp = spacy.blank("en")
    docs = [nlp(f"Letter {i}: right knee pain.\n\nUpheld") for i in range(7)]
    for doc in docs + docs[::-1]:
        assert doc_text(doc) == doc.text
