"""Open-class entities as the hand-corrected real letters annotate them (GUIDELINES.md, "Hard cases").

Made-up sentences in the style of the real letters: pain scores, heading words, anaphora, work status and
reports named as sources are not entities; what the reviewer finds missing is EVIDENCE.
"""

from __future__ import annotations

import pytest
from spacy.language import Language


def ents(nlp: Language, text: str) -> list[tuple[str, str]]:
    return [(ent.text, ent.label_) for ent in nlp(text).ents]


def spans(nlp: Language, text: str, label: str) -> list[str]:
    return [ent.text for ent in nlp(text).ents if ent.label_ == label]


@pytest.mark.parametrize(
    "text",
    [
        "Pain was rated 4 out of 10 on the visual analog scale.",
        "The claimant presented with pain rated 8/10 at the visit.",
        "She rated her pain 5/10 after the injections.",
        "The physician noted less pain with walking.",
        "The level of pain is rated 3 out of 10.",
    ],
)
def test_a_pain_score_is_not_a_diagnosis(nlp: Language, text: str) -> None:
    assert spans(nlp, text, "DIAGNOSIS") == []


def test_a_site_before_pain_keeps_the_diagnosis_next_to_a_score(nlp: Language) -> None:
    assert spans(nlp, "She reported low back pain rated 7/10.", "DIAGNOSIS") == ["low back pain"]
    assert spans(nlp, "He reported shoulder pain rated 6/10.", "DIAGNOSIS") == ["shoulder pain"]


@pytest.mark.parametrize(
    ("text", "drugs"),
    [
        ("Current medications include Meloxicam and Omeprazole.", ["Meloxicam", "Omeprazole"]),
        ("Medications included: Baclofen 10mg.", ["Baclofen 10mg"]),
        ("The claimant's medications were noted to include Naproxen.", ["Naproxen"]),
    ],
)
def test_a_medication_heading_is_not_a_treatment(nlp: Language, text: str, drugs: list[str]) -> None:
    assert spans(nlp, text, "TREATMENT") == drugs


@pytest.mark.parametrize(
    "text",
    [
        "This medication is recommended only for a short course.",
        "There was no rationale for the dispensed medication.",
        "The requested medications were denied by utilization review.",
        "The plan was to continue the current medication regimen.",
    ],
)
def test_medication_anaphora_is_not_a_treatment(nlp: Language, text: str) -> None:
    assert spans(nlp, text, "TREATMENT") == []


def test_medications_in_a_treatment_list_stay_a_treatment(nlp: Language) -> None:
    text = "Treatment to date has included acupuncture and medications."
    assert spans(nlp, text, "TREATMENT") == ["acupuncture", "medications"]


@pytest.mark.parametrize(
    "text",
    [
        "He was returned to modified duty on that date.",
        "Work restrictions were imposed by the provider.",
        "She was working light duty.",
        "He may resume regular work duties next month.",
    ],
)
def test_work_status_is_not_a_treatment(nlp: Language, text: str) -> None:
    assert spans(nlp, text, "TREATMENT") == []


def test_list_intro_words_are_not_entities(nlp: Language) -> None:
    text = "Objective findings included tenderness over the lateral epicondyle."
    assert ents(nlp, text) == [("tenderness over the lateral epicondyle", "FINDING")]
    text = "Diagnostic studies included an x-ray of the left wrist."
    assert ents(nlp, text) == [("x-ray of the left wrist", "TREATMENT")]


def test_a_visit_or_note_named_as_a_source_is_not_a_treatment(nlp: Language) -> None:
    assert spans(nlp, "An office visit on 03/02/2016 showed mild swelling.", "TREATMENT") == []
    assert spans(nlp, "The home health care note does not describe the wound.", "TREATMENT") == []
    # the service itself still is one
    assert spans(nlp, "Home health care was requested for four weeks.", "TREATMENT") == ["Home health care"]


def test_guideline_prose_is_not_an_exam_finding_or_a_treatment(nlp: Language) -> None:
    text = "Therapy aims at improving range of motion and strength."
    assert spans(nlp, text, "FINDING") == []
    assert spans(nlp, "Topical creams are not recommended as a first line therapy.", "TREATMENT") == ["Topical creams"]
    assert spans(nlp, "Providers are advised to consult the guideline.", "TREATMENT") == []


@pytest.mark.parametrize(
    ("text", "evidence"),
    [
        ("There is a lack of rationale provided by the physician.", "rationale"),
        ("There are no exceptional factors noted within the documentation.", "exceptional factors"),
        ("There is a lack of evidence based rationale provided by the physician.", "evidence based rationale"),
        ("There were no extenuating circumstances to deviate from guidelines.", "extenuating circumstances"),
        ("No other supporting evidence was provided.", "supporting evidence"),
    ],
)
def test_what_the_reviewer_finds_missing_is_negated_evidence(nlp: Language, text: str, evidence: str) -> None:
    doc = nlp(text)
    found = [ent for ent in doc.ents if ent.label_ == "EVIDENCE"]
    assert [ent.text for ent in found] == [evidence]
    assert found[0]._.is_negated


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("The claimant has lumbar radicular symptoms.", ["lumbar radicular symptoms"]),
        ("It is indicated for musculoskeletal conditions.", ["musculoskeletal conditions"]),
        ("Patients at risk for gastrointestinal events need a PPI.", ["gastrointestinal events"]),
        ("The exam raised suspicion of a serious shoulder condition.", ["serious shoulder condition"]),
        ("He had blunt head trauma.", ["blunt head trauma"]),
    ],
)
def test_symptoms_and_conditions_of_a_named_kind_are_diagnoses(nlp: Language, text: str, expected: list[str]) -> None:
    assert spans(nlp, text, "DIAGNOSIS") == expected


def test_symptoms_alone_are_not_a_diagnosis(nlp: Language) -> None:
    assert spans(nlp, "The symptoms had been present for two weeks.", "DIAGNOSIS") == []


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("The request for comprehensive psychological testing was denied.", ["comprehensive psychological testing"]),
        ("Single positional MRI of the lumbar spine: Upheld", ["positional MRI of the lumbar spine"]),
        ("The guidelines do not recommend compound drugs.", ["compound drugs"]),
    ],
)
def test_treatment_modifiers_of_real_letters(nlp: Language, text: str, expected: list[str]) -> None:
    assert spans(nlp, text, "TREATMENT") == expected


def test_an_initial_comprehensive_evaluation_is_a_report(nlp: Language) -> None:
    text = "The initial comprehensive evaluation described knee pain."
    assert spans(nlp, text, "TREATMENT") == []


def test_acute_stays_inside_an_exam_finding(nlp: Language) -> None:
    text = "The exam revealed no evidence of acute muscle spasm."
    doc = nlp(text)
    found = [ent for ent in doc.ents if ent.label_ == "FINDING"]
    assert [ent.text for ent in found] == ["acute muscle spasm"]
    assert found[0]._.is_negated
