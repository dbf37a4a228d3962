"""The two wheels install into a fresh virtual environment and work there (slow: builds and installs).

Builds the ``imr-spacy`` wheel from a copy of the source (so no ``build/`` or egg-info lands in the work
tree) and the ``en_imr_pipeline`` wheel (``spacy assemble`` + ``spacy package --build wheel``, as the
Makefile does), installs both into a new venv (dependencies from PyPI through pip's cache), then, in that
venv and outside the work tree: ``spacy.load("en_imr_pipeline")`` annotates a real letter, and
``imr --help`` works. Reports counts only.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import imr_spacy
import pytest
from conftest import LETTERS, ROOT

pytestmark = pytest.mark.slow

CHECK = """
import json, sys
import spacy
import imr_spacy
nlp = spacy.load("en_imr_pipeline")
with open(sys.argv[1], encoding="utf-8") as fh:
    doc = nlp(fh.read())
print(json.dumps({
    "ents": len(doc.ents),
    "labels": sorted({e.label_ for e in doc.ents}),
    "decisions": len(doc._.decisions),
    "sections": len(doc._.section_bounds or []),
    "pipes": nlp.pipe_names,
    "imr_spacy": imr_spacy.__file__,
    "model": nlp.meta["name"],
}))
"""

READ_PDF = """
import sys
from imr_spacy.pdf_reader import DocumentError, read_pdf
failed = []
for path in sys.argv[1:]:
    try:
        read_pdf(path)
    except DocumentError as exc:
        failed.append(exc.reason)
print(len(failed), sorted(set(failed)))
"""


def run(cmd: list[str | Path], cwd: Path, timeout: float = 600) -> subprocess.CompletedProcess[str]:
    """Run ``cmd``; on failure raise with the last lines of its output (build logs hold no document text)."""
    proc = subprocess.run([str(c) for c in cmd], cwd=cwd, capture_output=True, text=True, timeout=timeout)
    if proc.returncode != 0:
        tail = "\n".join((proc.stdout + proc.stderr).strip().splitlines()[-15:])
        raise AssertionError(f"{Path(str(cmd[0])).name} {cmd[1:4]} exited {proc.returncode}:\n{tail}")
    return proc


def copy_source(dest: Path) -> Path:
    """The files ``pip wheel`` needs, without caches, egg-info or build folders."""
    dest.mkdir()
    ignore = shutil.ignore_patterns("__pycache__", "*.egg-info", "*.pyc")
    shutil.copytree(ROOT / "pipeline", dest / "pipeline", ignore=ignore)
    for name in ("setup.cfg", "pyproject.toml", "README.md", "MANIFEST.in", "LICENSE"):
        if (ROOT / name).exists():
            shutil.copy(ROOT / name, dest / name)
    return dest


@pytest.fixture(scope="module")
def venv(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A fresh venv with both wheels installed."""
    tmp = tmp_path_factory.mktemp("wheels")
    py = sys.executable
    dist = tmp / "dist"
    src = copy_source(tmp / "src")
    run([py, "-m", "pip", "wheel", "--no-deps", "--disable-pip-version-check", "-w", dist, src], tmp)
    (code_wheel,) = dist.glob("imr_spacy-*.whl")

    model = tmp / "model"
    run([py, "-m", "spacy", "assemble", ROOT / "configs" / "pipeline.cfg", model, "--paths.patterns", "patterns"], ROOT)
    packages = tmp / "packages"
    packages.mkdir()
    package = [py, "-m", "spacy", "package", model, packages, "--name", "imr_pipeline"]
    package += ["--version", imr_spacy.__version__, "--build", "wheel", "--force"]
    if (ROOT / "configs" / "meta.json").exists():
        package += ["--meta-path", ROOT / "configs" / "meta.json"]
    run(package, tmp)
    (model_wheel,) = packages.glob("*/dist/en_imr_pipeline-*.whl")

    venv = tmp / "venv"
    run([py, "-m", "venv", "--without-pip", venv], tmp)
    install = [py, "-m", "pip", "--python", venv / "bin" / "python", "install", "--no-compile"]
    run([*install, "--disable-pip-version-check", code_wheel, model_wheel], tmp, timeout=900)
    return venv


def test_installed_pipeline_annotates_a_letter(venv: Path) -> None:
    letter = sorted(LETTERS.glob("*.txt"))[0]
    result = json.loads(run([venv / "bin" / "python", "-c", CHECK, letter], venv).stdout.strip().splitlines()[-1])
    assert Path(result["imr_spacy"]).resolve().is_relative_to(venv.resolve()), "imr_spacy not from the venv"
    assert result["model"] == "imr_pipeline"
    assert result["ents"] > 0, "the installed pipeline found no entities in a letter"
    assert result["sections"] > 0, "the installed pipeline found no sections in a letter"


def test_installed_reader_reads_the_pdf_letters(venv: Path) -> None:
    """The letters are AES-encrypted (empty password): pypdf needs ``cryptography`` for them."""
    pdfs = sorted(LETTERS.glob("*.pdf"))[:5]
    out = run([venv / "bin" / "python", "-c", READ_PDF, *pdfs], venv).stdout.strip()
    assert out.startswith("0 "), f"unreadable letters in the installed venv: {out}"


def test_installed_imr_cli(venv: Path) -> None:
    help_text = run([venv / "bin" / "imr", "--help"], venv).stdout
    assert "annotate" in help_text
