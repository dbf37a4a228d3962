"""Deterministic output: the same letters give byte-identical canonical JSON and ``imr annotate`` JSONL.

Runs compare within one process (a second, freshly assembled pipeline; the letters in reverse order, so
no state leaks from one document into the next) and across processes with different ``PYTHONHASHSEED``
(set and dict order of strings). Subprocesses print SHA-256 digests only, never annotations.

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
from conftest import LETTERS, ROOT, assemble
from spacy.language import Language
from test_properties import safe_call
from test_roundtrip import Opaque, canonical_json, differing, letter_texts

DIGESTS_SCRIPT = """
import hashlib, sys
sys.path.insert(0, "tests")
from conftest import assemble
from test_roundtrip import canonical_json, letter_texts
nlp = assemble()
for doc in nlp.pipe(letter_texts()):
    print(hashlib.sha256(canonical_json(doc).encode("utf-8")).hexdigest())
"""


@pytest.fixture(scope="module")
def first_run(nlp: Language) -> Opaque:
    return Opaque(safe_call(lambda: [canonical_json(d) for d in nlp.pipe(letter_texts())]))


def test_fresh_pipeline_same_bytes(first_run: Opaque) -> None:
    other = assemble()
    second = safe_call(lambda: [canonical_json(d) for d in other.pipe(letter_texts())])
    bad = differing(second, first_run)
    assert not bad, f"a second pipeline annotates letters {bad} differently"


def test_reverse_order_same_bytes(nlp: Language, first_run: Opaque) -> None:
    texts = list(reversed(letter_texts()))
    second = safe_call(lambda: [canonical_json(d) for d in nlp.pipe(texts)])[::-1]
    bad = differing(second, first_run)
    assert not bad, f"letters {bad} come out differently when the batch order changes"


def _digests(seed: str) -> list[str]:
    env = {**os.environ, "PYTHONHASHSEED": seed}
    proc = subprocess.run(
        [sys.executable, "-c", DIGESTS_SCRIPT], cwd=ROOT, env=env, capture_output=True, text=True, timeout=900
    )
    assert proc.returncode == 0, f"digest run failed with exit code {proc.returncode}"
    return proc.stdout.split()


def test_processes_with_other_hash_seeds(first_run: Opaque) -> None:
    expected = [hashlib.sha256(c.encode("utf-8")).hexdigest() for c in first_run]
    for seed in ("1", "2"):
        got = _digests(seed)
        bad = differing(got, expected)
        assert not bad, f"PYTHONHASHSEED={seed}: letters {bad} differ"


def _annotate(inputs: Path, model: Path, out: Path, seed: str) -> bytes:
    imr = Path(sys.executable).with_name("imr")
    env = {**os.environ, "PYTHONHASHSEED": seed}
    cmd = [str(imr), "annotate", str(inputs), "-o", str(out), "--model", str(model), "--no-progress"]
    proc = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=900)
    assert proc.returncode == 0, f"imr annotate exited {proc.returncode}"
    return out.read_bytes()


def test_imr_annotate_twice_same_bytes(nlp: Language, tmp_path: Path) -> None:
    """Two ``imr annotate`` runs (other hash seeds) over a dozen letters write byte-identical JSONL."""
    nlp.to_disk(tmp_path / "model")
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
