"""Hand-corrected real letters (corpus/real_letters): the inline markup, and the gold files built from it."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from imr_spacy.extensions import section_title_at
from imr_spacy.records import text_sha1

from corpus.real_letters import __main__ as real_letters
from corpus.real_letters import markup

ROOT = Path(__file__).resolve().parents[1]

TEXT = "Physical Therapy x 12: Upheld\nMTUS Chronic Pain Guidelines Page(s): 98-99. No therapy reports, DTR 2+."


def _span(phrase: str, label: str, **attrs: Any) -> dict[str, Any]:
    start = TEXT.index(phrase)
    return {"start": start, "end": start + len(phrase), "label": label, "attrs": attrs}


@pytest.fixture()
def record() -> dict[str, Any]:
    cite = _span("MTUS Chronic Pain Guidelines Page(s): 98-99", "GUIDELINE_CITE", guideline="MTUS", pages=[98, 99])
    decision = _span("Upheld", "DECISION", outcome="upheld")
    return {
        "text": TEXT,
        "spans": [
            _span("Physical Therapy", "TREATMENT", is_negated=False),
            _span("x 12", "VISIT_COUNT", count_min=12, count_max=12),
            decision,
            cite,
            _span("therapy reports", "EVIDENCE", is_negated=True),
            _span("2+", "REFLEX_GRADE", reflex="deep tendon", grade="2+", side=None),
        ],
        "decisions": [
            {
                "item": [0, len("Physical Therapy x 12")],
                "outcome": "upheld",
                "decision": [decision["start"], decision["end"]],
                "guidelines": [[cite["start"], cite["end"]]],
            }
        ],
    }


def test_markup_reads_like_the_letter_and_round_trips(record: dict[str, Any]) -> None:
    text = markup.to_markup(record)
    assert text.startswith("⟦ITEM 1|⟦TREATMENT|Physical Therapy⟧ ⟦VISIT_COUNT min=12 max=12|x 12⟧⟧: ")
    assert "⟦DECISION outcome=upheld item=1|Upheld⟧" in text
    assert "⟦GUIDELINE_CITE guideline=MTUS pages=98,99 for=1|MTUS" in text
    assert "No ⟦EVIDENCE neg|therapy reports⟧" in text
    assert "⟦REFLEX_GRADE reflex=deep~tendon grade=2+ side=None|2+⟧" in text
    back = markup.parse(text, text_sha1(TEXT))
    assert back["text"] == TEXT
    key = lambda s: (s["start"], s["end"], s["label"])  # noqa: E731
    assert sorted(map(key, back["spans"])) == sorted(map(key, record["spans"]))
    assert {key(s): s["attrs"] for s in back["spans"]} == {key(s): s["attrs"] for s in record["spans"]}
    assert back["decisions"] == record["decisions"]


def test_an_edited_boundary_moves_the_span(record: dict[str, Any]) -> None:
    text = markup.to_markup(record).replace("No ⟦EVIDENCE neg|therapy reports⟧", "⟦EVIDENCE neg|No therapy⟧ reports")
    spans = {s["label"]: s for s in markup.parse(text, text_sha1(TEXT))["spans"]}
    start = TEXT.index("No therapy")
    assert (spans["EVIDENCE"]["start"], spans["EVIDENCE"]["end"]) == (start, start + len("No therapy"))


@pytest.mark.parametrize(
    ("edit", "message"),
    [
        (lambda m: m.replace("No ⟦", "Nope ⟦"), "differs from the letter"),
        (lambda m: m.replace("therapy reports⟧", "therapy reports"), "never closed"),
        (lambda m: m.replace("EVIDENCE neg|", "EVIDENCE negated|"), "unknown flag"),
        (lambda m: m.replace("min=12", "minimum=12"), "unknown attribute"),
        (lambda m: m.replace("item=1|", "|"), "no DECISION with item=1"),
        (lambda m: m.replace("min=12", "min=twelve"), "bad value for min"),
        (lambda m: m.replace("EVIDENCE neg|", "EVIDENCE neg item=1|"), "unknown attribute 'item'"),
    ],
)
def test_malformed_markup_is_refused_with_its_line(record: dict[str, Any], edit: Any, message: str) -> None:
    with pytest.raises(markup.MarkupError, match=message):
        markup.parse(edit(markup.to_markup(record)), text_sha1(TEXT))


def test_crossing_item_cannot_be_written(record: dict[str, Any]) -> None:
    record["decisions"][0]["item"] = [0, len("Physical Therapy x")]  # ends inside "x 12"
    with pytest.raises(ValueError, match="crosses"):
        markup.to_markup(record)


def test_committed_markup_builds_into_the_committed_gold_files(tmp_path: Path) -> None:
    """Every markup file is valid, and corpus/real_*.jsonl are exactly what ``build`` writes from them."""
    assert real_letters.check([]) == 0
    assert real_letters.build(tmp_path) == 0
    splits = json.loads(real_letters.SPLITS.read_text(encoding="utf-8"))
    assert set(splits["real_train"]).isdisjoint(splits["real_dev"])
    for split, name in real_letters.SPLIT_FILES.items():
        built = (tmp_path / name).read_text(encoding="utf-8")
        assert built == (ROOT / "corpus" / name).read_text(encoding="utf-8")
        records = [json.loads(line) for line in built.splitlines()]
        assert [r["id"] for r in records] == splits[split]
        for rec in records:
            assert rec["meta"]["split"] == split and rec["decisions"], rec["id"]
            first_section = rec["text"].index("HOW THE IMR FINAL DETERMINATION WAS MADE")
            assert all(bool(s["attrs"]["section"]) == (s["start"] > first_section) for s in rec["spans"]), rec["id"]


def test_section_of_an_offset() -> None:
    bounds = [[10, 50, "CLINICAL CASE SUMMARY"], [50, 90, "IMR ISSUES, DECISIONS AND RATIONALES"]]
    assert section_title_at(bounds, 5) is None
    assert section_title_at(bounds, 10) == "CLINICAL CASE SUMMARY"
    assert section_title_at(bounds, 89) == "IMR ISSUES, DECISIONS AND RATIONALES"
