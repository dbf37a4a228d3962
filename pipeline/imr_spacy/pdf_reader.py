"""Reading the text layer of PDF letters (pypdf; chosen over pdfplumber by ``bench/pdf_readers.py``).

Reading is not a pipeline component: ``read_pdf(path)`` returns the text to give ``nlp``.
Errors are :class:`DocumentError` with a reason that never quotes the document.
"""

from __future__ import annotations

import logging
from pathlib import Path

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


def read_pdf(path: str | Path) -> str:
    """The text layer of the PDF at ``path``.

    Raises :class:`DocumentError` for a corrupt or encrypted PDF, or one without a text layer.
    """
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
