"""Deterministic output: the same letters give byte-identical canonical JSON and ``imr annotate`` JSONL.

Runs compare within one process (a second, freshly assembled pipeline; the letters in reverse order, so
no state leaks from one document into the next) and across processes with different ``PYTHONHASHSEED``
(set and dict order of strings). Subprocesses print SHA-256 digests only, never annotations. Every run
assembles from one snapshot of ``configs/pipeline.cfg`` and ``patterns/``, so edits to the working tree
during the test cannot pass for nondeterminism.

PYTEST_DONT_REWRITE: messages name letter indices, never text.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import spacy
from conftest import LETTERS, ROOT
from spacy.language import Language
from test_properties import safe_call
from test_roundtrip import Opaque, canonical_json, differing, letter_texts

DIGESTS_SCRIPT = """
import hashlib, sys
from pathlib import Path
sys.path.insert(0, "tests")
from test_determinism import build
from test_roundtrip import canonical_json, letter_texts
nlp = build(Path(sys.argv[1]))
for doc in nlp.pipe(letter_texts()):
    print(hashlib.sha256(canonical_json(doc).encode("utf-8")).hexdigest())
"""


def build(snapshot: Path) -> Language:
    """The pipeline assembled from a snapshot folder (``pipeline.cfg`` and ``patterns/``)."""
    config = spacy.util.load_config(snapshot / "pipeline.cfg", overrides={"paths.patterns": str(snapshot / "patterns")})
    nlp = spacy.util.load_model_from_config(config, auto_fill=True)
    nlp.initialize()
    return nlp


@pytest.fixture(scope="module")
def snapshot(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("snapshot")
    shutil.copytree(ROOT / "patterns", folder / "patterns")
    shutil.copy(ROOT / "configs" / "pipeline.cfg", folder / "pipeline.cfg")
    return folder


@pytest.fixture(scope="module")
def pipeline(snapshot: Path) -> Language:
    return build(snapshot)


@pytest.fixture(scope="module")
def first_run(pipeline: Language) -> Opaque:
    return Opaque(safe_call(lambda: [canonical_json(d) for d in pipeline.pipe(letter_texts())]))


def test_fresh_pipeline_same_bytes(snapshot: Path, first_run: Opaque) -> None:
    other = build(snapshot)
    second = safe_call(lambda: [canonical_json(d) for d in other.pipe(letter_texts())])
    bad = differing(second, first_run)
    assert not bad, f"a second pipeline annotates letters {bad} differently"


def test_reverse_order_same_bytes(pipeline: Language, first_run: Opaque) -> None:
    texts = list(reversed(letter_texts()))
    second = safe_call(lambda: [canonical_json(d) for d in pipeline.pipe(texts)])[::-1]
    bad = differing(second, first_run)
    assert not bad, f"letters {bad} come out differently when the batch order changes"


def _digests(snapshot: Path, seed: str) -> list[str]:
    env = {**os.environ, "PYTHONHASHSEED": seed}
    cmd = [sys.executable, "-c", DIGESTS_SCRIPT, str(snapshot)]
    proc = subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, text=True, timeout=900)
    assert proc.returncode == 0, f"digest run failed with exit code {proc.returncode}"
    return proc.stdout.split()


def test_processes_with_other_hash_seeds(snapshot: Path, first_run: Opaque) -> None:
    expected = [hashlib.sha256(c.encode("utf-8")).hexdigest() for c in first_run]
    for seed in ("1", "2"):
        got = _digests(snapshot, seed)
        bad = differing(got, expected)
        assert not bad, f"PYTHONHASHSEED={seed}: letters {bad} differ"


def _annotate(inputs: Path, model: Path, out: Path, seed: str) -> bytes:
    imr = Path(sys.executable).with_name("imr")
    env = {**os.environ, "PYTHONHASHSEED": seed}
    cmd = [str(imr), "annotate", str(inputs), "-o", str(out), "--model", str(model), "--no-progress"]
    proc = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=900)
    assert proc.returncode == 0, f"imr annotate exited {proc.returncode}"
    return out.read_bytes()


def test_imr_annotate_twice_same_bytes(pipeline: Language, tmp_path: Path) -> None:
    """Two ``imr annotate`` runs (other hash seeds) over a dozen letters write byte-identical JSONL."""
    pipeline.to_disk(tmp_path / "model")
    inputs = tmp_path / "letters"
    inputs.mkdir()
    for pdf in sorted(LETTERS.glob("*.pdf"))[:12]:
        shutil.copy(pdf, inputs / pdf.name)
    one = _annotate(inputs, tmp_path / "model", tmp_path / "one.jsonl", "1")
    two = _annotate(inputs, tmp_path / "model", tmp_path / "two.jsonl", "2")
    assert len(one.splitlines()) == 12, "imr annotate did not write one record per letter"
    if one != two:
        lines = list(zip(one.splitlines(), two.splitlines(), strict=False))
        bad = [i for i, (a, b) in enumerate(lines) if a != b]
        keys = sorted({k for i in bad[:3] for k in _differing_keys(lines[i][0], lines[i][1])})
        raise AssertionError(f"imr annotate output differs on records {bad}, keys {keys}")


def _differing_keys(a: bytes, b: bytes) -> list[str]:
    """Top-level keys whose values differ between two JSON records (names only)."""
    x, y = json.loads(a), json.loads(b)
    return [k for k in sorted(set(x) | set(y)) if x.get(k) != y.get(k)]
