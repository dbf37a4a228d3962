"""Input discovery: file kinds, encodings, bad files, folders, ids, JSONL lines."""

from __future__ import annotations

import codecs
import json
import os
from pathlib import Path

import pytest
from imr_spacy.inputs import (
    Document,
    FileInput,
    InputError,
    decode_text,
    discover,
    iter_documents,
    read_source,
)
from imr_spacy.pdf_reader import DocumentError

BAD = Path(__file__).parent / "data" / "bad"
LETTERS = Path(__file__).resolve().parents[1] / "examples" / "letters"

#: What each bad file gives: an error reason, or None for a valid document.
EXPECTED = {
    "empty": "empty file",
    "whitespace_only": "empty document (whitespace only)",
    "binary": "binary file (NUL bytes)",
    "invalid_utf8": "invalid UTF-8 at byte 70",
    "utf16_bom": None,
    "corrupt": "corrupt PDF (PdfReadError)",
    "encrypted": "encrypted PDF",
    "image_only": "PDF has no text layer",
    "jsonl-ok": None,
    "bad_lines:2": "malformed JSON line",
    "jsonl-no-text": 'line has no "text" string',
}


def test_bad_folder_gives_one_result_per_input_with_its_reason() -> None:
    results = {r.id: r for r in iter_documents([BAD])}
    assert set(results) == set(EXPECTED)
    for doc_id, reason in EXPECTED.items():
        got = results[doc_id]
        if reason is None:
            assert isinstance(got, Document), doc_id
        else:
            assert isinstance(got, InputError), doc_id
            assert got.reason == reason


def test_error_reasons_never_quote_the_document() -> None:
    for r in iter_documents([BAD]):
        if isinstance(r, InputError):
            assert "Caf" not in r.reason and "unterminated" not in r.reason and "field is missing" not in r.reason


def test_utf16_with_bom_is_decoded() -> None:
    doc = next(d for d in iter_documents([BAD / "utf16_bom.txt"]) if isinstance(d, Document))
    assert doc.text.startswith("IMR ISSUES, DECISIONS AND RATIONALES\n")
    assert "\ufeff" not in doc.text
    assert "Aquatic therapy x 6: Upheld" in doc.text


@pytest.mark.parametrize("encoding", ["utf-16-le", "utf-16-be"])
def test_decode_text_utf16_both_byte_orders(encoding: str) -> None:
    bom = codecs.BOM_UTF16_LE if encoding.endswith("le") else codecs.BOM_UTF16_BE
    assert decode_text(bom + "Knee MRI: Overturned".encode(encoding)) == "Knee MRI: Overturned"


def test_decode_text_drops_a_utf8_bom_and_keeps_everything_else() -> None:
    raw = codecs.BOM_UTF8 + "Seen 3/4/15.\r\n  Trigger point injection\u2014denied.".encode()
    assert decode_text(raw) == "Seen 3/4/15.\r\n  Trigger point injection\u2014denied."


@pytest.mark.parametrize(
    ("raw", "reason"),
    [
        (b"abc\x00def", "binary file (NUL bytes)"),
        (b"ok \xc3\x28 bad", "invalid UTF-8 at byte 3"),
        (codecs.BOM_UTF32_LE + "x".encode("utf-32-le"), "UTF-32 text is not supported"),
        (codecs.BOM_UTF16_LE + b"a\x00b", "invalid UTF-16 at byte 4"),
    ],
)
def test_decode_text_rejects(raw: bytes, reason: str) -> None:
    with pytest.raises(DocumentError) as err:
        decode_text(raw)
    assert err.value.reason == reason


def test_file_over_the_size_limit_is_an_error(tmp_path: Path) -> None:
    big = tmp_path / "big.txt"
    with big.open("wb") as fh:
        chunk = b"Lumbar spine tenderness noted on exam. " * 1000
        while fh.tell() < 50 * 1024 * 1024:
            fh.write(chunk)
    (result,) = list(iter_documents([tmp_path]))
    assert isinstance(result, InputError)
    assert result.id == "big"
    assert result.reason.startswith("file too large (") and "limit 20971520" in result.reason
    (small,) = list(iter_documents([tmp_path], max_bytes=60 * 1024 * 1024))
    assert isinstance(small, Document)


