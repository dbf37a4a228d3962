"""VISIT_COUNT spans and ``count_min`` / ``count_max`` on new sentences."""

from __future__ import annotations

import pytest
from spacy.language import Language
from spacy.tokens import Span


def counts(nlp: Language, text: str) -> list[Span]:
    return [e for e in nlp(text).ents if e.label_ == "VISIT_COUNT"]


@pytest.mark.parametrize(
    ("text", "span", "lo", "hi"),
    [
        ("The doctor asks for 8 sessions of aquatic therapy.", "8 sessions", 8, 8),
        ("Guidelines allow 8-10 visits over four weeks.", "8-10 visits", 8, 10),
        ("Guidelines allow 4 to 6 treatments for a trial.", "4 to 6 treatments", 4, 6),
        ("Aquatic therapy for the left knee x 8: Upheld", "x 8", 8, 8),
        ("Chiropractic manipulation x6 was modified.", "x6", 6, 6),
        ("Massage therapy to the neck, times six, is requested.", "times six", 6, 6),
        ("Acupuncture sessions for the low back, #4 was the request.", "#4", 4, 4),
        ("Work hardening program QTY: 10 was denied.", "QTY: 10", 10, 10),
        ("Physical therapy 2 times a week for 4 weeks is requested.", "2 times a week for 4 weeks", 8, 8),
        ("Acupuncture two times a week times five weeks was asked.", "two times a week times five weeks", 10, 10),
        ("Chiropractic care 1-2 times per week for 6 weeks was ordered.", "1-2 times per week for 6 weeks", 6, 12),
        ("Aquatic therapy 2-3 times a week for 4 weeks was ordered.", "2-3 times a week for 4 weeks", 8, 12),
        ("The plan is physical therapy twice a week for 5 weeks.", "twice a week for 5 weeks", 10, 10),
        ("Physical therapy 3x4 for the shoulder was asked.", "3x4", 12, 12),
        ("Continued occupational therapy 2x/week x 3 weeks.", "2x/week x 3 weeks", 6, 6),
        ("Seven chiropractic sessions were completed.", "Seven", 7, 7),
        ("She completed three (3) acupuncture visits.", "three (3)", 3, 3),
        ("Six sessions of massage were authorized.", "Six sessions", 6, 6),
        ("The ODG supports a six-visit trial.", "six-visit", 6, 6),
    ],
)
def test_count_forms(nlp: Language, text: str, span: str, lo: int, hi: int) -> None:
    found = counts(nlp, text)
    assert [c.text for c in found] == [span]
    assert (found[0]._.count_min, found[0]._.count_max) == (lo, hi)


def test_count_and_frequency_in_one_item(nlp: Language) -> None:
    found = counts(nlp, "Five sessions of traction two times a week times 3 weeks: Upheld")
    assert [(c.text, c._.count_min) for c in found] == [("Five sessions", 5), ("two times a week times 3 weeks", 6)]


def test_count_wrapped_over_lines(nlp: Language) -> None:
    found = counts(nlp, "Acupuncture for the neck 2 times a week\n\nfor 3 weeks: Upheld")
    assert [c.text for c in found] == ["2 times a week\n\nfor 3 weeks"]
    assert found[0]._.count_max == 6


@pytest.mark.parametrize(
    "text",
    [
        "Norco 10/325 mg #60 was dispensed.",
        "Flexeril 10mg #90: Upheld",
        "He is alert and oriented x3 today.",
        "Keflex 500 mg three times a day x10 days.",
        "Guidelines allow up to 3 visits per week at first.",
        "The wound was closed with 4-0 Prolene; blood pressure 120/80.",
        "Apply heat for 5 to 10 minutes twice a day.",
        "The 43 year old had 2 children and smokes 1 pack a day.",
        "Physical therapy over 8 weeks is the norm.",
        "The MTUS page 49 notes that treatment should continue.",
        "A 4 x 4 gauze dressing was applied; the cyst was 2 x 3 cm.",
    ],
)
def test_not_counts(nlp: Language, text: str) -> None:
    assert counts(nlp, text) == []
