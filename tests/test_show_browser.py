"""``imr show`` pages rendered in headless Chromium, and the example notebook's format."""

from __future__ import annotations

import itertools
import json
import shutil
import struct
import subprocess
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

from imr_spacy.cli import app
from imr_spacy.show import render_page, section_blocks
from imr_spacy.tokenizer import build_tokenizer
from PIL import Image
from spacy.language import Language
from typer.testing import CliRunner

ROOT = Path(__file__).resolve().parents[1]
ARTIFACTS = ROOT / "tests" / "artifacts"
LETTER_PDF = ROOT / "examples" / "letters" / "CM16-0213037.pdf"
NOTEBOOK = ROOT / "examples" / "notebook.ipynb"
CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
#: Measures what the browser rendered and leaves it in <body data-check="...">.
CHECK_SCRIPT = """<script>
const neg = document.querySelector('mark.imr-negated[data-label]');
const table = document.querySelector('table#decisions');
const marks = Array.from(document.querySelectorAll('mark.imr-ent'));
const style = getComputedStyle(neg);
document.body.setAttribute('data-check', JSON.stringify({
  negDecoration: style.textDecorationLine, negColor: style.textDecorationColor,
  tableHeight: table.getBoundingClientRect().height,
  rows: table.querySelectorAll('tr.imr-decision').length,
  marksShown: marks.filter(m => m.getBoundingClientRect().width > 0).length,
}));
</script></body>"""


def chromium() -> str:
    found = shutil.which("chromium") or shutil.which("chromium-browser")
    assert found, "headless Chromium is needed: apt-get install -y chromium"
    return found


def browse(page: Path, profile: Path, *args: str) -> subprocess.CompletedProcess[str]:
    cmd = [chromium(), *CHROMIUM_FLAGS, f"--user-data-dir={profile}", *args, page.resolve().as_uri()]
    return subprocess.run(cmd, capture_output=True, text=True, timeout=180)


