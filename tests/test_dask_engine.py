"""``imr annotate --engine dask``: the same lines as the local engine, resume, errors, usage errors.

One LocalCluster (2 single-threaded worker processes on 127.0.0.1) serves the whole module; the
CLI reaches it with ``--scheduler``. The no-``--scheduler`` path (a LocalCluster of its own) runs
once, on the error case.
"""

from __future__ import annotations

import json
import operator
import os
import threading
from collections.abc import Iterator
from pathlib import Path

import click
import pytest
from distributed import Client, LocalCluster
from imr_spacy import dask_engine
from imr_spacy.batch import JsonlWriter, Stats
from imr_spacy.cli import app
from imr_spacy.dask_engine import Job, Partition, annotate_partition, task_key
from imr_spacy.inputs import Document, FileInput
from imr_spacy.records import pipeline_info
from spacy.language import Language
from typer.testing import CliRunner

ROOT = Path(__file__).resolve().parents[1]
LETTERS = ROOT / "examples" / "letters"
BAD = ROOT / "tests" / "data" / "bad"
MARKER = "Quillonby Vantreschke"


def run(*args: object) -> click.testing.Result:
    return CliRunner().invoke(app, [str(a) for a in args])


def said(result: click.testing.Result) -> str:
    """stderr with rich's line wrapping undone."""
    return " ".join(result.stderr.split())


@pytest.fixture(scope="module")
def scheduler() -> Iterator[str]:
    """The address of a LocalCluster with 2 worker processes, one thread each, on loopback."""
    with (
        LocalCluster(
            n_workers=2,
            threads_per_worker=1,
            processes=True,
            host="127.0.0.1",
            dashboard_address=None,
            scheduler_kwargs={"dashboard_address": "127.0.0.1:0"},
        ) as cluster,
        Client(cluster, set_as_default=False) as client,
    ):
        yield client.scheduler_info()["address"]