def test_directory_symlink_loop_is_an_error_and_the_walk_goes_on(tmp_path: Path) -> None:
    sub = tmp_path / "letters" / "sub"
    sub.mkdir(parents=True)
    (sub / "a.txt").write_text("Shoulder pain since 2014.", encoding="utf-8")
    os.symlink("..", sub / "loop")
    os.symlink(sub, tmp_path / "letters" / "z_alias")  # not a loop: the same folder again, skipped
    results = list(iter_documents([tmp_path / "letters"]))
    assert [(type(r).__name__, r.id) for r in results] == [("Document", "a"), ("InputError", "sub/loop")]
    assert results[1].reason == "directory symlink loop"


def test_folders_are_walked_recursively_in_name_order_skipping_hidden_and_other_files(tmp_path: Path) -> None:
    for rel in ["b.txt", "a/c.txt", "a/d.TXT", ".hidden.txt", "notes.md", "z/.cache/e.txt"]:
        path = tmp_path / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text("Gait was antalgic.", encoding="utf-8")
    items = list(discover([tmp_path]))
    assert [i.id for i in items] == ["c", "d", "b"]
    assert all(isinstance(i, FileInput) for i in items)


def test_clashing_stems_get_their_relative_path_as_id(tmp_path: Path) -> None:
    for rel in ["x/letter.txt", "y/letter.txt"]:
        (tmp_path / rel).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / rel).write_text("Cervical MRI requested.", encoding="utf-8")
    (tmp_path / "y" / "letter.pdf").write_bytes((LETTERS / "CM16-0213037.pdf").read_bytes())
    ids = [i.id for i in discover([tmp_path])]
    assert ids == ["letter", "y/letter.pdf", "y/letter.txt"]


def test_jsonl_ids_fallbacks_and_duplicates(tmp_path: Path) -> None:
    lines = [
        {"id": "a", "text": "Epidural injection at L4-5."},
        {"text": "No id on this line."},
        {"id": 7, "text": "Integer ids become strings."},
        {"id": "a", "text": "A repeated id."},
        ["not", "an", "object"],
        {"id": "blank", "text": "  \n "},
        {"id": {"x": 1}, "text": "Bad id type."},
    ]
    path = tmp_path / "batch.jsonl"
    path.write_text("\n".join(json.dumps(x) for x in lines) + "\n\n", encoding="utf-8")
    got = [(type(r).__name__, r.id, getattr(r, "reason", None)) for r in iter_documents([path])]
    assert got == [
        ("Document", "a", None),
        ("Document", "batch:2", None),
        ("Document", "7", None),
        ("InputError", "a", "duplicate id"),
        ("InputError", "batch:5", "JSON line is not an object"),
        ("InputError", "blank", "empty document (whitespace only)"),
        ("InputError", "batch:7", '"id" is not a string'),
    ]
    assert read_source(f"{path}:3") == "Integer ids become strings."


def test_excluded_paths_are_not_inputs(tmp_path: Path) -> None:
    (tmp_path / "letter.txt").write_text("Home exercise program.", encoding="utf-8")
    out = tmp_path / "out.jsonl"
    out.write_text('{"id": "x", "text": "an earlier output line"}\n', encoding="utf-8")
    assert [i.id for i in discover([tmp_path], exclude=[out])] == ["letter"]


def test_unsupported_file_named_explicitly_is_an_error(tmp_path: Path) -> None:
    path = tmp_path / "letter.docx"
    path.write_bytes(b"PK\x03\x04")
    (item,) = list(discover([path]))
    assert isinstance(item, InputError) and item.reason == "unsupported file type (.docx)"


def test_real_letters_read_as_text() -> None:
    docs = list(iter_documents([LETTERS / "CM16-0213037.pdf", LETTERS / "000_0a0da20b1dcb1a45.txt"]))
    assert [d.id for d in docs] == ["CM16-0213037", "000_0a0da20b1dcb1a45"]
    assert all(isinstance(d, Document) and len(d.text) > 1000 for d in docs)


def test_pdfium_text_gets_pypdf_line_conventions() -> None:
    from imr_spacy.pdf_reader import _pdfium_page_text

    # PDFium joins a line-end hyphenation with U+FFFE and ends lines with CRLF
    assert _pdfium_page_text("Electro\ufffediagnostic testing\r\nof the arm\rok") == (
        "Electro-\ndiagnostic testing\nof the arm\nok"
    )


def test_real_letter_read_by_pdfium_has_no_pdfium_markers() -> None:
    from imr_spacy.pdf_reader import _read_pdfium

    text = _read_pdfium(sorted(LETTERS.glob("*.pdf"))[0])
    assert text is not None and "\r" not in text and "\ufffe" not in text
    assert "Upheld" in text or "Overturned" in text
