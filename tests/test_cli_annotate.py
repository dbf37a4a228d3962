"""``imr annotate``: records, errors, exit codes, resume after SIGKILL, workers, schema, help, PHI."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from importlib import resources
from pathlib import Path
from typing import Any

import click
import jsonschema
import pytest
import spacy
import typer
from imr_spacy.batch import BatchOptions, annotate_chunk, resume_ids
from imr_spacy.cli import app
from imr_spacy.inputs import Document, InputError
from imr_spacy.records import pipeline_info
from imr_spacy.worker_pool import annotate_items
from spacy.language import Language
from typer.testing import CliRunner

ROOT = Path(__file__).resolve().parents[1]
LETTERS = ROOT / "examples" / "letters"
BAD = ROOT / "tests" / "data" / "bad"
PDFS = sorted(LETTERS.glob("*.pdf"))
ALL_LETTER_IDS = sorted(p.stem for p in LETTERS.iterdir() if p.suffix in (".pdf", ".txt"))
#: The bad files that are valid documents (tests/data/bad/README.md).
VALID_IN_BAD = {"utf16_bom", "jsonl-ok"}
ERRORS_IN_BAD = {
    "empty",
    "whitespace_only",
    "binary",
    "invalid_utf8",
    "corrupt",
    "encrypted",
    "image_only",
    "bad_lines:2",
    "jsonl-no-text",
}


def schema(name: str) -> jsonschema.Draft202012Validator:
    text = resources.files("imr_spacy").joinpath("schemas", name).read_text(encoding="utf-8")
    return jsonschema.Draft202012Validator(json.loads(text))


def read_jsonl(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def run(*args: str) -> click.testing.Result:
    return CliRunner().invoke(app, [str(a) for a in args])


@pytest.fixture(scope="module")
def mixed_run(model_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """``imr annotate`` over the 72 real PDFs, the bad set, a 50 MB file and a symlink loop."""
    folder = tmp_path_factory.mktemp("mixed") / "inputs"
    (folder / "real").mkdir(parents=True)
    for pdf in PDFS:
        os.symlink(pdf, folder / "real" / pdf.name)
    shutil.copytree(BAD, folder / "bad", ignore=shutil.ignore_patterns("*.md"))
    with (folder / "bad" / "huge.txt").open("wb") as fh:
        fh.truncate(50 * 1024 * 1024)
    os.symlink("..", folder / "bad" / "loop")
    out, err = folder.parent / "out.jsonl", folder.parent / "errors.jsonl"
    result = run("annotate", folder, "-o", out, "--errors", err, "--model", model_dir, "--batch-size", "16")
    return {"result": result, "records": read_jsonl(out), "errors": read_jsonl(err), "out": out}


def test_mixed_folder_gives_a_record_per_good_document_and_an_error_per_bad_one(mixed_run: dict[str, Any]) -> None:
    assert mixed_run["result"].exit_code == 1
    ids = [r["id"] for r in mixed_run["records"]]
    assert len(PDFS) == 72
    assert sorted(ids) == sorted([p.stem for p in PDFS] + list(VALID_IN_BAD))
    errors = {e["id"]: e for e in mixed_run["errors"]}
    assert len(errors) == len(mixed_run["errors"])
    assert set(errors) == ERRORS_IN_BAD | {"huge", "bad/loop"}
    assert errors["huge"]["reason"] == "file too large (52428800 bytes; limit 20971520)"
    assert errors["bad/loop"]["reason"] == "directory symlink loop"
    assert errors["encrypted"]["reason"] == "encrypted PDF"
    assert errors["image_only"]["reason"] == "PDF has no text layer"
    assert all(e["stage"] == "read" for e in errors.values())


def test_output_lines_follow_the_json_schemas(mixed_run: dict[str, Any]) -> None:
    records, errors = schema("annotation.schema.json"), schema("error.schema.json")
    for rec in mixed_run["records"]:
        problems = [e.message for e in records.iter_errors(rec)]
        assert not problems, (rec["id"], problems[:3])
        assert rec["text_length"] == len(rec["text"])
    for line in mixed_run["errors"]:
        assert not list(errors.iter_errors(line))


def test_records_keep_offsets_into_the_original_text(mixed_run: dict[str, Any]) -> None:
    for rec in mixed_run["records"]:
        for ent in rec["entities"]:
            assert rec["text"][ent["start"] : ent["end"]] == ent["text"]
        for dec in rec["decisions"]:
            assert 0 <= dec["item"][0] < dec["item"][1] <= rec["text_length"]


def test_summary_reports_documents_errors_outcomes_and_labels(mixed_run: dict[str, Any]) -> None:
    stderr = mixed_run["result"].stderr
    assert "documents: 74 annotated" in stderr
    assert "errors: 11 ->" in stderr
    assert "decisions by outcome" in stderr and "entities by label" in stderr
    labels = {e["label"] for r in mixed_run["records"] for e in r["entities"]}
    for label in labels:
        assert label in stderr
    assert mixed_run["result"].stdout == ""


def test_phi_stays_out_of_messages_and_no_text_records(model_dir: Path, tmp_path: Path) -> None:
    marker = "Zebulon Quartermaine"
    (tmp_path / "in").mkdir()
    (tmp_path / "in" / "letter.txt").write_text(
        f"CLINICAL CASE SUMMARY\nThe patient {marker} reports no numbness on 02/03/2015.\n", encoding="utf-8"
    )
    (tmp_path / "in" / "broken.txt").write_bytes(f"{marker} \xe9".encode("latin-1"))
    (tmp_path / "in" / "lines.jsonl").write_text(f'{{"id": "j1", "text": "{marker}\n', encoding="utf-8")
    out, err = tmp_path / "out.jsonl", tmp_path / "err.jsonl"
    result = run("annotate", tmp_path / "in", "-o", out, "-e", err, "--model", model_dir, "--no-text")
    assert result.exit_code == 1
    for blob in (result.stdout, result.stderr, out.read_text(encoding="utf-8"), err.read_text(encoding="utf-8")):
        assert marker not in blob and "Zebulon" not in blob
    (rec,) = read_jsonl(out)
    assert "text" not in rec and all("text" not in e for e in rec["entities"])
    assert rec["text_length"] > 0 and len(rec["sha1"]) == 40
    assert oct(out.stat().st_mode & 0o777) == "0o600"


def test_exit_codes(model_dir: Path, tmp_path: Path) -> None:
    seed = LETTERS / "000_0a0da20b1dcb1a45.txt"
    out = tmp_path / "out.jsonl"
    assert run("annotate", seed, "-o", out, "--model", model_dir).exit_code == 0
    assert len(read_jsonl(out)) == 1 and read_jsonl(tmp_path / "out.errors.jsonl") == []
    assert run("annotate", seed, BAD / "empty.txt", "-o", out, "--model", model_dir).exit_code == 1
    assert run("annotate", tmp_path / "missing.txt", "-o", out, "--model", model_dir).exit_code == 2
    assert run("annotate", seed, "-o", out, "--model", tmp_path / "no_model").exit_code == 2
    assert run("annotate", seed, "--model", model_dir).exit_code == 2
    assert run("annotate", seed, "-o", out, "-e", out, "--model", model_dir).exit_code == 2
    assert run("annotate", seed, "-o", out, "--n-process", "0", "--model", model_dir).exit_code == 2
    assert run().exit_code == 2


def _letters(tmp_path: Path, n: int) -> Path:
    folder = tmp_path / "letters"
    folder.mkdir()
    for i in range(n):
        (folder / f"l{i:02d}.txt").write_text(
            f"CLINICAL CASE SUMMARY\nLetter {i}. Physical therapy x {i + 6} for the lumbar spine.\n", encoding="utf-8"
        )
    return folder


def test_resume_cuts_a_torn_last_line_and_annotates_each_document_once(model_dir: Path, tmp_path: Path) -> None:
    folder = _letters(tmp_path, 5)
    out = tmp_path / "out.jsonl"
    assert run("annotate", folder, "-o", out, "--model", model_dir).exit_code == 0
    lines = out.read_bytes().splitlines(keepends=True)
    out.write_bytes(b"".join(lines[:2]) + lines[2][: len(lines[2]) // 2])
    result = run("annotate", folder, "-o", out, "--model", model_dir, "--resume")
    assert result.exit_code == 0
    assert "resume: 2 records kept" in result.stderr and "torn last line cut off" in result.stderr
    assert "skipped (--resume): 2" in result.stderr
    ids = [r["id"] for r in read_jsonl(out)]
    assert sorted(ids) == [f"l{i:02d}" for i in range(5)]


def test_resume_ids_stops_at_a_corrupt_line(tmp_path: Path) -> None:
    out = tmp_path / "out.jsonl"
    out.write_bytes(b'{"id": "a"}\n\n{"id": "b"}\n{"id": \x00\x00\n{"id": "c"}\n')
    ids, dropped = resume_ids(out)
    assert ids == {"a", "b"} and dropped == len(b'{"id": \x00\x00\n{"id": "c"}\n')
    assert out.read_bytes() == b'{"id": "a"}\n\n{"id": "b"}\n'
    assert resume_ids(tmp_path / "absent.jsonl") == (set(), 0)


def test_killed_run_resumed_gives_every_document_exactly_once(model_dir: Path, tmp_path: Path) -> None:
    out = tmp_path / "out.jsonl"
    cmd = [sys.executable, "-m", "imr_spacy.cli", "annotate", str(LETTERS), "-o", str(out)]
    cmd += ["--model", str(model_dir), "--batch-size", "1", "--no-progress"]
    log = tmp_path / "first_run.stderr"
    with log.open("w") as stderr:
        proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=stderr)
    deadline = time.monotonic() + 180
    while time.monotonic() < deadline and proc.poll() is None:
        if out.exists() and out.read_bytes().count(b"\n") >= 1:
            break
        time.sleep(0.01)
    if proc.poll() is not None:
        pytest.fail(f"annotate ended ({proc.returncode}) before it could be killed: {log.read_text()[-2000:]}")
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait(timeout=30)
    before = out.read_bytes().count(b"\n")
    assert 1 <= before < len(ALL_LETTER_IDS)
    with out.open("ab") as fh:  # a write torn by the kill
        fh.write(b'{"format": "imr-annotation/1", "id": "CM16-02')
    second = subprocess.run([*cmd, "--resume"], capture_output=True, text=True, timeout=600)
    assert second.returncode == 0, second.stderr[-2000:]
    assert f"resume: {before} records kept" in second.stderr
    ids = [r["id"] for r in read_jsonl(out)]
    assert len(ids) == len(set(ids))
    assert sorted(ids) == ALL_LETTER_IDS


def test_two_worker_processes_give_the_same_records_in_order(model_dir: Path, tmp_path: Path) -> None:
    folder = tmp_path / "in"
    folder.mkdir()
    for src in [*PDFS[:3], LETTERS / "000_0a0da20b1dcb1a45.txt", BAD / "corrupt.pdf"]:
        os.symlink(src, folder / src.name)
    one, two = tmp_path / "one.jsonl", tmp_path / "two.jsonl"
    assert run("annotate", folder, "-o", one, "--model", model_dir, "-b", "2").exit_code == 1
    result = run("annotate", folder, "-o", two, "--model", model_dir, "-b", "2", "--n-process", "2")
    assert result.exit_code == 1
    assert read_jsonl(one) == read_jsonl(two)
    assert [e["id"] for e in read_jsonl(tmp_path / "two.errors.jsonl")] == ["corrupt"]


@Language.component("imr_test_explode")
def _explode(doc: Any) -> Any:
    if "EXPLODE" in doc.text:
        raise RuntimeError(f"cannot handle {doc.text}")
    return doc


def test_a_document_raising_in_the_pipeline_does_not_lose_its_batch() -> None:
    nlp = spacy.blank("en")
    nlp.add_pipe("imr_test_explode")
    items = [
        Document("a", "a.txt", "Knee brace requested."),
        Document("b", "b.txt", "Secret words EXPLODE here."),
        Document("c", "c.txt", "Acupuncture x 6 denied."),
        InputError("d", "d.txt", "empty file"),
    ]
    options = BatchOptions(model="unused", batch_size=4)
    (encoded,) = list(annotate_items(items, options, nlp))
    results = [(kind, json.loads(line)) for kind, line, _counts in encoded]
    kinds = [(kind, p["id"]) for kind, p in results]
    assert kinds == [("record", "a"), ("error", "b"), ("record", "c"), ("error", "d")]
    assert results[1][1] == {
        "id": "b",
        "source": "b.txt",
        "reason": "component 'imr_test_explode' raised RuntimeError",
        "stage": "annotate",
    }
    assert results[0][1]["text"] == "Knee brace requested."
    alone = annotate_chunk(nlp, items[:1], max_bytes=100, include_text=False, pipeline=pipeline_info(nlp))
    assert alone[0][0] == "record" and "text" not in alone[0][1]


def test_every_command_documents_every_argument_and_option() -> None:
    group = typer.main.get_command(app)
    assert set(group.commands) == {"annotate", "export", "import", "show", "evaluate"}
    for name, command in group.commands.items():
        assert command.help and len(command.help) > 20, name
        result = run(name, "--help")
        assert result.exit_code == 0
        for param in command.params:
            assert getattr(param, "help", None), (name, param.name)
            for opt in getattr(param, "opts", []):
                if opt.startswith("-"):
                    assert opt in result.stdout, (name, opt)


def test_console_script_is_installed() -> None:
    imr = Path(sys.executable).parent / "imr"
    result = subprocess.run([str(imr), "--version"], capture_output=True, text=True, timeout=120)
    assert result.returncode == 0 and result.stdout.startswith("imr ")
