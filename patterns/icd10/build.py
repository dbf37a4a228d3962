"""Build ``codes.jsonl``: the billable ICD-10-CM codes the ``imr_icd10`` linker can return.

Source: the CDC/CMS ICD-10-CM tabular list shipped inside the ``simple-icd-10-cm`` package
(no download). Kept: every billable code (a leaf of the tabular tree) outside chapter 20
(external causes, V00-Y99); of codes with a 7th-character extension, only the initial
encounter (``A``). Each row: ``{"code", "desc"}`` plus ``"incl"`` (inclusion terms) where the
tabular list has some. Run from the repository root after upgrading the package::

    .venv/bin/python patterns/icd10/build.py
"""

from __future__ import annotations

from importlib.metadata import version
from pathlib import Path

import simple_icd_10_cm as cm
import srsly

OUT = Path(__file__).with_name("codes.jsonl")
META = Path(__file__).with_name("codeset.jsonl")
#: The tabular list release the package ships (its data file names it).
RELEASE = sorted(p.stem for p in (Path(cm.__file__).parent / "data").glob("icd10c-tabular-*.xml"))


def rows() -> list[dict[str, object]]:
    """One row per kept billable code, in tabular order."""
    out: list[dict[str, object]] = []
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
