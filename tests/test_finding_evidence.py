"""FINDING and EVIDENCE rules (patterns/finding.jsonl, patterns/evidence.jsonl)."""

from __future__ import annotations

import pytest
from spacy.language import Language


def spans(nlp: Language, text: str, label: str) -> list[str]:
    return [ent.text for ent in nlp(text).ents if ent.label_ == label]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # a clause finding starts at the sign noun and keeps its predicate
        ("Lumbar range of motion was reduced.", ["range of motion was reduced"]),
        ("On exam, straight leg raise was positive on the left.", ["straight leg raise was positive on the left"]),
        ("Gait was antalgic and slow.", ["Gait was antalgic"]),
        ("Reflexes were symmetric throughout.", ["Reflexes were symmetric throughout"]),
        ("Motor strength was 4/5 in the right hip flexors.", ["Motor strength was 4/5"]),
        # "negative" is a cue outside the span
        ("Spurling's test was negative bilaterally.", ["Spurling's test"]),
        ("There was a positive Phalen's sign on the right.", ["positive Phalen's sign"]),
        ("He had decreased sensation in the L5 dermatome.", ["decreased sensation in the L5 dermatome"]),
        (
            "Exam showed tenderness to palpation over the medial joint line.",
            ["tenderness to palpation over the medial joint line"],
        ),
        ("Blood pressure and heart rate were recorded.", ["Blood pressure", "heart rate"]),
        ("There were no focal neurological deficits.", ["focal neurological deficits"]),
    ],
)
def test_finding(nlp: Language, text: str, expected: list[str]) -> None:
    assert spans(nlp, text, "FINDING") == expected


def test_finding_broken_over_lines(nlp: Language) -> None:
    assert spans(nlp, "There was palpable\n\nspasm of the trapezius.", "FINDING") == [
        "palpable\n\nspasm of the trapezius"
    ]


def test_reflex_with_a_grade_is_not_a_finding(nlp: Language) -> None:
    doc = nlp("Patellar reflexes were 2+ bilaterally.")
    assert [e.label_ for e in doc.ents if e.label_ == "FINDING"] == []


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("There is no documentation of objective functional improvement.", ["objective functional improvement"]),
        ("There is a lack of physical therapy notes from the prior course.", ["physical therapy notes"]),
        ("The provider does not discuss the response to prior acupuncture.", ["response to prior acupuncture"]),
        (
            "There was no discussion of the applicant's treatment goals.",
            ["discussion of the applicant's treatment goals"],
        ),
        ("Treatment continued without documented sustained pain relief.", ["sustained pain relief"]),
        ("There is a lack of evidence that she failed conservative treatment.", ["failed conservative treatment"]),
        ("No red flag conditions were identified.", ["red flag conditions"]),
        ("The Claims Administrator did not cite any medical evidence for its decision.", ["medical evidence"]),
    ],
)
def test_evidence_after_documentation_cues(nlp: Language, text: str, expected: list[str]) -> None:
    assert spans(nlp, text, "EVIDENCE") == expected


def test_evidence_broken_over_a_blank_line(nlp: Language) -> None:
    assert spans(nlp, "with no measurable functional \n\nimprovement noted", "EVIDENCE") == [
        "measurable functional \n\nimprovement"
    ]


@pytest.mark.parametrize(
    "text",
    [
        "Per the 03/02/2015 progress report, pain persists.",
        "The reviewer read all medical records in the case file.",
        "Decision rationale: the request is not supported.",
    ],
)
def test_not_evidence(nlp: Language, text: str) -> None:
    assert spans(nlp, text, "EVIDENCE") == []
