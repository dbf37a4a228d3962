"""Shared fixtures: the pipeline assembled from the working tree's config and patterns."""

from __future__ import annotations

from pathlib import Path

import pytest
import spacy
from spacy.language import Language

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared"
LETTERS = ROOT / "examples" / "letters"
SEED_TEXT = LETTERS / "000_0a0da20b1dcb1a45.txt"


def assemble() -> Language:
    """The pipeline as ``spacy assemble configs/pipeline.cfg`` builds it."""
    config = spacy.util.load_config(
        ROOT / "configs" / "pipeline.cfg", overrides={"paths.patterns": str(ROOT / "patterns")}
    )
    nlp = spacy.util.load_model_from_config(config, auto_fill=True)
    nlp.initialize()
    return nlp


@pytest.fixture(scope="session")
def nlp() -> Language:
    return assemble()


@pytest.fixture(scope="session")
def model_dir(nlp: Language, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The working-tree pipeline on disk, for ``--model`` and worker processes."""
    path = tmp_path_factory.mktemp("model") / "imr_model"
    nlp.to_disk(path)
    return path


@pytest.fixture(scope="session")
def seed_text() -> str:
    return SEED_TEXT.read_text(encoding="utf-8")