class DomIndex(HTMLParser):
    """Elements by tag with their attributes, from a dumped DOM."""

    def __init__(self) -> None:
        super().__init__()
        self.elements: list[tuple[str, dict[str, str]]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.elements.append((tag, {k: v or "" for k, v in attrs}))

    def find(self, tag: str, cls: str = "", **attrs: str) -> list[dict[str, str]]:
        return [
            a
            for t, a in self.elements
            if t == tag
            and set(cls.split()) <= set(a.get("class", "").split())
            and all(a.get(k) == v for k, v in attrs.items())
        ]


def dump_dom(page: Path, profile: Path) -> DomIndex:
    result = browse(page, profile, "--dump-dom")
    assert result.returncode == 0, result.stderr[-1000:]
    index = DomIndex()
    index.feed(result.stdout)
    return index


def synthetic_letter() -> Any:
    """A hand-annotated letter (new text): one negated finding, two sections, one decision."""
    from spacy.lang.en import English

    nlp = English()
    nlp.tokenizer = build_tokenizer(nlp)
    text = (
        "CLINICAL CASE SUMMARY\nExam showed no lumbar spasm. Gait was antalgic.\n\n"
        "IMR ISSUES, DECISIONS AND RATIONALES\nLumbar support brace: Overturned\n"
        "MAXIMUS guideline: Decision based on ODG, Low Back Chapter.\n"
    )
    doc = nlp.make_doc(text)

    def span(phrase: str, label: str) -> Any:
        start = text.index(phrase)
        return doc.char_span(start, start + len(phrase), label=label)

    spasm, gait = span("lumbar spasm", "FINDING"), span("Gait was antalgic", "FINDING")
    brace, dec = span("Lumbar support brace", "TREATMENT"), span("Overturned", "DECISION")
    cite = span("ODG, Low Back Chapter", "GUIDELINE_CITE")
    doc.ents = [spasm, gait, brace, dec, cite]
    spasm._.is_negated = True
    spasm._.context_cues = [{"trigger": "showed no", "category": "NEGATED_EXISTENCE"}]
    dec._.outcome = "overturned"
    s2 = text.index("IMR ISSUES")
    doc._.section_bounds = [[0, s2, "CLINICAL CASE SUMMARY"], [s2, len(text), "IMR ISSUES, DECISIONS AND RATIONALES"]]

    def off(s: Any) -> list[int]:
        return [s.start_char, s.end_char]

    doc._.decision_records = [
        {
            "item": off(brace),
            "treatment": off(brace),
            "count": None,
            "outcome": "overturned",
            "decision": off(dec),
            "guidelines": [off(cite)],
            "rationale": None,
        }
    ]
    doc._.case = {"patient_sex": "male"}
    return doc


def test_page_renders_marks_negation_and_decisions_in_chromium(tmp_path: Path) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    html = render_page(synthetic_letter(), "synthetic letter")
    page = ARTIFACTS / "show_synthetic.html"
    page.write_text(html, encoding="utf-8")
    png = ARTIFACTS / "show_synthetic.png"
    png.unlink(missing_ok=True)
    shot = browse(page, tmp_path / "profile", f"--screenshot={png}", "--window-size=1280,2000")
    assert shot.returncode == 0 and png.exists(), shot.stderr[-1000:]
    with png.open("rb") as fh:
        assert fh.read(8) == b"\x89PNG\r\n\x1a\n"
        fh.read(8)
        assert struct.unpack(">II", fh.read(8)) == (1280, 2000)
    assert png.stat().st_size > 10_000
    colors = {c for _, c in Image.open(png).convert("RGB").getcolors(1_000_000) or []}
    assert (221, 0, 0) in colors  # the red outline of the negated mark
    assert (240, 208, 255) in colors  # the DECISION mark's background

    checked = tmp_path / "checked.html"
    checked.write_text(html.replace("</body>", CHECK_SCRIPT), encoding="utf-8")
    dom = dump_dom(checked, tmp_path / "profile")
    (body,) = dom.find("body")
    check = json.loads(body["data-check"])
    assert check["negDecoration"] == "line-through" and check["negColor"] == "rgb(221, 0, 0)"
    assert check["rows"] == 1 and check["tableHeight"] > 20
    assert check["marksShown"] == 5

    (negated,) = dom.find("mark", "imr-ent imr-negated")
    assert negated["title"] == "FINDING; negated (trigger: showed no)"
    assert len(dom.find("mark", "imr-ent")) == 5
    assert len(dom.find("tr", "imr-decision")) == 1
    assert [s["data-title"] for s in dom.find("section", "imr-section")] == [
        "CLINICAL CASE SUMMARY",
        "IMR ISSUES, DECISIONS AND RATIONALES",
    ]
    assert dom.find("td", "outcome-overturned")


def test_show_command_on_a_real_letter(nlp: Language, tmp_path: Path) -> None:
    model = tmp_path / "model"
    nlp.to_disk(model)
    page = ARTIFACTS / "show_CM16-0213037.html"
    ARTIFACTS.mkdir(exist_ok=True)
    result = CliRunner().invoke(app, ["show", str(LETTER_PDF), "-o", str(page), "--model", str(model)])
    assert result.exit_code == 0, result.output
    from imr_spacy.inputs import read_text_file

    doc = nlp(read_text_file(LETTER_PDF))
    dom = dump_dom(page, tmp_path / "profile")
    assert len(dom.find("mark", "imr-ent")) == len(doc.ents)
    assert len(dom.find("table", id="decisions")) == 1
    rows = dom.find("tr", "imr-decision") or dom.find("tr", "imr-empty")
    assert len(rows) == max(1, len(doc._.decisions))
    assert len(dom.find("section", "imr-section")) == len(section_blocks(doc))
    assert len(dom.find("mark", "imr-ent imr-negated")) == sum(1 for e in doc.ents if e._.is_negated)


def test_show_rejects_an_unreadable_letter(nlp: Language, tmp_path: Path) -> None:
    model = tmp_path / "model"
    nlp.to_disk(model)
    bad = ROOT / "tests" / "data" / "bad" / "encrypted.pdf"
    result = CliRunner().invoke(app, ["show", str(bad), "-o", str(tmp_path / "p.html"), "--model", str(model)])
    assert result.exit_code == 1 and "encrypted PDF" in result.stderr
    assert not (tmp_path / "p.html").exists()
    lines = ROOT / "tests" / "data" / "bad" / "bad_lines.jsonl"
    result = CliRunner().invoke(app, ["show", str(lines), "-o", str(tmp_path / "p.html"), "--model", str(model)])
    assert result.exit_code == 2 and "must be a .txt or .pdf" in result.stderr


def test_section_blocks_cover_the_text_without_gaps() -> None:
    doc = synthetic_letter()
    blocks = section_blocks(doc)
    assert blocks[0][0] == 0 and blocks[-1][1] == len(doc.text)
    assert all(a[1] == b[0] for a, b in itertools.pairwise(blocks))


def test_example_notebook_is_valid_nbformat_4() -> None:
    nb = json.loads(NOTEBOOK.read_text(encoding="utf-8"))
    assert nb["nbformat"] == 4 and nb["nbformat_minor"] >= 4
    assert nb["metadata"]["kernelspec"]["language"] == "python"
    code = [c for c in nb["cells"] if c["cell_type"] == "code"]
    assert code and all(c["outputs"] == [] and c["execution_count"] is None for c in code)
    source = "\n".join("".join(c["source"]) for c in code)
    for needed in ('spacy.load("en_imr_pipeline")', "doc._.decisions", "pd.DataFrame", "displacy.render"):
        assert needed in source
    for cell in code:
        compile("".join(cell["source"]), "<cell>", "exec")
    for cell in nb["cells"]:
        assert {"cell_type", "metadata", "source"} <= set(cell)
