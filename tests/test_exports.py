"""Exports to Prodigy, Label Studio, doccano, brat and spaCy, and the importers back to gold."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import pytest
from imr_spacy.cli import app
from imr_spacy.exports import EXPORTERS, FOLDER_FORMATS, READERS, from_record, tool_view
from imr_spacy.exports.brat import fragments
from imr_spacy.exports.common import Annotated, from_gold
from imr_spacy.exports.tokens import imr_tokenizer_nlp
from imr_spacy.records import doc_to_record, pipeline_info, record_to_doc
from spacy.language import Language
from spacy.tokens import Doc
from typer.testing import CliRunner

ROOT = Path(__file__).resolve().parents[1]
SEED_GOLD = ROOT.parent / "shared" / "gold" / "seed.jsonl"
IMPORT_FORMATS = ["prodigy", "labelstudio", "doccano", "brat"]
FLAGS = ("is_negated", "is_historical", "is_hypothetical", "is_family", "is_uncertain")

LETTER = (
    "Case Number: CM00-0000001\n"
    "Date of Injury: 03/14/2012\n\n"
    "CLINICAL CASE SUMMARY\n"
    "The injured worker is a 51 year old male with chronic low back\n"
    "pain. There is no documented functional improvement after \U0001d7d9 prior course of chiropractic care.\n\n"
    "IMR ISSUES, DECISIONS AND RATIONALES\n"
    "Chiropractic manipulation x 8: Upheld\n"
    "MAXIMUS guideline: Decision based on MTUS Chronic Pain Medical Treatment Guidelines, page 58.\n"
)


def at(phrase: str) -> tuple[int, int]:
    start = LETTER.index(phrase)
    return start, start + len(phrase)


def synthetic_doc() -> Doc:
    """A hand-annotated letter with every kind of annotation the pipeline makes."""
    doc = imr_tokenizer_nlp().make_doc(LETTER)
    spans = {
        "date": ("DATE", at("03/14/2012")),
        "dx": ("DIAGNOSIS", at("chronic low back\npain")),
        "ev": ("EVIDENCE", at("functional improvement")),
        "tx_hist": ("TREATMENT", at("chiropractic care")),
        "tx": ("TREATMENT", at("Chiropractic manipulation")),
        "count": ("VISIT_COUNT", at("x 8")),
        "dec": ("DECISION", at("Upheld")),
        "cite": ("GUIDELINE_CITE", at("MTUS Chronic Pain Medical Treatment Guidelines, page 58")),
    }
    ents = {k: doc.char_span(s, e, label=label) for k, (label, (s, e)) in spans.items()}
    doc.ents = list(ents.values())
    ents["date"]._.iso, ents["date"]._.date_role = "2012-03-14", "injury"
    ents["ev"]._.is_negated = True
    ents["ev"]._.context_cues = [{"trigger": "no documented", "category": "NEGATED_EXISTENCE"}]
    ents["tx_hist"]._.is_historical = True
    ents["count"]._.count_min = ents["count"]._.count_max = 8
    ents["dec"]._.outcome = "upheld"
    ents["cite"]._.guideline, ents["cite"]._.pages = "MTUS", [58]
    s1, s2 = LETTER.index("CLINICAL CASE"), LETTER.index("IMR ISSUES")
    doc._.section_bounds = [
        [0, s1, None],
        [s1, s2, "CLINICAL CASE SUMMARY"],
        [s2, len(LETTER), "IMR ISSUES, DECISIONS AND RATIONALES"],
    ]
    item = list(at("Chiropractic manipulation x 8"))
    tx, count, dec, cite = (list(spans[k][1]) for k in ("tx", "count", "dec", "cite"))
    doc._.decision_records = [
        {
            "item": item,
            "treatment": tx,
            "count": count,
            "outcome": "upheld",
            "decision": dec,
            "guidelines": [cite],
            "rationale": None,
        }
    ]
    doc._.relation_records = [[item, dec, "HAS_OUTCOME"], [dec, cite, "CITES"], [tx, count, "HAS_COUNT"]]
    doc._.case = {"case_number": "CM00-0000001", "injury_date": "2012-03-14"}
    return doc


@pytest.fixture(scope="module")
def record() -> dict[str, Any]:
    pipeline = {"name": "en_test", "version": "0", "spacy": "3", "imr_spacy": "0"}
    return doc_to_record(synthetic_doc(), doc_id="letter/one", source="letter.txt", pipeline=pipeline)


def view_of(doc: Annotated) -> tuple[list[Any], list[Any]]:
    view = tool_view(doc)
    return [(s.key, s.attrs) for s in view.spans], view.relations


def exported(fmt: str, docs: list[Annotated], tmp_path: Path) -> Path:
    out = tmp_path / (fmt if fmt in FOLDER_FORMATS else f"{fmt}.out")
    assert EXPORTERS[fmt](docs, out) == len(docs)
    return out


@pytest.mark.parametrize("fmt", sorted(EXPORTERS))
def test_every_format_round_trips_spans_relations_and_decisions(
    fmt: str, record: dict[str, Any], tmp_path: Path
) -> None:
    original = from_record(record, record["text"])
    (back,) = list(READERS[fmt](exported(fmt, [original], tmp_path)))
    assert (back.id, back.text) == ("letter/one", LETTER)
    assert view_of(back) == view_of(original)
    spans, relations = view_of(original)
    assert len(spans) == 9 and len(relations) == 3  # 8 entities + 1 ITEM
    want = [{k: d[k] for k in ("item", "outcome", "guidelines", "decision")} for d in record["decisions"]]
    assert back.decisions == want


@pytest.mark.parametrize("fmt", IMPORT_FORMATS)
def test_seed_gold_exported_then_imported_gives_back_the_gold(fmt: str, tmp_path: Path) -> None:
    gold = json.loads(SEED_GOLD.read_text(encoding="utf-8").splitlines()[0])
    out = tmp_path / (fmt if fmt in FOLDER_FORMATS else f"{fmt}.out")
    runner = CliRunner()
    result = runner.invoke(app, ["export", str(SEED_GOLD), "--format", fmt, "-o", str(out)])
    assert result.exit_code == 0, result.output
    back_path = tmp_path / "gold.jsonl"
    result = runner.invoke(app, ["import", str(out), "--format", fmt, "-o", str(back_path)])
    assert result.exit_code == 0, result.output
    (back,) = [json.loads(line) for line in back_path.read_text(encoding="utf-8").splitlines()]
    assert (back["id"], back["text"]) == (gold["id"], gold["text"])
    key = lambda s: (s["start"], s["end"], s["label"])  # noqa: E731
    assert sorted(map(key, back["spans"])) == sorted(map(key, gold["spans"]))
    got = {key(s): s["attrs"] for s in back["spans"]}
    for span in gold["spans"]:
        attrs = got[key(span)]
        assert {k: attrs[k] for k in span["attrs"]} == span["attrs"]
        assert set(attrs) - set(span["attrs"]) <= set(FLAGS)
        assert not any(attrs[k] for k in set(attrs) - set(span["attrs"]))
    assert back["decisions"] == gold["decisions"]


def test_prodigy_tokens_and_relations_point_at_the_spans(record: dict[str, Any], tmp_path: Path) -> None:
    out = exported("prodigy", [from_record(record, record["text"])], tmp_path)
    task = json.loads(out.read_text(encoding="utf-8"))
    tokens = task["tokens"]
    assert "".join(t["text"] + (" " if t["ws"] else "") for t in tokens) == LETTER
    for span in task["spans"]:
        assert tokens[span["token_start"]]["start"] == span["start"]
        assert tokens[span["token_end"]]["end"] == span["end"]
    labels = {(r["head_span"]["label"], r["child_span"]["label"], r["label"]) for r in task["relations"]}
    assert labels == {
        ("ITEM", "DECISION", "HAS_OUTCOME"),
        ("DECISION", "GUIDELINE_CITE", "CITES"),
        ("TREATMENT", "VISIT_COUNT", "HAS_COUNT"),
    }
    for rel in task["relations"]:
        assert rel["head"] == rel["head_span"]["token_end"] and rel["child"] == rel["child_span"]["token_end"]
    task["answer"] = "reject"
    out.write_text(json.dumps(task) + "\n", encoding="utf-8")
    assert list(READERS["prodigy"](out)) == []


def test_labelstudio_config_tasks_and_corrected_annotations(record: dict[str, Any], tmp_path: Path) -> None:
    out = exported("labelstudio", [from_record(record, record["text"])], tmp_path)
    config = ET.fromstring((out / "labeling_config.xml").read_text(encoding="utf-8"))
    labels = {e.get("value") for e in config.iter("Label")}
    assert {"DIAGNOSIS", "DECISION", "GUIDELINE_CITE", "ITEM"} <= labels
    assert {e.get("value") for e in config.iter("Relation")} >= {"HAS_OUTCOME", "CITES", "HAS_COUNT"}
    assert {e.get("name") for e in config.iter("Choices")} == {"context", "outcome"}
    (task,) = json.loads((out / "tasks.json").read_text(encoding="utf-8"))
    result = task["predictions"][0]["result"]
    ev = next(r for r in result if r["type"] == "labels" and r["value"]["labels"] == ["EVIDENCE"])
    # the astral character before the span counts as two UTF-16 units in Label Studio
    assert ev["value"]["start"] == at("functional improvement")[0]
    cite = next(r for r in result if r["type"] == "labels" and r["value"]["labels"] == ["GUIDELINE_CITE"])
    assert cite["value"]["start"] == at("MTUS Chronic")[0] + 1
    assert {"id": ev["id"], "from_name": "context"}.items() <= next(
        r for r in result if r.get("from_name") == "context"
    ).items()
    # an annotator deletes the DIAGNOSIS region: the annotation, not the prediction, is imported
    dx = next(r["id"] for r in result if r["type"] == "labels" and r["value"]["labels"] == ["DIAGNOSIS"])
    task["annotations"] = [{"result": [r for r in result if r.get("id") != dx], "was_cancelled": False}]
    (out / "tasks.json").write_text(json.dumps([task]), encoding="utf-8")
    (back,) = list(READERS["labelstudio"](out))
    assert "DIAGNOSIS" not in {s.label for s in back.spans}
    assert len(back.spans) == 7 and len(back.decisions) == 1


def test_brat_files_fragments_and_edited_attributes(record: dict[str, Any], tmp_path: Path) -> None:
    out = exported("brat", [from_record(record, record["text"])], tmp_path)
    assert sorted(p.name for p in out.iterdir()) == ["annotation.conf", "letter%2Fone.ann", "letter%2Fone.txt"]
    conf = (out / "annotation.conf").read_text(encoding="utf-8")
    for section in ("[entities]", "[relations]", "[events]", "[attributes]"):
        assert section in conf
    assert "Negated\tArg:<ENTITY>" in conf and "HAS_COUNT\tArg1:TREATMENT, Arg2:VISIT_COUNT" in conf
    ann = (out / "letter%2Fone.ann").read_text(encoding="utf-8")
    s, e = at("chronic low back\npain")
    assert f"DIAGNOSIS {s} {s + len('chronic low back')};{e - 4} {e}\tchronic low back pain" in ann
    assert "\tNegated T3" in ann and "\tHistorical T4" in ann and "\tOutcome T7 upheld" in ann
    assert "\tDateRole T1 injury" in ann
    (out / "letter%2Fone.ann").write_text(ann + "A99\tNegated T2\n", encoding="utf-8")
    (back,) = list(READERS["brat"](out))
    assert back.spans[1].label == "DIAGNOSIS" and back.spans[1].attrs["is_negated"] is True


def test_brat_fragments_skip_the_line_breaks() -> None:
    text = "left  \n\n  shoulder pain"
    assert fragments(text, 0, len(text)) == [(0, 4), (10, 23)]
    assert fragments("one line", 0, 8) == [(0, 8)]


def test_doccano_keeps_attributes_of_unchanged_spans_only(record: dict[str, Any], tmp_path: Path) -> None:
    out = exported("doccano", [from_record(record, record["text"])], tmp_path)
    line = json.loads(out.read_text(encoding="utf-8"))
    assert {"doc_id", "text", "entities", "relations"} <= set(line)
    assert set(line["entities"][0]) == {"id", "label", "start_offset", "end_offset"}
    assert set(line["relations"][0]) == {"id", "from_id", "to_id", "type"}
    ev = next(e for e in line["entities"] if e["label"] == "EVIDENCE")
    ev["label"] = "FINDING"  # an annotator relabels the span
    out.write_text(json.dumps(line) + "\n", encoding="utf-8")
    (back,) = list(READERS["doccano"](out))
    finding = next(s for s in back.spans if s.label == "FINDING")
    assert finding.attrs == dict.fromkeys(FLAGS, False)
    plain = tmp_path / "plain.jsonl"
    plain.write_text(json.dumps({"id": 3, "text": "Knee pain.", "label": [[0, 9, "DIAGNOSIS"]]}) + "\n")
    (doc,) = list(READERS["doccano"](plain))
    assert doc.id == "3" and [(s.start, s.end, s.label) for s in doc.spans] == [(0, 9, "DIAGNOSIS")]


def test_spacy_docbin_holds_entities_attributes_and_decisions(record: dict[str, Any], tmp_path: Path) -> None:
    from spacy.tokens import DocBin

    out = exported("spacy", [from_record(record, record["text"])], tmp_path)
    (doc,) = list(DocBin().from_disk(out).get_docs(imr_tokenizer_nlp().vocab))
    assert doc.text == LETTER and doc.user_data["imr_id"] == "letter/one"
    ev = next(e for e in doc.ents if e.label_ == "EVIDENCE")
    assert ev._.is_negated and ev._.section == "CLINICAL CASE SUMMARY"
    assert [(d["item"].text, d["outcome"]) for d in doc._.decisions] == [("Chiropractic manipulation x 8", "upheld")]
    assert {label for _, _, label in doc._.relations} == {"HAS_OUTCOME", "CITES", "HAS_COUNT"}
    assert [s.text for s in doc.spans["items"]] == ["Chiropractic manipulation x 8"]


def test_record_to_doc_inverts_doc_to_record(nlp: Language) -> None:
    doc = nlp(LETTER)
    info = pipeline_info(nlp)
    rec = doc_to_record(doc, doc_id="x", source="x.txt", pipeline=info)
    again = doc_to_record(record_to_doc(rec, nlp), doc_id="x", source="x.txt", pipeline=info)
    assert again == rec
    bare = doc_to_record(doc, doc_id="x", source="x.txt", pipeline=info, include_text=False)
    rebuilt = record_to_doc(bare, nlp, LETTER)
    assert doc_to_record(rebuilt, doc_id="x", source="x.txt", pipeline=info, include_text=False) == bare
    with pytest.raises(ValueError, match="sha1"):
        record_to_doc(bare, nlp, LETTER + " ")


def test_export_of_no_text_records_reads_texts_again(record: dict[str, Any], tmp_path: Path) -> None:
    source = tmp_path / "letter.txt"
    source.write_text(LETTER, encoding="utf-8")
    texts = tmp_path / "texts"
    texts.mkdir()
    (texts / "good.txt").write_text(LETTER, encoding="utf-8")
    (texts / "stale.txt").write_text(LETTER + "edited", encoding="utf-8")
    bare = {k: v for k, v in record.items() if k != "text"}
    lines = [{**bare, "id": "good", "source": str(source)}, {**bare, "id": "stale", "source": str(source)}]
    annotations = tmp_path / "annotations.jsonl"
    annotations.write_text("".join(json.dumps(x) + "\n" for x in lines), encoding="utf-8")
    runner = CliRunner()
    result = runner.invoke(app, ["export", str(annotations), "-f", "doccano", "-o", str(tmp_path / "a.jsonl")])
    assert result.exit_code == 0 and "exported 2 documents" in result.stderr
    result = runner.invoke(
        app, ["export", str(annotations), "-f", "doccano", "-o", str(tmp_path / "b.jsonl"), "--texts", str(texts)]
    )
    assert result.exit_code == 1
    assert "skipped stale" in result.stderr and "does not match the record's sha1" in result.stderr
    assert "edited" not in result.stderr and "chiropractic" not in result.stderr.lower()
    assert [json.loads(x)["doc_id"] for x in (tmp_path / "b.jsonl").read_text().splitlines()] == ["good"]


def test_gold_and_records_are_both_accepted(record: dict[str, Any]) -> None:
    gold = from_gold(
        {"id": "g", "text": LETTER, "spans": [{"start": 0, "end": 4, "label": "EVIDENCE"}], "decisions": []}
    )
    assert [s.attrs for s in tool_view(gold).spans] == [dict.fromkeys(FLAGS, False)]
    assert from_record(record, LETTER).meta["sections"] == record["sections"]
