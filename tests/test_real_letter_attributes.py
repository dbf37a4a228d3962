"""DATE ``date_role`` and ConText negation as the real letters need them (made-up sentences).

The date roles run through the assembled pipeline; the negation cases preset their entities (as
tests/test_context.py does), so they test the context rules, not the entity patterns.
"""

from __future__ import annotations

import pytest
from spacy.language import Language
from spacy.tokens import Doc, Span


def dates(nlp: Language, text: str) -> list[Span]:
    return [e for e in nlp(text).ents if e.label_ == "DATE"]


@pytest.mark.parametrize(
    ("text", "role"),
    [
        # the review verb after the requested item: the review's date
        (
            "On 03-14-2016, the request for lumbar spine magnetic resonance imaging without contrast "
            "was non-certified by utilization review.",
            "utilization_review",
        ),
        ("On 4/2/2016 the request for 8 sessions of aquatic therapy was noncertified.", "utilization_review"),
        ("On 5-6-2016 the requests for a cane and a walker were denied.", "utilization_review"),
        # a date of service named after the date
        ("The claims administrator referenced a March 3, 2016 date of service in its decision.", "other"),
        ("A January 9, 2016 date of service was referenced in the decision.", "other"),
        # a request dated ..., even with a date of service after it
        ("An authorization request dated 02-10-2016 (date of service 02-01-2016) was received.", "request"),
        ("The records list her birthdate as 04-12-1961.", "other"),
        ("Date of birth 07/21/1970 was on the form.", "other"),
    ],
)
def test_real_letter_date_roles(nlp: Language, text: str, role: str) -> None:
    assert dates(nlp, text)[0]._.date_role == role


def negated(nlp: Language, text: str, *phrases: str) -> dict[str, bool]:
    """Run the context pipe on ``text`` with ``phrases`` as entities; phrase -> is_negated."""
    doc: Doc = nlp.make_doc(text)
    spans = []
    for phrase in phrases:
        start = text.index(phrase)
        spans.append(doc.char_span(start, start + len(phrase), label="FINDING"))
    doc.ents = spans
    nlp.get_pipe("context")(doc)
    return {e.text: bool(e._.is_negated) for e in doc.ents}


@pytest.mark.parametrize(
    ("text", "phrase", "want"),
    [
        # "no evidence the patient has (tried and) failed X" negates X
        ("There is no evidence the patient has tried and failed aquatic therapy.", "aquatic therapy", True),
        ("There was no indication that the patient had failed oral analgesics.", "oral analgesics", True),
        ("No documentation indicating the patient has gout was found.", "gout", True),
        # ... but not the object of another clause about the patient
        ("There is no indication that the patient cannot tolerate oral tramadol.", "oral tramadol", False),
        # findings "consistent with" / concerns "for" a condition stay in the negation's scope
        ("The exam showed no signs consistent with a rotator cuff tear.", "rotator cuff tear", True),
        ("The notes do not indicate concern for avascular necrosis.", "avascular necrosis", True),
        ("The films were taken in the absence of red flags for spinal infection.", "spinal infection", True),
        # "negative" before a test
        ("There was a negative Finkelstein test at the wrist.", "Finkelstein test", True),
        # a test whose result is negative is not absent
        ("The lumbar x-rays were negative for fracture last year.", "lumbar x-rays", False),
        # not supported / not required / not warranted: not an absence
        ("Such patients do not require the use of a gastric protectant.", "gastric protectant", False),
        ("These findings do not warrant arthroscopic surgery.", "arthroscopic surgery", False),
        ("Imaging is not needed until after a trial of conservative care.", "conservative care", False),
        ("If not, a trial of topical diclofenac is planned.", "topical diclofenac", False),
        ("She reported no improvement in the neck pain.", "neck pain", False),
        ("He walks without help from a cane.", "cane", False),
    ],
)
def test_real_letter_negation(nlp: Language, text: str, phrase: str, want: bool) -> None:
    assert negated(nlp, text, phrase)[phrase] is want


def test_lack_of_documentation_negates_a_list(nlp: Language) -> None:
    text = "There is a lack of documentation with objective evidence of pain relief, better sleep, and less spasm."
    found = negated(nlp, text, "pain relief", "better sleep", "less spasm")
    assert found == {"pain relief": True, "better sleep": True, "less spasm": True}


def test_negation_stops_at_an_affirmed_finding(nlp: Language) -> None:
    text = "The exam noted no swelling, no crepitus, tenderness at the lateral epicondyle."
    found = negated(nlp, text, "swelling", "crepitus", "tenderness at the lateral epicondyle")
    assert found == {"swelling": True, "crepitus": True, "tenderness at the lateral epicondyle": False}
