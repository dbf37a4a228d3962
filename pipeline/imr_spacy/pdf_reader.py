"""Reading the text layer of PDF letters.

Reading is not a pipeline component: ``read_pdf(path)`` returns the text to give ``nlp``.
Errors are :class:`DocumentError` with a reason that never quotes the document.

PDFium (``pypdfium2``) reads first: ``bench/pdf_readers.py`` measured the same layout quality as
pypdf at 15x less CPU, and the pipeline finds the same entities and decisions on the 72 real
letters with either. Its text is given pypdf's conventions: ``\n`` line ends, and a line-end
hyphen PDFium reports as U+FFFE (joining the two lines) is written back as ``-`` and a line break.
A file PDFium cannot open or finds no text in goes to pypdf, which reads it or gives the reason.
"""

from __future__ import annotations

import logging
from pathlib import Path

import pypdfium2
from pypdf import PdfReader
from pypdf.errors import PdfReadError

log = logging.getLogger(__name__)

#: Pages are joined with a blank line, as the published letters separate pages.
PAGE_SEPARATOR = "\n"


class DocumentError(Exception):
    """A document that cannot be read; ``reason`` is safe to log (no document text)."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


_PDFIUM_TEXT = str.maketrans({"\ufffe": "-\n"})


def read_pdf(path: str | Path) -> str:
    """The text layer of the PDF at ``path``.

    Raises :class:`DocumentError` for a corrupt or encrypted PDF, or one without a text layer.
    """
    text = _read_pdfium(path)
    return text if text is not None else _read_pypdf(path)


def _read_pdfium(path: str | Path) -> str | None:
    """PDFium's text, or None when it cannot open the file or finds no text."""
    try:
        pdf = pypdfium2.PdfDocument(str(path))
    except (pypdfium2.PdfiumError, OSError, ValueError):
        return None
    try:
        pages = []
        for i in range(len(pdf)):
            page = pdf[i]
            textpage = page.get_textpage()
            pages.append(_pdfium_page_text(textpage.get_text_range()))
            textpage.close()
            page.close()
    except (pypdfium2.PdfiumError, OSError, ValueError):
        return None
    finally:
        pdf.close()
    text = PAGE_SEPARATOR.join(pages)
    return text if text.strip() else None


def _pdfium_page_text(raw: str) -> str:
    """PDFium's page text with pypdf's line conventions (``\r\n`` -> ``\n``, U+FFFE -> ``-`` + line end)."""
    if "\r" in raw:
        raw = raw.replace("\r\n", "\n").replace("\r", "\n")
    return raw.translate(_PDFIUM_TEXT)


def _read_pypdf(path: str | Path) -> str:
    """pypdf's text (slower; the fallback), or the :class:`DocumentError` that explains why not."""
    logging.getLogger("pypdf").setLevel(logging.ERROR)
    try:
        reader = PdfReader(str(path))
        if reader.is_encrypted:
            try:
                ok = reader.decrypt("")
            except Exception as exc:  # pypdf raises several types for unsupported crypto
                raise DocumentError("encrypted PDF") from exc
            if not ok:
                raise DocumentError("encrypted PDF")
        pages = [page.extract_text() or "" for page in reader.pages]
    except DocumentError:
        raise
    except (PdfReadError, ValueError, KeyError, TypeError, OSError, AttributeError, IndexError) as exc:
        raise DocumentError(f"corrupt PDF ({type(exc).__name__})") from exc
    except Exception as exc:  # pypdf surfaces many internal errors on damaged files
        raise DocumentError(f"unreadable PDF ({type(exc).__name__})") from exc
    text = PAGE_SEPARATOR.join(pages)
    if not text.strip():
        raise DocumentError("PDF has no text layer")
    return text
