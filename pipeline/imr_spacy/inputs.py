"""Input discovery for batch annotation: ``.txt``, ``.pdf`` and ``.jsonl`` files and folders.

Every input becomes one item with an id and a source:

- :class:`FileInput` (a ``.txt``/``.pdf`` file, read lazily by :func:`load`, so workers read),
- :class:`Document` (id, source, text; a JSONL line, or a file after :func:`load`),
- :class:`InputError` (id, source, reason; the reason never quotes the document).

Rules (docs/cli.md, "Inputs"):

- Folders are walked recursively in name order; hidden entries (``.name``) and other suffixes are
  skipped; a directory reached again through a symlink is a ``directory symlink loop`` error when it
  is one of its own ancestors and is skipped otherwise.
- Ids: a file's stem; on a clash the path relative to the argument (``sub/a.txt``); JSONL lines:
  their ``"id"`` (or ``FILE-STEM:LINE``). A repeated id is a ``duplicate id`` error.
- Text files: strict UTF-8 (a UTF-8 BOM is dropped); UTF-16 with a BOM is decoded; NUL bytes mean
  ``binary file``. Offsets refer to the decoded text.
- A document whose text is empty or only whitespace is an error (``empty file``, ``empty
  document (whitespace only)``; a PDF without text: ``PDF has no text layer``).
- Files above ``max_bytes`` (and JSONL lines above it) are ``file too large`` errors.
"""

from __future__ import annotations

import codecs
import json
import os
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

from .pdf_reader import DocumentError, read_pdf

#: Default size limit of an input file or JSONL line (20 MB).
DEFAULT_MAX_BYTES = 20 * 1024 * 1024
TEXT_SUFFIXES = {".txt"}
PDF_SUFFIXES = {".pdf"}
JSONL_SUFFIXES = {".jsonl"}
SUFFIXES = TEXT_SUFFIXES | PDF_SUFFIXES | JSONL_SUFFIXES


@dataclass(frozen=True)
class Document:
    """A readable document: ``text`` is exactly what the pipeline gets."""

    id: str
    source: str
    text: str


@dataclass(frozen=True)
class InputError:
    """An input that cannot be annotated; ``reason`` is safe to log."""

    id: str
    source: str
    reason: str


@dataclass(frozen=True)
class FileInput:
    """A ``.txt`` or ``.pdf`` file not read yet."""

    id: str
    source: str
    kind: str  # "txt" or "pdf"


Item = FileInput | Document | InputError


@dataclass(frozen=True)
class _Found:
    path: Path
    rel: str  # path relative to the argument it was found under (posix)


def find_files(paths: Iterable[str | Path], exclude: Iterable[str | Path] = ()) -> list[_Found | InputError]:
    """Every supported file under ``paths`` in a stable order, and errors of the walk."""
    skip = {_real(p) for p in exclude}
    out: list[_Found | InputError] = []
    for arg in paths:
        path = Path(arg)
        if path.is_dir():
            _walk(path, path, frozenset({_inode(path)}), set(), skip, out)
        elif _real(path) not in skip:
            out.append(_Found(path, path.name))
    return out


def _walk(
    folder: Path,
    base: Path,
    ancestors: frozenset[tuple[int, int]],
    visited: set[tuple[int, int]],
    skip: set[str],
    out: list[_Found | InputError],
) -> None:
    visited.add(_inode(folder))
    try:
        entries = sorted(os.scandir(folder), key=lambda e: e.name)
    except OSError as exc:
        out.append(InputError(_rel(folder, base), str(folder), f"cannot list directory ({exc.strerror})"))
        return
    for entry in entries:
        if entry.name.startswith("."):
            continue
        path = Path(entry.path)
        rel = _rel(path, base)
        if _is_dir(entry):
            key = _inode(path)
            if key in ancestors:
                out.append(InputError(rel, str(path), "directory symlink loop"))
            elif key not in visited:
                _walk(path, base, ancestors | {key}, visited, skip, out)
        elif path.suffix.lower() in SUFFIXES and _real(path) not in skip:
            if entry.is_symlink() and not path.exists():
                out.append(InputError(path.stem, str(path), "broken symlink"))
            else:
                out.append(_Found(path, rel))


def _is_dir(entry: os.DirEntry[str]) -> bool:
    try:
        return entry.is_dir()
    except OSError:
        return False


def _inode(path: Path) -> tuple[int, int]:
    st = path.stat()
    return (st.st_dev, st.st_ino)


def _real(path: str | Path) -> str:
    return os.path.realpath(path)


def _rel(path: Path, base: Path) -> str:
    try:
        rel = path.relative_to(base).as_posix()
    except ValueError:
        rel = path.as_posix()
    return rel if rel != "." else path.name


def discover(
    paths: Iterable[str | Path], *, max_bytes: int = DEFAULT_MAX_BYTES, exclude: Iterable[str | Path] = ()
) -> Iterator[Item]:
    """Items of every input in order: files stay unread, JSONL lines are parsed here."""
    seen: set[str] = set()
    for found in find_files(paths, exclude):
        if isinstance(found, InputError):
            yield found
            continue
        suffix = found.path.suffix.lower()
        if suffix in JSONL_SUFFIXES:
            yield from _jsonl_items(found.path, max_bytes, seen)
            continue
        source = str(found.path)
        if suffix not in SUFFIXES:
            yield InputError(found.path.stem, source, f"unsupported file type ({suffix or 'no suffix'})")
            continue
        doc_id = found.path.stem
        if doc_id in seen:
            doc_id = found.rel
        if doc_id in seen:
            yield InputError(doc_id, source, "duplicate id")
            continue
        seen.add(doc_id)
        yield FileInput(doc_id, source, "pdf" if suffix in PDF_SUFFIXES else "txt")


