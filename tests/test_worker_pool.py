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


KILLER_RUN = """
import json, os, sys
import spacy
from spacy.language import Language
from imr_spacy.batch import BatchOptions
from imr_spacy.inputs import Document
from imr_spacy.worker_pool import annotate_items, can_fork

@Language.component("imr_test_die")
def die(doc):
    if "DIE" in doc.text:
        os._exit(3)  # a worker killed mid-chunk (segfault, OOM killer)
    return doc

texts = json.loads(sys.argv[2])
items = [Document(f"d{i}", f"d{i}.txt", t) for i, t in enumerate(texts)]
killer = spacy.blank("en")
killer.add_pipe("imr_test_die")
options = BatchOptions(model=sys.argv[1], include_text=False, batch_size=2, n_process=2)
forked = can_fork()
lines = [(kind, json.loads(line)) for chunk in annotate_items(items, options, killer) for kind, line, _ in chunk]
print(json.dumps({"forked": forked, "lines": lines}))
"""


def test_a_dead_worker_costs_only_its_chunk_and_the_run_goes_on(model_dir: Path) -> None:
    """Forked workers run a pipeline that kills its process on "DIE"; the spawned pool that
    replaces them loads ``model_dir``, and the chunks in flight on the other worker run again.
    In a fresh interpreter, so that no thread of the test session stops the fork."""
    texts = [*SENTENCES[:2], "This one will DIE here.", "Its chunk mate.", *SENTENCES[2:]]
    proc = subprocess.run(
        [sys.executable, "-c", KILLER_RUN, str(model_dir), json.dumps(texts)],
        capture_output=True,
        text=True,
        timeout=300,
        check=True,
    )
    out = json.loads(proc.stdout)
    assert out["forked"] is sys.platform.startswith("linux")
    lines = out["lines"]
    assert [p["id"] for _, p in lines] == [f"d{i}" for i in range(len(texts))]
    dead = [p for kind, p in lines if kind == "error"]
    assert [p["id"] for p in dead] == ["d2", "d3"]
    assert {p["stage"] for p in dead} == {"worker"}
    assert all("DIE" not in p["reason"] for p in dead)
    assert all(kind == "record" for kind, _ in lines[4:])
