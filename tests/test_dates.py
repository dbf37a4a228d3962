"""DATE spans, ``iso`` and ``date_role`` on new sentences, through the assembled pipeline."""

from __future__ import annotations

import pytest
from spacy.language import Language
from spacy.tokens import Span


def dates(nlp: Language, text: str) -> list[Span]:
    return [e for e in nlp(text).ents if e.label_ == "DATE"]


@pytest.mark.parametrize(
    ("text", "span", "iso"),
    [
        ("The worker was hurt on 03/14/2011 while lifting.", "03/14/2011", "2011-03-14"),
        ("She was seen on 4/7/15 by the surgeon.", "4/7/15", "2015-04-07"),
        ("An MRI done on 11-02-16 showed a tear.", "11-02-16", "2016-11-02"),
        ("The exam of January 9, 2015 was normal.", "January 9, 2015", "2015-01-09"),
        ("The fall happened in August 2012 at home.", "August 2012", "2012-08"),
        ("The last injection was in 05-2015 per the notes.", "05-2015", "2015-05"),
        ("The visit of Sept. 3, 2016 noted spasm.", "Sept. 3, 2016", "2016-09-03"),
        ("Surgery was done on 2 March 2014 in Fresno.", "2 March 2014", "2014-03-02"),
        ("Knee surgery in June of 2009 failed.", "June of 2009", "2009-06"),
        ("Chemotherapy started in 9/88 and ended later.", "9/88", "1988-09"),
    ],
)
def test_date_forms(nlp: Language, text: str, span: str, iso: str) -> None:
    found = dates(nlp, text)
    assert [d.text for d in found] == [span]
    assert found[0]._.iso == iso


@pytest.mark.parametrize(
    ("text", "span", "iso"),
    [
        ("The lumbar x-rays dated 12-07-\n2016 were normal.", "12-07-\n2016", "2016-12-07"),
        ("The progress note of March 15,\n\n2016 was reviewed.", "March 15,\n\n2016", "2016-03-15"),
        ("The MRI of the knee on 10/04/\n2016 showed effusion.", "10/04/\n2016", "2016-10-04"),
    ],
)
def test_dates_broken_over_lines(nlp: Language, text: str, span: str, iso: str) -> None:
    found = dates(nlp, text)
    assert [d.text for d in found] == [span]
    assert found[0]._.iso == iso


@pytest.mark.parametrize(
    "text",
    [
        "Blood pressure 132/84 and pulse 70.",
        "The skin was closed with 4-0 nylon.",
        "Percocet 10/325 mg was stopped.",
        "He will return in March for a recheck.",
        "Pain is 6/10 and flexion of 10/35 degrees.",
        "Table 12-8 lists the red flags; wait 5 to 10 minutes.",
        "The patient is 43 years old and rates pain 8-9.",
    ],
)
def test_not_dates(nlp: Language, text: str) -> None:
    assert dates(nlp, text) == []


HEADER = (
    " \nCase Number: CM17-0000417  \nDate Assigned: 02/06/2017 Date of Injury:  08/30/2015 \n"
    "Decision Date: 03/03/2017 UR Denial Date:  01/24/2017 \nPriority:  Standard Application \n"
    "Received:  \n01/30/2017 \n \nHOW THE IMR FINAL DETERMINATION WAS MADE \n"
    "A physician with no ties to the parties read every record. \n"
)


def test_header_roles(nlp: Language) -> None:
    found = {d.text: d._.date_role for d in dates(nlp, HEADER)}
    assert found == {
        "02/06/2017": "other",
        "08/30/2015": "injury",
        "03/03/2017": "other",
        "01/24/2017": "utilization_review",
        "01/30/2017": "other",
    }


@pytest.mark.parametrize(
    ("text", "role"),
    [
        ("The worker slipped and sustained an industrial injury on 05-12-2015.", "injury"),
        ("A progress report dated 06/02/2016 notes neck pain.", "report"),
        ("According to the 07/19/2016 report, she walks with a cane.", "report"),
        ("An MRI of the left wrist on 8-1-16 showed a cyst.", "report"),
        ("On 9-12-2016, the injured worker complained of low back pain.", "report"),
        ("The utilization review non-certified the brace on 10/03/2016.", "utilization_review"),
        ("On 10-21-2016, utilization review modified the request.", "utilization_review"),
        ("A Request for Authorization dated 09/28/2016 asked for therapy.", "request"),
        ("The request for physical therapy was received on 10-05-2016.", "request"),
        ("She may return to modified duty as of 11-01-2016.", "other"),
        ("Naproxen 550mg, DOS: 10/14/2016, was billed.", "other"),
        ("The worker last worked in 07/2016 before the layoff.", "other"),
    ],
)
def test_body_roles(nlp: Language, text: str, role: str) -> None:
    found = dates(nlp, text)
    assert len(found) == 1
    assert found[0]._.date_role == role