def count_items(paths: Iterable[str | Path], exclude: Iterable[str | Path] = ()) -> int:
    """How many items :func:`discover` yields (JSONL files count their non-blank lines)."""
    total = 0
    for found in find_files(paths, exclude):
        if isinstance(found, _Found) and found.path.suffix.lower() in JSONL_SUFFIXES:
            try:
                with found.path.open("rb") as fh:
                    total += sum(1 for line in fh if line.strip())
            except OSError:
                total += 1
        else:
            total += 1
    return total


def _jsonl_items(path: Path, max_bytes: int, seen: set[str]) -> Iterator[Document | InputError]:
    try:
        fh = path.open("rb")
    except OSError as exc:
        yield InputError(path.stem, str(path), f"cannot read file ({exc.strerror})")
        return
    with fh:
        for lineno, raw in enumerate(fh, start=1):
            if not raw.strip():
                continue
            item = parse_jsonl_line(raw, path, lineno, max_bytes)
            if item.id in seen:
                yield InputError(item.id, item.source, "duplicate id")
                continue
            seen.add(item.id)
            yield item


def parse_jsonl_line(raw: bytes, path: Path, lineno: int, max_bytes: int) -> Document | InputError:
    """One JSONL input line: ``{"id": ..., "text": ...}`` as a Document, or why not."""
    source = f"{path}:{lineno}"
    fallback = f"{path.stem}:{lineno}"
    if len(raw) > max_bytes:
        return InputError(fallback, source, f"file too large ({len(raw)} bytes; limit {max_bytes})")
    try:
        obj = json.loads(raw.decode("utf-8-sig" if lineno == 1 else "utf-8"))
    except UnicodeDecodeError as exc:
        return InputError(fallback, source, f"invalid UTF-8 at byte {exc.start}")
    except json.JSONDecodeError:
        return InputError(fallback, source, "malformed JSON line")
    if not isinstance(obj, dict):
        return InputError(fallback, source, "JSON line is not an object")
    doc_id = obj.get("id", fallback)
    if isinstance(doc_id, bool) or not isinstance(doc_id, str | int):
        return InputError(fallback, source, '"id" is not a string')
    doc_id = str(doc_id)
    text = obj.get("text")
    if not isinstance(text, str):
        return InputError(doc_id, source, 'line has no "text" string')
    if not text.strip():
        return InputError(doc_id, source, "empty document (whitespace only)")
    return Document(doc_id, source, text)


def decode_text(data: bytes) -> str:
    """Text of a ``.txt`` file: UTF-8 (BOM dropped) or UTF-16 with a BOM; else DocumentError."""
    if data.startswith((codecs.BOM_UTF32_LE, codecs.BOM_UTF32_BE)):
        raise DocumentError("UTF-32 text is not supported")
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        try:
            text = data.decode("utf-16")
        except UnicodeDecodeError as exc:
            raise DocumentError(f"invalid UTF-16 at byte {exc.start}") from None
        if "\x00" in text:
            raise DocumentError("binary file (NUL characters)")
        return text
    if b"\x00" in data:
        raise DocumentError("binary file (NUL bytes)")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise DocumentError(f"invalid UTF-8 at byte {exc.start}") from None


def read_text_file(path: str | Path, max_bytes: int = DEFAULT_MAX_BYTES) -> str:
    """The text of a ``.txt``/``.pdf`` file; DocumentError says why it cannot be read."""
    path = Path(path)
    try:
        size = path.stat().st_size
        if size > max_bytes:
            raise DocumentError(f"file too large ({size} bytes; limit {max_bytes})")
        if size == 0:
            raise DocumentError("empty file")
        text = read_pdf(path) if path.suffix.lower() in PDF_SUFFIXES else decode_text(path.read_bytes())
    except OSError as exc:
        raise DocumentError(f"cannot read file ({exc.strerror or type(exc).__name__})") from None
    if not text.strip():
        raise DocumentError("empty document (whitespace only)")
    return text


def load(item: Item, max_bytes: int = DEFAULT_MAX_BYTES) -> Document | InputError:
    """Read a :class:`FileInput`; Documents and errors pass through."""
    if not isinstance(item, FileInput):
        return item
    try:
        return Document(item.id, item.source, read_text_file(item.source, max_bytes))
    except DocumentError as exc:
        return InputError(item.id, item.source, exc.reason)


def iter_documents(
    paths: Iterable[str | Path], *, max_bytes: int = DEFAULT_MAX_BYTES, exclude: Iterable[str | Path] = ()
) -> Iterator[Document | InputError]:
    """(id, source, text) Documents or (id, source, reason) errors of every input, in order."""
    for item in discover(paths, max_bytes=max_bytes, exclude=exclude):
        yield load(item, max_bytes)


def read_source(source: str, max_bytes: int = DEFAULT_MAX_BYTES) -> str:
    """Read a document again from the ``source`` of its record (a file or ``FILE.jsonl:LINE``)."""
    path, _, line = source.rpartition(":")
    if path and line.isdigit() and Path(path).suffix.lower() in JSONL_SUFFIXES:
        lineno = int(line)
        with open(path, "rb") as fh:
            for i, raw in enumerate(fh, start=1):
                if i == lineno:
                    item = parse_jsonl_line(raw, Path(path), lineno, max_bytes)
                    if isinstance(item, InputError):
                        raise DocumentError(item.reason)
                    return item.text
        raise DocumentError("JSONL line not found")
    return read_text_file(source, max_bytes)
