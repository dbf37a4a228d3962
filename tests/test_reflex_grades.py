"""REFLEX_GRADE spans and ``reflex`` / ``grade`` / ``side`` on new sentences."""

from __future__ import annotations

import pytest
from spacy.language import Language
from spacy.tokens import Span


def grades(nlp: Language, text: str) -> list[Span]:
    return [e for e in nlp(text).ents if e.label_ == "REFLEX_GRADE"]


def attrs(span: Span) -> tuple[str | None, str | None, str | None]:
    return span._.reflex, span._.grade, span._.side


@pytest.mark.parametrize(
    ("text", "span", "want"),
    [
        ("Deep tendon reflexes were 2+ bilaterally.", "2+", ("deep tendon", "2+", "bilateral")),
        ("Her biceps reflex was +2 on the left.", "+2", ("biceps", "2+", "left")),
        ("DTRs are 1 + and symmetric.", "1 +", ("deep tendon", "1+", "bilateral")),
        ("The triceps reflex is 2+/4 on the right.", "2+/4", ("triceps", "2+", "right")),
        ("Patellar reflexes are 2/2.", "2/2", ("patellar", "2", None)),
        ("Achilles reflexes measured 2 of 4 and equal.", "2 of 4", ("achilles", "2", "bilateral")),
        ("The Achilles reflex is absent on the right.", "absent", ("achilles", "absent", "right")),
        ("Brachioradialis reflexes are trace bilaterally.", "trace", ("brachioradialis", "trace", "bilateral")),
        ("Reflexes are 3 plus and brisk.", "3 plus", (None, "3+", None)),
        ("There is an absent left ankle jerk.", "absent", ("ankle", "absent", "left")),
        ("Patellar reflex was 0 on the left.", "0", ("patellar", "0", "left")),
    ],
)
def test_grade_forms(nlp: Language, text: str, span: str, want: tuple) -> None:
    found = grades(nlp, text)
    assert [g.text for g in found] == [span]
    assert attrs(found[0]) == want


def test_several_grades_in_one_sentence(nlp: Language) -> None:
    found = grades(nlp, "DTRs are 2+ at the knees and 1+ at the ankles.")
    assert [(g.text, g._.reflex) for g in found] == [("2+", "knee"), ("1+", "ankle")]


def test_one_grade_for_several_reflexes(nlp: Language) -> None:
    found = grades(nlp, "Biceps and triceps reflexes are 1+ and equal.")
    assert [attrs(g) for g in found] == [(None, "1+", "bilateral")]


def test_grade_before_names(nlp: Language) -> None:
    found = grades(nlp, "Upper extremity reflexes are 2+ biceps and 1+ brachioradialis.")
    assert [(g.text, g._.reflex) for g in found] == [("2+", "biceps"), ("1+", "brachioradialis")]


def test_grade_after_line_break(nlp: Language) -> None:
    found = grades(nlp, "Deep tendon reflexes are\n\n1+/4 at both knees.")
    assert [attrs(g) for g in found] == [("knee", "1+", "bilateral")]


@pytest.mark.parametrize(
    "text",
    [
        "Dorsalis pedis pulses are 2+ bilaterally.",
        "There is 1+ pitting edema of the ankles.",
        "Grip strength is 4/5 and motor power 4+ over 5.",
        "A grade 2/6 systolic murmur is heard.",
        "Reflexes were normal. Bowel sounds were absent.",
        "Trace effusion of the knee was seen.",
        "Pain was rated 3/10 after 2 weeks.",
    ],
)
def test_not_reflex_grades(nlp: Language, text: str) -> None:
    assert grades(nlp, text) == []
