"""No document text in logs, warnings, stdout or stderr: a unique marker put inside letters shows up
in the output file and nowhere else.

Covers ``nlp.pipe`` (one and two processes) with every logger at DEBUG, ``imr annotate`` in-process
(typer's CliRunner) and in a subprocess with DEBUG logging and two workers, including inputs that fail
(bad UTF-8, a malformed JSONL line, an empty JSONL text) whose error records must not quote them.

PYTEST_DONT_REWRITE: on failure the messages name the channel, never the captured text.
"""

from __future__ import annotations

import json
import logging
import subprocess
import sys
import warnings
from collections.abc import Iterator
from pathlib import Path

import pytest
from conftest import ROOT
from spacy.language import Language
from test_properties import TEMPLATES, safe_call
from test_roundtrip import letter_texts

MARKER = "Qvzxmarker7T3"


def with_marker(text: str) -> str:
    """``text`` with MARKER at its start, before each line's colon and after every 40th space."""
    lines = []
    for line in text.split("\n"):
        if ":" in line:
            at = line.index(":")
            line = f"{line[:at]} {MARKER}{line[at:]}"
        lines.append(line)
    words = "\n".join(lines).split(" ")
    for i in range(20, len(words), 40):
        words[i] = f"{MARKER}{i} {words[i]}"
    return f"{MARKER} " + " ".join(words)


def marked_texts() -> list[str]:
    return [with_marker(t) for t in [*letter_texts()[:6], *TEMPLATES]]


@pytest.fixture
def debug_logs(caplog: pytest.LogCaptureFixture) -> Iterator[pytest.LogCaptureFixture]:
    """Every known logger at DEBUG, enabled and propagating to caplog's handler; restored afterwards."""
    saved = {}
    for name in list(logging.root.manager.loggerDict):
        logger = logging.getLogger(name)
        saved[name] = (logger.level, logger.disabled, logger.propagate)
        logger.setLevel(logging.DEBUG)
        logger.disabled = False
        logger.propagate = True
    caplog.set_level(logging.DEBUG)
    yield caplog
    for name, (level, disabled, propagate) in saved.items():
        logger = logging.getLogger(name)
        logger.setLevel(level)
        logger.disabled = disabled
        logger.propagate = propagate


def leaks(channels: dict[str, str]) -> list[str]:
    """Names of the channels whose text holds the marker."""
    return [name for name, text in channels.items() if MARKER in text]


def log_channels(caplog: pytest.LogCaptureFixture) -> dict[str, str]:
    out = {"log text": caplog.text}
    for i, record in enumerate(caplog.records):
        out[f"log record {i} ({record.name})"] = " ".join(
            [record.getMessage(), repr(record.args), record.exc_text or "", str(record.__dict__)]
        )
    return out


def test_nlp_pipe_logs_no_text(
    nlp: Language, debug_logs: pytest.LogCaptureFixture, capfd: pytest.CaptureFixture[str]
) -> None:
    texts = marked_texts()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        docs = safe_call(lambda: list(nlp.pipe(texts)))
        docs += safe_call(lambda: list(nlp.pipe(texts, n_process=2, batch_size=2)))
    assert all(MARKER in d.text for d in docs), "the marker is not in the documents"
    out, err = capfd.readouterr()
    channels = {"stdout": out, "stderr": err, **log_channels(debug_logs)}
    channels.update({f"warning {i}": f"{w.message} {w.filename}" for i, w in enumerate(caught)})
    found = leaks(channels)
    assert not found, f"document text in: {found}"


def test_exceptions_do_not_quote_text(nlp: Language) -> None:
    """A document over ``max_length`` fails with a message that does not quote it."""
    saved, nlp.max_length = nlp.max_length, 1000
    try:
        nlp(with_marker(TEMPLATES[0]))
    except ValueError as exc:
        assert MARKER not in str(exc) and MARKER not in repr(exc.args), "the exception quotes the document"
    else:
        raise AssertionError("a text over max_length went through")
    finally:
        nlp.max_length = saved


def _inputs(folder: Path) -> Path:
    """Letters with the marker as .txt files, a JSONL file, and inputs that must fail."""
    folder.mkdir()
    for i, text in enumerate(marked_texts()):
        (folder / f"letter{i}.txt").write_text(text, encoding="utf-8")
    (folder / "badutf8.txt").write_bytes(f"Diagnosis {MARKER} pain ".encode() + b"\xff\xfe\xc3\x28 end")
    lines = [
        json.dumps({"id": "jsonl-ok", "text": with_marker(TEMPLATES[1])}),
        '{"id": "jsonl-broken", "text": "neck pain ' + MARKER + " no closing quote",
        json.dumps({"id": "jsonl-blank", "text": "   "}),
        json.dumps({"id": "jsonl-notext", "body": MARKER}),
    ]
    (folder / "batch.jsonl").write_text("\n".join(lines) + "\n", encoding="utf-8")
    return folder


def _files_with_marker(root: Path, skip: set[Path]) -> list[str]:
    found = []
    for path in sorted(root.rglob("*")):
        if path.is_file() and path not in skip and MARKER.encode() in path.read_bytes():
            found.append(path.name)
    return found


def test_imr_annotate_in_process(
    nlp: Language, tmp_path: Path, debug_logs: pytest.LogCaptureFixture, capfd: pytest.CaptureFixture[str]
) -> None:
    from imr_spacy.cli import app
    from typer.testing import CliRunner

    nlp.to_disk(tmp_path / "model")
    inputs = _inputs(tmp_path / "in")
    out_dir = tmp_path / "out"
    out_dir.mkdir()
    output = out_dir / "annotations.jsonl"
    args = ["annotate", str(inputs), "-o", str(output), "--model", str(tmp_path / "model")]
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        result = CliRunner().invoke(app, args)
    assert result.exit_code == 1, f"expected exit code 1 (some inputs fail), got {result.exit_code}"
    assert MARKER in output.read_text(encoding="utf-8"), "the marker is not in the output"
    out, err = capfd.readouterr()
    channels = {"result output": result.output, "stdout": out, "stderr": err, **log_channels(debug_logs)}
    channels["exception"] = repr(result.exception) if result.exit_code not in (0, 1) else ""
    channels.update({f"warning {i}": str(w.message) for i, w in enumerate(caught)})
    found = leaks(channels) + _files_with_marker(out_dir, {output})
    assert not found, f"document text in: {found}"


CLI_DEBUG = """
import logging, sys
logging.basicConfig(level=logging.DEBUG, stream=sys.stderr)
for name in list(logging.root.manager.loggerDict):
    logging.getLogger(name).setLevel(logging.DEBUG)
from imr_spacy.cli import app
app(sys.argv[1:], prog_name="imr")
"""


def test_imr_annotate_subprocess_debug(nlp: Language, tmp_path: Path) -> None:
    nlp.to_disk(tmp_path / "model")
    inputs = _inputs(tmp_path / "in")
    out_dir = tmp_path / "out"
    out_dir.mkdir()
    output = out_dir / "annotations.jsonl"
    cmd = [sys.executable, "-W", "always", "-c", CLI_DEBUG, "annotate", str(inputs), "-o", str(output)]
    cmd += ["--model", str(tmp_path / "model"), "-n", "2", "-b", "2"]
    proc = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, timeout=600)
    assert proc.returncode == 1, f"expected exit code 1 (some inputs fail), got {proc.returncode}"
    assert MARKER in output.read_text(encoding="utf-8"), "the marker is not in the output"
    found = leaks({"stdout": proc.stdout, "stderr": proc.stderr}) + _files_with_marker(out_dir, {output})
    assert not found, f"document text in: {found}"
