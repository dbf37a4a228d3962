"""Build ``codes.jsonl``: the billable ICD-10-CM codes the ``imr_icd10`` linker can return.

Source: the CDC/CMS ICD-10-CM tabular list shipped inside the ``simple-icd-10-cm`` package
(no download). Kept: every billable code (a leaf of the tabular tree) outside chapter 20
(external causes, V00-Y99); of codes with a 7th-character extension, only the initial
encounter (``A``). Each row: ``{"code", "desc"}`` plus ``"incl"`` (inclusion terms) where the
tabular list has some, and ``"cat_incl"``: the inclusion terms of a category for its default
subcodes, those that add nothing but a side, "unspecified" or a "without ..." clause ("Social
anxiety disorder" of F40.1 "Social phobias" -> F40.10 "Social phobia, unspecified"). Run from the repository root after upgrading the package::

    .venv/bin/python patterns/icd10/build.py
"""

from __future__ import annotations

from importlib.metadata import version
from pathlib import Path

import re

import simple_icd_10_cm as cm
import srsly

OUT = Path(__file__).with_name("codes.jsonl")
META = Path(__file__).with_name("codeset.jsonl")
#: The tabular list release the package ships (its data file names it).
RELEASE = sorted(p.stem for p in (Path(cm.__file__).parent / "data").glob("icd10c-tabular-*.xml"))


_NOISE = re.compile(r"\bwithout\b[^,]*|\([^)]*\)|\[[^\]]*\]")
_FILLER = {"unspecified", "of", "nos", "and", "or", "the", "site", "part", "right", "left", "bilateral"}


def _words(desc: str) -> set[str]:
    """A description's words without side, "unspecified", "without ..." and plural ``s``."""
    out = set()
    for word in re.findall(r"[a-z0-9]+", _NOISE.sub(" ", desc.lower())):
        if word not in _FILLER:
            plural = len(word) > 3 and word.endswith("s") and not word.endswith(("ss", "us", "is"))
            out.add(word[:-1] if plural else word)
    return out


def category_terms() -> dict[str, list[str]]:
    """Billable code -> the inclusion terms of the categories it is the default subcode of."""
    out: dict[str, list[str]] = {}

    def descend(code: str, terms: list[str]) -> None:
        if cm.is_leaf(code):
            if code[0] not in "VWXY" and (not cm.is_extended_subcategory(code) or code.endswith("A")):
                out.setdefault(code, []).extend(t for t in terms if t not in out.get(code, ()))
            return
        if cm.is_subcategory(code) and cm.is_extended_subcategory(cm.get_children(code)[0]):
            for child in cm.get_children(code):
                descend(child, terms)
            return
        words = _words(cm.get_description(code))
        for child in cm.get_children(code):
            if _words(cm.get_description(child)) == words:
                descend(child, terms)

    for code in cm.get_all_codes(with_dots=True):
        terms = cm.get_inclusion_term(code) if not cm.is_leaf(code) and not cm.is_chapter_or_block(code) else None
        if terms and not cm.is_extended_subcategory(code):
            descend(code, list(terms))
    return out


def rows() -> list[dict[str, object]]:
    """One row per kept billable code, in tabular order."""
    out: list[dict[str, object]] = []
    cat = category_terms()
    for code in cm.get_all_codes(with_dots=True):
        if code[0] in "VWXY" or not cm.is_leaf(code):
            continue
        extended = cm.is_extended_subcategory(code)
        if extended and not code.endswith("A"):
            continue
        row: dict[str, object] = {"code": code, "desc": cm.get_description(code)}
        incl = cm.get_inclusion_term(cm.get_parent(code) if extended else code)
        if incl:
            row["incl"] = incl
        cat_incl = [t for t in cat.get(code, ()) if t not in (incl or ())]
        if cat_incl:
            row["cat_incl"] = cat_incl
        out.append(row)
    return out


def main() -> None:
    data = rows()
    srsly.write_jsonl(OUT, data)
    meta = {
        "package": "simple-icd-10-cm",
        "version": version("simple-icd-10-cm"),
        "release": RELEASE,
        "codes": len(data),
    }
    srsly.write_jsonl(META, [meta])
    print(f"simple-icd-10-cm {version('simple-icd-10-cm')}: {len(data)} codes -> {OUT}")


if __name__ == "__main__":
    main()
