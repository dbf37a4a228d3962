"""pypdf (the project's reader) against pdfplumber (and pypdfium2) on the 72 real letters.

    .venv/bin/python bench/pdf_readers.py
    .venv/bin/python bench/pdf_readers.py --readers pypdf,pdfplumber --repeat 3

Per reader: seconds for all letters (best of ``--repeat``), words per letter, and text quality, as shares
of letters where the layout survives in reading order:

- header dates: each header label (Date Assigned, Date of Injury, Decision Date, UR Denial Date,
  Application Received) directly followed by its date;
- item lines: at least one "ITEM: Upheld/Overturned" line, and as many as "Decision rationale:" lines;
- sections: the three section titles each on a line of its own, in letter order;

and, per letter, dates broken over a line end ("11/09/\\n2016") and glued words (25+ letters).
Only counts are printed.
"""

from __future__ import annotations

import argparse
import re
import statistics
import time
from collections.abc import Callable
from pathlib import Path

from common import cpu_load, letter_pdfs, print_table

HEADER_LABELS = [r"Date\s+Assigned", r"Date\s+of\s+Injury", r"Decision\s+Date", r"UR\s+Denial\s+Date"]
HEADER_RE = [re.compile(rf"{label}:[ \t]*\d{{1,2}}/\d{{1,2}}/\d{{4}}") for label in HEADER_LABELS]
RECEIVED_RE = re.compile(r"Application\s+Received:\s*\d{1,2}/\d{1,2}/\d{4}")
ITEM_RE = re.compile(r"(?m)^[ \t]*\S.*:[ \t]*(?:Upheld|Overturned)[ \t]*$")
RATIONALE_RE = re.compile(r"Decision\s+rationale:")
TITLES = ["HOW THE IMR FINAL DETERMINATION WAS MADE", "CLINICAL CASE SUMMARY", "IMR ISSUES, DECISIONS AND RATIONALES"]
TITLE_RES = [re.compile(rf"(?m)^[ \t]*{re.escape(t)}[ \t]*$") for t in TITLES]
BROKEN_DATE_RE = re.compile(r"\b(\d{1,2}[/-](?:\d{1,2}[/-]?)?)[ \t]*\n[ \t]*([/-]?\d{1,4}(?:[/-]\d{2,4})?)\b")
FULL_DATE_RE = re.compile(r"\d{1,2}[/-]\d{1,2}[/-]\d{2,4}")
GLUED_RE = re.compile(r"\b[A-Za-z]{25,}\b")


def read_pypdf(path: Path) -> str:
    from imr_spacy.pdf_reader import read_pdf

    return read_pdf(path)


def read_pdfplumber(path: Path) -> str:
    import pdfplumber

    with pdfplumber.open(str(path)) as pdf:
        return "\n".join(page.extract_text() or "" for page in pdf.pages)


def read_pypdfium2(path: Path) -> str:
    import pypdfium2

    pdf = pypdfium2.PdfDocument(str(path))
    try:
        return "\n".join(pdf[i].get_textpage().get_text_range() for i in range(len(pdf)))
    finally:
        pdf.close()


READERS: dict[str, Callable[[Path], str]] = {
    "pypdf": read_pypdf,
    "pdfplumber": read_pdfplumber,
    "pypdfium2": read_pypdfium2,
}


def quality(text: str) -> dict[str, float]:
    """Layout checks of one letter's text (see the module docstring)."""
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    header = all(r.search(text) for r in HEADER_RE) and bool(RECEIVED_RE.search(text))
    items = len(ITEM_RE.findall(text))
    rationales = len(RATIONALE_RE.findall(text))
    positions = [m.start() if (m := r.search(text)) else -1 for r in TITLE_RES]
    sections = all(p >= 0 for p in positions) and positions == sorted(positions)
    broken = sum(1 for m in BROKEN_DATE_RE.finditer(text) if FULL_DATE_RE.fullmatch(m.group(1) + m.group(2)))
    return {
        "header": float(header),
        "items": float(items >= 1 and items == rationales),
        "sections": float(sections),
        "broken_dates": float(broken),
        "glued": float(len(GLUED_RE.findall(text))),
        "words": float(len(text.split())),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--readers", default="pypdf,pdfplumber,pypdfium2")
    parser.add_argument("--repeat", type=int, default=1, help="timed passes per reader; the best counts")
    args = parser.parse_args()
    pdfs = letter_pdfs()
    print(f"# PDF readers on {len(pdfs)} letters ({cpu_load()})")
    rows = []
    for name in args.readers.split(","):
        read = READERS[name]
        best_wall = best_cpu = float("inf")
        texts: list[str] = []
        failed = 0
        for _ in range(args.repeat):
            w0, c0 = time.perf_counter(), time.process_time()
            texts, failed = [], 0
            for pdf in pdfs:
                try:
                    texts.append(read(pdf))
                except Exception:
                    failed += 1
            best_wall = min(best_wall, time.perf_counter() - w0)
            best_cpu = min(best_cpu, time.process_time() - c0)
        q = [quality(t) for t in texts]

        def share(key: str, q: list[dict[str, float]] = q) -> str:
            return f"{100 * sum(x[key] for x in q) / len(pdfs):.0f}%"

        def mean(key: str, q: list[dict[str, float]] = q) -> float:
            return statistics.mean(x[key] for x in q) if q else 0.0

        rows.append(
            [
                name,
                best_wall,
                best_cpu,
                failed,
                mean("words"),
                share("header"),
                share("items"),
                share("sections"),
                mean("broken_dates"),
                mean("glued"),
            ]
        )
    print_table(
        [
            "reader",
            "seconds",
            "CPU s",
            "failed",
            "words/letter",
            "header dates",
            "item lines",
            "sections",
            "broken dates/letter",
            "glued words/letter",
        ],
        rows,
    )


if __name__ == "__main__":
    main()
