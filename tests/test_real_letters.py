"""The 72 real letters (``examples/letters/*.pdf``): decisions, sections and case facts.

The letters are read once per session. Item lines are counted here independently of
``imr_spacy.items`` (plain string tests per line), and the pipeline must find one decision per
counted line with the same outcome. The pipeline tests need the DECISION patterns (engineer A).
"""

from __future__ import annotations

import re
from collections import Counter
from pathlib import Path

import pytest
import spacy
from imr_spacy.entity_ruler import load_pattern_dir
from imr_spacy.items import ItemFinder
from imr_spacy.pdf_reader import read_pdf
from imr_spacy.tables import load_tables
from spacy.language import Language

ROOT = Path(__file__).resolve().parents[1]
LETTERS = ROOT / "examples" / "letters"
OUTCOME_WORDS = ("Upheld", "Overturned")
IMR_TITLES = {
    "HOW THE IMR FINAL DETERMINATION WAS MADE",
    "CLINICAL CASE SUMMARY",
    "IMR ISSUES, DECISIONS AND RATIONALES",
}
ISO_DAY = re.compile(r"^\d{4}-\d{2}-\d{2}$")


def count_outcome_lines(text: str) -> Counter[str]:
    """Outcome -> number of item lines: a line ending in ": Upheld" / ": Overturned", or a line
    holding only the outcome word right after a line that ends with a colon."""
    counts: Counter[str] = Counter()
    previous = ""
    for raw in text.splitlines():
        line = raw.strip()
        for word in OUTCOME_WORDS:
            ends_item = line.endswith(word) and line[: -len(word)].rstrip().endswith(":")
            alone = line == word and previous.endswith(":")
            if ends_item or alone:
                counts[word.lower()] += 1
        if line:
            previous = line
    return counts


class Letters(dict):
    """Letter id -> text or Doc; its repr names no text (letters are PHI, pytest prints arguments)."""

    def __repr__(self) -> str:
        return f"<{len(self)} letters>"


@pytest.fixture(scope="session")
def letters() -> Letters:
    """Letter id -> text of every bundled PDF (read once)."""
    return Letters((path.stem, read_pdf(path)) for path in sorted(LETTERS.glob("*.pdf")))


@pytest.fixture(scope="session")
def letter_docs(nlp: Language, letters: Letters) -> Letters:
    """Letter id -> Doc through the assembled pipeline."""
    return Letters(zip(letters, nlp.pipe(letters.values()), strict=True))


def test_the_bundle_and_the_counter(letters: Letters) -> None:
    assert len(letters) == 72
    total = sum((count_outcome_lines(t) for t in letters.values()), Counter())
    assert sum(total.values()) == 180
    assert all(sum(count_outcome_lines(t).values()) >= 1 for t in letters.values())


def test_item_finder_matches_the_counter(letters: Letters) -> None:
    """Text level, no entities: one item per counted line, same outcomes."""
    nlp = spacy.blank("en")
    sections = nlp.add_pipe("imr_sections")
    sections.initialize(titles=load_pattern_dir(ROOT / "patterns" / "sections"))
    finder = ItemFinder(load_tables(ROOT / "patterns" / "decisions"))
    for name, text in letters.items():
        (bounds,) = [(s.start, s.end) for s in sections.find(text) if s.title == "IMR ISSUES, DECISIONS AND RATIONALES"]
        items = finder.find(text, *bounds)
        assert Counter(i.outcome for i in items) == count_outcome_lines(text), name
        for item in items:
            assert item.item[0] < item.item[1] <= item.word[0], name
            assert set(item.regions) == {"claims", "guideline", "rationale"}, name


def test_every_letter_has_its_decisions(letter_docs: Letters, letters: Letters) -> None:
    for name, doc in letter_docs.items():
        decisions = doc._.decisions
        assert decisions, name
        assert Counter(d["outcome"] for d in decisions) == count_outcome_lines(letters[name]), name
        ents = {(e.start_char, e.end_char): e.label_ for e in doc.ents}
        for d in decisions:
            assert ents.get((d["decision"].start_char, d["decision"].end_char)) == "DECISION", name
            assert d["decision"].text in OUTCOME_WORDS, name
            assert d["rationale"] is not None and d["item"].end_char <= d["decision"].start_char, name


def test_decision_spans_are_entities(letter_docs: Letters) -> None:
    for name, doc in letter_docs.items():
        ents = {(e.start_char, e.end_char): e.label_ for e in doc.ents}
        for d in doc._.decisions:
            for key, label in (("treatment", "TREATMENT"), ("count", "VISIT_COUNT"), ("decision", "DECISION")):
                if d[key] is not None:
                    assert ents.get((d[key].start_char, d[key].end_char)) == label, name
                    if key != "decision":
                        assert d["item"].start_char <= d[key].start_char < d[key].end_char <= d["item"].end_char
            for g in d["guidelines"]:
                assert ents.get((g.start_char, g.end_char)) == "GUIDELINE_CITE", name
                assert d["rationale"].end_char >= g.end_char > d["decision"].end_char, name


def test_sections_of_real_letters(letter_docs: Letters) -> None:
    for name, doc in letter_docs.items():
        titles = [b[2] for b in doc._.section_bounds]
        assert titles == [None, *sorted(IMR_TITLES, key=doc.text.index)], name
        labels = [s.label_ for s in doc.spans["sections"]]
        assert labels[0] == "HEADER" and "REVIEWER CREDENTIALS" in labels, name
        header = doc.char_span(*_find(doc.text, "Case Number"))
        assert header is not None and header._.section is None, name


def test_case_facts_of_real_letters(letter_docs: Letters) -> None:
    coverage: Counter[str] = Counter()
    for name, doc in letter_docs.items():
        case = doc._.case
        assert re.fullmatch(r"CM\d{2}-\d{7}", case["case_number"]) and case["case_number"] == name
        for key in ("injury_date", "ur_denial_date", "decision_date", "date_assigned", "application_received"):
            assert ISO_DAY.match(case[key] or ""), (name, key)
        assert case["injury_date"] <= case["ur_denial_date"] <= case["decision_date"], name
        assert case["date_assigned"] <= case["decision_date"], name
        assert case["patient_sex"] in {"male", "female"}, name
        assert case["reviewer_specialty"] and case["reviewer_licensure"], name
        coverage.update(k for k, v in case.items() if v is not None)
        if case["patient_age"] is not None:
            assert isinstance(case["patient_age"], int) and 16 <= case["patient_age"] <= 100, name
    assert coverage["patient_age"] >= 70


def _find(text: str, phrase: str) -> tuple[int, int]:
    start = text.index(phrase)
    return start, start + len(phrase)
