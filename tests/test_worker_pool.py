"""Worker processes of ``imr annotate -n N``: forked only when safe, order kept, a dead worker costs its chunk."""

from __future__ import annotations

import json
import subprocess
import sys
import threading
from pathlib import Path

from imr_spacy.batch import BatchOptions, annotate_chunk, encode_results
from imr_spacy.inputs import Document
from imr_spacy.records import pipeline_info
from imr_spacy.worker_pool import WorkerPool, annotate_items, can_fork
from spacy.language import Language

SENTENCES = [
    "Physical therapy x 12 is not medically necessary.",
    "The patient denies numbness in the left hand.",
    "Lumbar MRI dated 03/14/2016 showed a disc protrusion.",
    "Acupuncture x 6 visits: Upheld.",
    "No therapy reports were provided for review.",
    "Ibuprofen 800 mg #60 was requested on 10-13-16.",
]


def _documents(texts: list[str]) -> list[Document]:
    return [Document(f"d{i}", f"d{i}.txt", text) for i, text in enumerate(texts)]


def test_fork_is_refused_while_another_thread_runs() -> None:
    release = threading.Event()
    thread = threading.Thread(target=release.wait)
    thread.start()
    try:
        assert not can_fork()
    finally:
        release.set()
        thread.join()


def test_two_workers_give_the_records_of_one_process_in_order(nlp: Language, model_dir: Path) -> None:
    items = _documents(SENTENCES * 3)
    options = BatchOptions(model=str(model_dir), include_text=False, batch_size=2, n_process=2)
    expected = encode_results(
        annotate_chunk(nlp, items, max_bytes=options.max_bytes, include_text=False, pipeline=pipeline_info(nlp))
    )
    forkable = can_fork()
    with WorkerPool(options, nlp) as pool:
        assert pool.forked is forkable
        got = [result for chunk in annotate_items(items, options, pool=pool) for result in chunk]
    assert got == expected
    assert [json.loads(line)["id"] for _, line, _ in got] == [item.id for item in items]
    assert all(kind == "record" and counts["entities"] for kind, _, counts in got)


def test_spawned_workers_load_the_model_themselves(model_dir: Path) -> None:
    options = BatchOptions(model=str(model_dir), include_text=False, batch_size=2, n_process=2)
    with WorkerPool(options) as pool:
        assert not pool.forked
        got = [
            r for chunk in pool.annotate(iter([_documents(SENTENCES[:2]), _documents(SENTENCES[2:4])])) for r in chunk
        ]
    assert [kind for kind, _, _ in got] == ["record"] * 4


KILLER_SCRIPT = """
import json, os, sys, time
import spacy
from spacy.language import Language


@Language.component("imr_test_die")
def die(doc):
    if "DIE" in doc.text:
        os._exit(3)  # a worker killed mid-chunk (segfault, OOM killer)
    if "SLOW" in doc.text:
        time.sleep(1)  # still running on the other worker when the pool breaks
    return doc


def main(model, texts_json, out_dir):
    from imr_spacy.batch import BatchOptions
    from imr_spacy.inputs import Document
    from imr_spacy.worker_pool import annotate_items, can_fork

    texts = json.loads(texts_json)
    items = [Document(f"d{i}", f"d{i}.txt", t) for i, t in enumerate(texts)]
    killer = spacy.blank("en")
    killer.add_pipe("imr_test_die")
    killer.meta["name"] = "killer"
    if model == "killer":  # the replacement pool's workers die on it too
        model = os.path.join(out_dir, "killer")
        killer.to_disk(model)
    options = BatchOptions(model=model, include_text=False, batch_size=2, n_process=2)
    forked = can_fork()
    lines = [(kind, json.loads(line)) for chunk in annotate_items(items, options, killer) for kind, line, _ in chunk]
    print(json.dumps({"forked": forked, "lines": lines}))


if __name__ == "__main__":  # spawned workers import this file again, for the component only
    main(*sys.argv[1:])
"""
TEXTS = [SENTENCES[0], "A SLOW one.", "This one will DIE here.", "Its chunk mate.", *SENTENCES[1:]]


def _killer_run(model: str, tmp_path: Path) -> list[tuple[str, dict[str, str]]]:
    """``annotate_items`` on ``TEXTS`` with forked workers that die on "DIE" and a pool from ``model``.

    In a fresh interpreter, so that no thread of the test session stops the fork.
    """
    script = tmp_path / "killer_run.py"
    script.write_text(KILLER_SCRIPT, encoding="utf-8")
    proc = subprocess.run(
        [sys.executable, str(script), model, json.dumps(TEXTS), str(tmp_path)],
        capture_output=True,
        text=True,
        timeout=300,
        check=True,
    )
    out = json.loads(proc.stdout)
    assert out["forked"] is sys.platform.startswith("linux")
    lines = out["lines"]
    assert [p["id"] for _, p in lines] == [f"d{i}" for i in range(len(TEXTS))]
    return lines


def test_a_chunk_that_kills_its_worker_again_costs_only_that_chunk(tmp_path: Path) -> None:
    """The chunk in flight beside the deadly one fails with it, runs again alone and is kept."""
    lines = _killer_run("killer", tmp_path)
    dead = [p for kind, p in lines if kind == "error"]
    assert [p["id"] for p in dead] == ["d2", "d3"]
    assert {p["stage"] for p in dead} == {"worker"}
    assert all("DIE" not in p["reason"] for p in dead)
    assert [kind for kind, _ in lines[:2] + lines[4:]] == ["record"] * (len(TEXTS) - 2)


def test_a_worker_killed_once_costs_nothing(model_dir: Path, tmp_path: Path) -> None:
    """Forked workers die on "DIE"; the spawned pool that replaces them loads ``model_dir`` and
    annotates every chunk the break failed, the deadly one included."""
    lines = _killer_run(str(model_dir), tmp_path)
    assert [kind for kind, _ in lines] == ["record"] * len(TEXTS)
    by_replacement = {p["id"] for _, p in lines if p["pipeline"]["name"] != "en_killer"}
    assert {"d2", "d3"} <= by_replacement