@pytest.fixture(scope="module")
def local_run(model_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> dict[str, bytes]:
    """The default engine over the 72 real letters and the seed: OUT's bytes and its lines by id."""
    out = tmp_path_factory.mktemp("local") / "out.jsonl"
    result = run("annotate", LETTERS, "-o", out, "--model", model_dir, "--no-progress")
    assert result.exit_code == 0, result.stderr[-2000:]
    return {"out": out.read_bytes(), "errors": out.with_name("out.errors.jsonl").read_bytes()}


def lines_by_id(data: bytes) -> dict[str, bytes]:
    return {json.loads(line)["id"]: line for line in data.splitlines(keepends=True)}


def test_dask_engine_writes_the_local_runs_lines_in_the_same_order(
    local_run: dict[str, bytes], model_dir: Path, scheduler: str, tmp_path: Path
) -> None:
    out = tmp_path / "out.jsonl"
    args = ("annotate", LETTERS, "-o", out, "--model", model_dir, "--no-progress")
    result = run(*args, "--engine", "dask", "--scheduler", scheduler, "--partition-size", "8")
    assert result.exit_code == 0, result.stderr[-2000:]
    assert out.read_bytes().count(b"\n") == 73
    assert out.read_bytes() == local_run["out"]
    assert (tmp_path / "out.errors.jsonl").read_bytes() == local_run["errors"] == b""
    assert "dask: 10 partitions on 2 workers (2 threads)" in result.stderr
    assert "documents: 73 annotated" in result.stderr and result.stdout == ""
    assert not (tmp_path / "out.parts").exists()
    assert oct(out.stat().st_mode & 0o777) == "0o600"


def test_interrupted_run_resumed_reuses_partition_files_and_ends_with_the_same_lines(
    local_run: dict[str, bytes], model_dir: Path, scheduler: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    letters = [LETTERS / "000_0a0da20b1dcb1a45.txt", *sorted(LETTERS.glob("*.pdf"))[:11]]
    reference = lines_by_id(local_run["out"])
    expected = b"".join(reference[p.stem] for p in letters)
    out = tmp_path / "out.jsonl"
    args = ("annotate", *letters, "-o", out, "--model", model_dir, "--no-progress")
    dask = ("--engine", "dask", "--scheduler", scheduler, "--partition-size", "2")

    merge = dask_engine._Runner._merge
    calls = {"n": 0}

    def merge_then_die(self: dask_engine._Runner, done: dask_engine._Done) -> None:
        calls["n"] += 1
        if calls["n"] == 2:  # partition 1 is finished (its file written) but not merged
            raise KeyboardInterrupt
        merge(self, done)

    monkeypatch.setattr(dask_engine._Runner, "_merge", merge_then_die)
    first = run(*args, *dask)
    monkeypatch.setattr(dask_engine._Runner, "_merge", merge)
    assert first.exit_code == 130  # Ctrl-C: the partition files stay for --resume
    kept = out.read_bytes()
    assert kept.count(b"\n") == 2 and expected.startswith(kept)
    parts = sorted(p.name for p in (tmp_path / "out.parts").iterdir())
    assert any(name.startswith("part-000001-") and name.endswith(".jsonl.part") for name in parts)
    with out.open("ab") as fh:  # and a line torn by a kill
        fh.write(b'{"format": "imr-annotation/1", "id": "CM16-02')

    second = run(*args, *dask, "--resume")
    assert second.exit_code == 0, second.stderr[-2000:]
    assert "resume: 2 records kept" in second.stderr and "torn last line cut off" in second.stderr
    assert int(said(second).split("reused partition files: ")[1].split()[0]) >= 1
    assert "skipped (--resume): 2" in second.stderr
    assert out.read_bytes() == expected
    assert not (tmp_path / "out.parts").exists()


def test_bad_files_become_the_same_error_lines_and_exit_1(
    model_dir: Path, tmp_path: Path, capfd: pytest.CaptureFixture[str]
) -> None:
    folder = tmp_path / "in"
    folder.mkdir()
    for src in [*sorted(LETTERS.glob("*.pdf"))[:2], BAD / "corrupt.pdf", BAD / "empty.txt", BAD / "bad_lines.jsonl"]:
        os.symlink(src, folder / src.name)
    (folder / "named.txt").write_bytes(f"Patient {MARKER} \xe9 knee".encode("latin-1"))
    (folder / "x_more.jsonl").write_text(f'{{"id": "j1", "text": "{MARKER} denied"}}\n{{"id": 5', encoding="utf-8")
    local, dask = tmp_path / "local.jsonl", tmp_path / "dask.jsonl"
    first = run("annotate", folder, "-o", local, "--model", model_dir, "--no-progress")
    # no --scheduler: the engine starts (and stops) a LocalCluster of its own
    second = run(
        *("annotate", folder, "-o", dask, "--model", model_dir, "--no-progress"),
        *("--engine", "dask", "--workers", "1", "--partition-size", "2"),
    )
    assert first.exit_code == second.exit_code == 1, second.stderr[-2000:]
    assert dask.read_bytes() == local.read_bytes()
    assert (tmp_path / "dask.errors.jsonl").read_bytes() == (tmp_path / "local.errors.jsonl").read_bytes()
    errors = lines_by_id((tmp_path / "dask.errors.jsonl").read_bytes())
    assert list(errors) == ["bad_lines:2", "jsonl-no-text", "corrupt", "empty", "named", "x_more:2"]
    assert f"invalid UTF-8 at byte {len(f'Patient {MARKER} ')}".encode() in errors["named"]
    captured = capfd.readouterr()  # what the worker processes and dask's loggers wrote
    error_file = (tmp_path / "dask.errors.jsonl").read_text(encoding="utf-8")
    for blob in (second.stdout, second.stderr, captured.out, captured.err, error_file):
        assert MARKER not in blob
    assert "dask: " in second.stderr and "on 1 workers (1 threads) at tcp://127.0.0.1:" in second.stderr
    assert "errors: 6 ->" in second.stderr


def test_usage_errors_exit_2_and_leave_the_output_alone(
    model_dir: Path, scheduler: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    seed = LETTERS / "000_0a0da20b1dcb1a45.txt"
    out = tmp_path / "out.jsonl"
    out.write_bytes(b'{"id": "kept"}\n')
    base = ("annotate", seed, "-o", out)
    assert run(*base, "--model", model_dir, "--scheduler", scheduler).exit_code == 2
    assert run(*base, "--model", model_dir, "--workers", "2").exit_code == 2
    assert run(*base, "--model", model_dir, "--engine", "dask", "-n", "2").exit_code == 2
    both = run(*base, "--model", model_dir, "--engine", "dask", "--scheduler", scheduler, "--workers", "2")
    assert both.exit_code == 2 and "leave it out with --scheduler" in said(both)
    missing = run(*base, "--model", tmp_path / "no_model", "--engine", "dask", "--scheduler", scheduler)
    assert missing.exit_code == 2 and "cannot load model" in said(missing) and "on the workers: [E050]" in said(missing)
    monkeypatch.setattr(dask_engine, "CONNECT_TIMEOUT", "1s")
    nobody = run(*base, "--model", model_dir, "--engine", "dask", "--scheduler", "tcp://127.0.0.1:9")
    assert nobody.exit_code == 2 and "cannot connect to scheduler tcp://127.0.0.1:9" in said(nobody)
    assert out.read_bytes() == b'{"id": "kept"}\n'


def test_a_failing_task_returns_a_reason_without_text_and_keys_name_no_document(
    nlp: Language, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(dask_engine._MODELS, ("in-process", 1000), (nlp, pipeline_info(nlp), threading.Lock()))
    partition = Partition(3, (0, 1), (Document("j1", "a.jsonl:1", f"{MARKER} knee"), FileInput("x", "x.txt", "txt")))
    assert MARKER not in repr(partition) and repr(partition) == "Partition(number=3, documents=2)"
    job = Job("in-process", 1000, True, 8, str(tmp_path / "absent"), str(tmp_path), "run1", "fp")
    assert annotate_partition(job, partition) == {
        "status": "failed",
        "reason": "worker process failed (FileNotFoundError)",
    }
    assert task_key("run1", 3) == "imr-annotate-run1-000003"


def test_a_failed_task_turns_its_partition_into_worker_errors(scheduler: str, tmp_path: Path) -> None:
    stats = Stats()
    with (
        Client(scheduler, set_as_default=False) as client,
        JsonlWriter(tmp_path / "out.jsonl") as out,
        JsonlWriter(tmp_path / "err.jsonl") as err,
    ):
        job = Job("unused", 1000, True, 8, str(tmp_path), str(tmp_path), "run2", "fp")
        runner = dask_engine._Runner(client, job, {}, out, err, stats, dask_engine.Report(), None)
        slot = dask_engine.Slot(0, (0, 1), (("a", "a.pdf"), ("b", "b.txt")))
        runner._finish(client.submit(operator.truediv, 1, 0, key=task_key("run2", 0)), slot)
        runner._merge(runner.ready.pop(0))
    reason = "worker process failed (ZeroDivisionError)"
    assert (tmp_path / "err.jsonl").read_text(encoding="utf-8").splitlines() == [
        json.dumps({"id": "a", "source": "a.pdf", "reason": reason, "stage": "worker"}),
        json.dumps({"id": "b", "source": "b.txt", "reason": reason, "stage": "worker"}),
    ]
    assert (tmp_path / "out.jsonl").read_bytes() == b"" and stats.errors == 2 and runner.report.failed == 1
