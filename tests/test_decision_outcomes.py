"""DECISION spans and ``outcome`` on new sentences.

Span convention: the outcome words with their negation ("not medically necessary", "not be
medically necessary", "cannot be considered medically necessary"); the copula ("is", "was")
and "determined to" stay out; utilization review verbs are never DECISIONs.
"""

from __future__ import annotations

import pytest
from spacy.language import Language
from spacy.tokens import Span


def decisions(nlp: Language, text: str) -> list[Span]:
    return [e for e in nlp(text).ents if e.label_ == "DECISION"]


def summary(found: list[Span]) -> list[tuple[str, str]]:
    return [(d.text, d._.outcome) for d in found]


@pytest.mark.parametrize(
    ("text", "want"),
    [
        ("Cervical pillow: Upheld\n\nClaims Administrator guideline: none.", [("Upheld", "upheld")]),
        ("Lumbar brace, purchase: Overturned\n", [("Overturned", "overturned")]),
        ("The remaining portion, Aquatic therapy four sessions is:\n\nUpheld\n", [("Upheld", "upheld")]),
        ("Home health aide: Partially Overturned\n", [("Partially Overturned", "partial")]),
        ("Therefore, the request is not medically necessary.", [("not medically necessary", "upheld")]),
        ("As such, the knee MRI is medically necessary.", [("medically necessary", "overturned")]),
        ("The cane is not medically appropriate at this time.", [("not medically appropriate", "upheld")]),
        ("A bone scan is not clinically indicated.", [("not clinically indicated", "upheld")]),
        ("The sling is determined to not be medically necessary.", [("not be medically necessary", "upheld")]),
        ("The walker is determined to be not medically\n\nnecessary.", [("not medically\n\nnecessary", "upheld")]),
        (
            "This request cannot be considered medically necessary.",
            [("cannot be considered medically necessary", "upheld")],
        ),
        ("The scan is not supported by the notes as being medically necessary.", [("medically necessary", "upheld")]),
        (
            "The utilization review found the shoes not medically necessary on 3/2/16.",
            [("not medically necessary", "upheld")],
        ),
    ],
)
def test_outcomes(nlp: Language, text: str, want: list) -> None:
    assert summary(decisions(nlp, text)) == want


@pytest.mark.parametrize(
    "text",
    [
        "The utilization review denied the request and modified the dose.",
        "The claims administrator non-certified the MRI.",
        "Home care may also be medically necessary for patients who are homebound.",
        "Imaging is ordered only if medically necessary.",
    ],
)
def test_not_decisions(nlp: Language, text: str) -> None:
    assert decisions(nlp, text) == []
