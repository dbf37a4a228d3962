"""GUIDELINE_CITE spans, ``guideline`` and ``pages`` on new sentences and guideline lines."""

from __future__ import annotations

import pytest
from spacy.language import Language
from spacy.tokens import Span


def cites(nlp: Language, text: str) -> list[Span]:
    return [e for e in nlp(text).ents if e.label_ == "GUIDELINE_CITE"]


def summary(found: list[Span]) -> list[tuple[str, str, list[int]]]:
    return [(c.text, c._.guideline, c._.pages) for c in found]


@pytest.mark.parametrize(
    ("text", "want"),
    [
        ("Per the MTUS guidelines, ice is advised.", [("MTUS guidelines", "MTUS", [])]),
        ("CA MTUS/ACOEM Guidelines advise rest.", [("CA MTUS/ACOEM Guidelines", "MTUS", [])]),
        (
            "The California MTUS 2016 Chronic Pain Guidelines allow a trial.",
            [("California MTUS 2016 Chronic Pain Guidelines", "MTUS", [])],
        ),
        (
            "The Chronic Pain Medical Treatment Guidelines favor exercise.",
            [("Chronic Pain Medical Treatment Guidelines", "MTUS", [])],
        ),
        ("As the ODG notes, bracing helps.", [("ODG", "ODG", [])]),
        (
            "The Official Disability Guidelines (ODG) favor early imaging.",
            [("Official Disability Guidelines (ODG)", "ODG", [])],
        ),
        ("MTUS page 12 asks for objective gains.", [("MTUS page 12", "MTUS", [12])]),
        (
            "See MTUS Chronic Pain Treatment Guidelines Page(s): 78-80 on weaning.",
            [("MTUS Chronic Pain Treatment Guidelines Page(s): 78-80", "MTUS", [78, 79, 80])],
        ),
        (
            "The ACOEM Practice Guidelines, 2nd Edition (2004), Chapter 13, page 343 address the knee.",
            [("ACOEM Practice Guidelines, 2nd Edition (2004), Chapter 13, page 343", "ACOEM", [343])],
        ),
        (
            "Per ACOEM Occupational Medicine Practice Guidelines, 3rd ed., Shoulder Disorders, pg. 412 surgery waits.",
            [("ACOEM Occupational Medicine Practice Guidelines, 3rd ed., Shoulder Disorders, pg. 412", "ACOEM", [412])],
        ),
        ("The ODG Knee & Leg Chapter favors a brace.", [("ODG Knee & Leg Chapter", "ODG", [])]),
        ("The MTUS and ODG Guidelines are silent.", [("MTUS", "MTUS", []), ("ODG Guidelines", "ODG", [])]),
        ("The AMA Guides were not used.", [("AMA Guides", "AMA Guides", [])]),
    ],
)
def test_prose_cites(nlp: Language, text: str, want: list) -> None:
    assert summary(cites(nlp, text)) == want


@pytest.mark.parametrize(
    "text",
    [
        "The guidelines do not support this request.",
        "Per the treatment guidelines, a trial is reasonable.",
        "Decision based on Non-MTUS Citation Drug facts, accessed on 03/02/2016.",
    ],
)
def test_not_cites(nlp: Language, text: str) -> None:
    assert cites(nlp, text) == []


LINES = [
    (
        "MAXIMUS guideline: Decision based on MTUS Knee Complaints 2004, Section(s): Summary, and Chronic "
        "Pain Medical Treatment 2016, Section(s): Aquatic therapy.\n\nDecision rationale: Pool work helps.",
        [
            ("MTUS Knee Complaints 2004, Section(s): Summary", "MTUS", []),
            ("Chronic Pain Medical Treatment 2016, Section(s): Aquatic therapy", "MTUS", []),
        ],
    ),
    (
        "MAXIMUS guideline: Decision based on MTUS Opioid Treatment 2016, Section(s): 4.1 Opioids for "
        "Chronic Pain: Tapering and Stopping Opioids.\n\nDecision rationale: The dose is high.",
        [
            (
                "MTUS Opioid Treatment 2016, Section(s): 4.1 Opioids for Chronic Pain: Tapering and Stopping Opioids",
                "MTUS",
                [],
            )
        ],
    ),
    (
        "Claims Administrator guideline: Decision based on Non-MTUS Citation Official Disability Guidelines "
        "(ODG) Ankle & Foot Chapter, Bone scan.\n\nMAXIMUS guideline: Decision based on MTUS Ankle and "
        "Foot Complaints 2004.",
        [
            ("Official Disability Guidelines (ODG) Ankle & Foot Chapter, Bone scan", "ODG", []),
            ("MTUS Ankle and Foot Complaints 2004", "MTUS", []),
        ],
    ),
    (
        "MAXIMUS guideline: Decision based on Non-MTUS Citation ACOEM guidelines and the Official "
        "Disability Guidelines.\n\nDecision rationale: Rest first.",
        [("ACOEM guidelines", "ACOEM", []), ("Official Disability Guidelines", "ODG", [])],
    ),
    (
        "MAXIMUS guideline: Decision based on MTUS Chronic Pain Treatment Guidelines Page(s):\n\n\n71-73.\n\n"
        "Decision rationale: A trial is allowed.",
        [("MTUS Chronic Pain Treatment Guidelines Page(s):\n\n\n71-73", "MTUS", [71, 72, 73])],
    ),
    (
        "MAXIMUS guideline: Decision based on MTUS Chronic Pain Medical Treatment Guidelines, Massage, "
        "page 60, which is part of the MTUS.",
        [("MTUS Chronic Pain Medical Treatment Guidelines, Massage, page 60", "MTUS", [60]), ("MTUS", "MTUS", [])],
    ),
]


@pytest.mark.parametrize(("text", "want"), LINES)
def test_guideline_lines(nlp: Language, text: str, want: list) -> None:
    assert summary(cites(nlp, text)) == want


def test_cite_stops_before_an_updated_date(nlp: Language) -> None:
    doc = nlp("Decision based on Non-MTUS Citation ODG, Elbow Chapter (updated 02/14/16), Splints.")
    assert [(e.text, e.label_) for e in doc.ents if e.label_ in ("GUIDELINE_CITE", "DATE")] == [
        ("ODG, Elbow Chapter", "GUIDELINE_CITE"),
        ("02/14/16", "DATE"),
    ]


def test_page_list_does_not_swallow_a_count(nlp: Language) -> None:
    doc = nlp("Under MTUS page 98, 8-10 visits over 4 weeks are allowed.")
    assert [(e.text, e.label_) for e in doc.ents if e.label_ in ("GUIDELINE_CITE", "VISIT_COUNT")] == [
        ("MTUS page 98", "GUIDELINE_CITE"),
        ("8-10 visits", "VISIT_COUNT"),
    ]
