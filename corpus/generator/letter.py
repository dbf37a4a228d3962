"""One synthetic IMR final determination letter, annotated by construction.

:func:`make_letter` draws a case (patient, injury, body regions, diagnoses, treatments, the
disputed items and their outcomes), writes it through the clause grammar of
``data/grammar.json`` and the slot functions below, and lays it out in the older or newer
letter format. Every entity, attribute and decision comes from the construction.
"""

from __future__ import annotations

import datetime as dt
import random
import re
from dataclasses import dataclass, field
from typing import Any

from .builder import Block, Frag, layout
from .grammar import capitalize, expand
from .vocab import Pools, load, pools

GRAMMAR: dict[str, list[str]] = {k: v for k, v in load("grammar").items() if not k.startswith("_")}
REGIONS: dict[str, dict[str, Any]] = load("regions")["regions"]
FINDINGS = load("findings")
EVIDENCE = load("evidence")["entries"]
GUIDE = load("guidelines")
MISC = load("misc")

HOW = "HOW THE IMR FINAL DETERMINATION WAS MADE"
REMAINING = "The remaining IMR eligible portion of the original request, "
CCS = "CLINICAL CASE SUMMARY"
ISSUES = "IMR ISSUES, DECISIONS AND RATIONALES"

NUM_WORDS = ["zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten", "eleven", "twelve"]
OPEN = ("DIAGNOSIS", "TREATMENT", "FINDING", "EVIDENCE")
SPECIAL_STUDY_KINDS = ("imaging", "surgery", "injection")

# --------------------------------------------------------------------------- dates


def fmt_date(d: dt.date, style: int) -> str:
    """A date as letters write it (style picks the form)."""
    m, day, y = d.month, d.day, d.year
    forms = [
        f"{m:02d}/{day:02d}/{y}",
        f"{m}/{day}/{y % 100:02d}",
        f"{m:02d}-{day:02d}-{y % 100:02d}",
        f"{m}-{day}-{y % 100:02d}",
        f"{d:%B} {day}, {y}",
        f"{d:%B} {day:02d}, {y}",
        f"{m}/{day}/{y}",
        f"{m:02d}/{day:02d}/{y % 100:02d}",
        f"{m:02d}-{day:02d}-{y}",
        f"{d:%b}. {day}, {y}",
    ]
    return forms[style % len(forms)]


def fmt_month(d: dt.date, style: int) -> str:
    forms = [f"{d:%B} {d.year}", f"{d.month:02d}/{d.year}", f"{d.month}-{d.year}", f"{d:%B}, {d.year}"]
    return forms[style % len(forms)]


# --------------------------------------------------------------------------- case model


@dataclass
class Item:
    """One disputed item."""

    kind: str  # therapy imaging test injection surgery device program referral drug compound
    tx: str  # the TREATMENT text
    cls: str  # guideline section key
    site: str | None = None
    region: str | None = None
    count: tuple[int, int] | None = None  # total visits (min, max)
    qty: str = ""
    outcome: str = "upheld"
    modified: bool = False


@dataclass
class Case:
    fmt: str
    split: str
    rng: random.Random
    pools: Pools
    age: int = 40
    sex: str = "male"
    patient: str = "patient"
    regions: list[tuple[str, str | None]] = field(default_factory=list)  # (region, side)
    diagnoses: list[dict[str, Any]] = field(default_factory=list)
    imaging_dx: list[dict[str, Any]] = field(default_factory=list)
    prior_tx: list[dict[str, Any]] = field(default_factory=list)
    meds: list[dict[str, Any]] = field(default_factory=list)
    items: list[Item] = field(default_factory=list)
    injury: dt.date = dt.date(2012, 1, 1)
    report: dt.date = dt.date(2014, 1, 1)
    request: dt.date = dt.date(2014, 1, 5)
    ur: dt.date = dt.date(2014, 2, 1)
    assigned: dt.date = dt.date(2014, 3, 1)
    decided: dt.date = dt.date(2014, 4, 1)
    date_style: int = 0


class Writer:
    """Slot functions over a case; ``mode`` holds the ConText flags of the clause being written."""

    def __init__(self, case: Case) -> None:
        self.c = case
        self.rng = case.rng
        self.mode: dict[str, bool] = {"hist": False, "hyp": False}
        self.item_k = 0  # the item whose rationale is being written
        self.dx_cursor = 0
        self.sx_used: list[str] = []

    # ---- helpers
    def r(self, seq: list[Any] | tuple[Any, ...]) -> Any:
        return self.rng.choice(seq)

    def open_attrs(self, neg: bool = False) -> dict[str, Any]:
        return {"is_negated": neg, "is_historical": self.mode["hist"], "is_hypothetical": self.mode["hyp"]}

    def ent(self, text: str, label: str, neg: bool = False, **extra: Any) -> Frag:
        attrs: dict[str, Any] = {}
        if label in OPEN:
            attrs.update(self.open_attrs(neg))
        attrs.update({k: v for k, v in extra.items() if k != "tag"})
        return Frag(text, label, attrs, tag=extra.get("tag"))

    def annotate(self, text: str, label: str, flags: tuple[str, ...]) -> Frag:
        if label.startswith("VC"):
            lo, _, hi = label[2:].partition("-")
            return self.ent(text, "VISIT_COUNT", count_min=int(lo), count_max=int(hi or lo))
        return self.ent(text, label, neg="neg" in flags)

    def x(self, template: str) -> list[Frag]:
        return expand(template, self.rng, self.slot, self.annotate)

    def clause(self, kind: str, **mode: bool) -> list[Frag]:
        saved = dict(self.mode)
        self.mode.update(mode)
        try:
            return self.x(self.r(GRAMMAR[kind]))
        finally:
            self.mode = saved

    # ---- pronouns and people
    def he(self) -> str:
        return "he" if self.c.sex == "male" else "she"

    def his(self) -> str:
        return "his" if self.c.sex == "male" else "her"

    # ---- dates
    def date(self, role: str, month: bool = False) -> list[Frag]:
        c = self.c
        base = {"injury": c.injury, "report": c.report, "request": c.request, "ur": c.ur}.get(role)
        if base is None or (role == "report" and self.rng.random() < 0.3):
            lo = c.injury
            span = max(1, (c.ur - lo).days)
            base = lo + dt.timedelta(days=self.rng.randint(0, span))
        role_name = {"ur": "utilization_review"}.get(role, role)
        style = c.date_style if self.rng.random() < 0.7 else self.rng.randint(0, 9)
        if month:
            text, iso = fmt_month(base, self.rng.randint(0, 3)), f"{base.year}-{base.month:02d}"
        else:
            text, iso = fmt_date(base, style), base.isoformat()
        return [self.ent(text, "DATE", iso=iso, date_role=role_name)]

    # ---- diagnoses
    def dx_text(self, e: dict[str, Any], side: str | None = None) -> tuple[str, str | None]:
        text = e["text"]
        code = e.get("icd10")
        if "{side}" in text:
            side = side or self.r(["left", "right"])
            text = text.replace("{side}", side)
            code = code.get(side) if isinstance(code, dict) else None
        elif isinstance(code, dict):
            code = None
        return text, code

    def dx_frag(self, e: dict[str, Any], *, neg: bool = False, cap: bool = False, title: bool = False) -> list[Frag]:
        side = self.side_for(e["region"])
        text, code = self.dx_text(e, side)
        pre, post = "", ""
        roll = self.rng.random()
        if roll < 0.12 and e["kind"] in ("condition", "symptom") and not text.startswith(("chronic", "acute")):
            text = self.r(["chronic ", "mild ", "moderate ", "severe ", "acute "]) + text
        elif roll < 0.18 and e["kind"] == "symptom":
            pre = self.r(["constant ", "persistent ", "intermittent ", "increased ", "ongoing "])
        if self.rng.random() < 0.05 and e["kind"] != "imaging":
            post = self.r([", unspecified", ", initial encounter", ", subsequent encounter"])
        if title:
            text = " ".join(w[:1].upper() + w[1:] if w.isalpha() else w for w in text.split(" "))
        elif cap and not pre:
            text = text[:1].upper() + text[1:]
        if cap and pre:
            pre = pre[:1].upper() + pre[1:]
        extra = {"icd10": code} if code else {}
        return [Frag(pre), self.ent(text, "DIAGNOSIS", neg=neg, **extra), Frag(post)]

    def side_for(self, region: str) -> str | None:
        for reg, side in self.c.regions:
            if reg == region:
                return side
        return self.r(["left", "right"])

    def next_dx(self) -> dict[str, Any]:
        dxs = self.c.diagnoses
        e = dxs[self.dx_cursor % len(dxs)]
        self.dx_cursor += 1
        return e

    def dxlist(self, style: str) -> list[Frag]:
        dxs = list(self.c.diagnoses)
        self.rng.shuffle(dxs)
        n = min(len(dxs), self.rng.randint(2, 5))
        chosen = dxs[:n]
        out: list[Frag] = []
        if style == "numbered":
            title = self.rng.random() < 0.2
            hist_at = self.rng.randrange(n) if self.rng.random() < 0.3 else -1
            for i, e in enumerate(chosen):
                out.append(Frag(f"{i + 1}. " if i == 0 else f" {i + 1}. "))
                if i == hist_at and e["kind"] in ("condition", "injury"):
                    out.append(Frag("History of "))
                    saved = dict(self.mode)
                    self.mode["hist"] = True
                    out.extend(self.dx_frag(e, title=title))
                    self.mode = saved
                else:
                    out.extend(self.dx_frag(e, cap=True, title=title))
                out.append(Frag("."))
            return out
        sep = "; " if style == "semi" else ", "
        for i, e in enumerate(chosen):
            if i:
                last = i == n - 1
                if last:
                    out.append(Frag(self.r([f"{sep}and ", " and "]) if n > 2 else " and "))
                else:
                    out.append(Frag(sep))
            out.extend(self.dx_frag(e))
        return out

    def symptom(self) -> list[Frag]:
        syms = [e for e in self.c.diagnoses if e["kind"] == "symptom"] or self.c.diagnoses
        fresh = [e for e in syms if e["text"] not in self.sx_used]
        e = self.r(fresh or syms)
        self.sx_used.append(e["text"])
        frags = self.dx_frag(e)
        roll = self.rng.random()
        region = e["region"]
        if region in ("lumbar", "hip") and roll < 0.5:
            frags.append(Frag(self.r([" radiating to the ", " that radiates down the ", " with radiation into the "])))
            frags.append(
                Frag(self.r(["left leg", "right leg", "bilateral lower extremities", "buttocks", "left foot"]))
            )
        elif region == "cervical" and roll < 0.5:
            frags.append(Frag(self.r([" radiating to the ", " that radiates into the ", " with radiation to the "])))
            frags.append(Frag(self.r(["shoulders", "left arm", "right upper extremity", "bilateral hands"])))
        elif roll < 0.25:
            frags.append(Frag(" and "))
            e2 = self.r(self.c.pools.diagnoses)
            if e2["kind"] == "symptom":
                frags.extend(self.dx_frag(e2))
            else:
                frags.append(self.ent("stiffness", "DIAGNOSIS"))
        return frags

    # ---- findings
    def fill(self, template: str, region: str | None = None) -> str:
        reg_name, side = self.r(self.c.regions)
        region = region or reg_name
        reg = REGIONS[region]
        site = self.r(reg["sites"]).replace("{side}", side or "left")
        vals = {
            "{site}": site,
            "{palp}": self.r(reg["palpation"]),
            "{test}": self.r(reg["tests"]),
            "{derm}": self.r(reg["dermatomes"]),
            "{limb}": reg["limb"],
            "{side}": side or "left",
            "{side2}": self.r(["left", "right"]),
            "{adj}": reg["adj"],
            "{deg}": str(self.r([30, 45, 60, 90, 110, 120, 130, 150])),
        }
        for k, v in vals.items():
            template = template.replace(k, v)
        return template

    def finding(self, kind: str = "pos", cap: bool = False) -> list[Frag]:
        t = self.fill(self.r(FINDINGS[kind]))
        m = re.match(r"^(.*?)\[\[(.*?)\]\](.*)$", t)
        assert m, t
        pre, inner, post = m.groups()
        if cap:
            if pre:
                pre = pre[:1].upper() + pre[1:]
            else:
                inner = inner[:1].upper() + inner[1:]
        return [Frag(pre), self.ent(inner, "FINDING"), Frag(post)]

    def neg_finding(self, cap: bool = False, after: bool = False) -> list[Frag]:
        t = self.fill(self.r(FINDINGS["neg_after" if after else "neg"]))
        if cap:
            t = t[:1].upper() + t[1:]
        return [self.ent(t, "FINDING", neg=True)]

    def reflex_clause(self) -> list[Frag]:
        """A reflex sentence: REFLEX_GRADE with reflex name and side as written."""
        grades = [
            ("2+", "2+"),
            ("1+", "1+"),
            ("1 +", "1+"),
            ("+2", "2+"),
            ("2+/4", "2+"),
            ("1+/4", "1+"),
            ("2/2", "2"),
            ("2 of 4", "2"),
            ("absent", "absent"),
            ("trace", "trace"),
            ("3+", "3+"),
            ("0", "0"),
            ("+1", "1+"),
            ("1/4", "1"),
        ]
        gtext, grade = self.r(grades)
        regions = [r for r, _ in self.c.regions if REGIONS[r]["reflexes"]] or ["lumbar"]
        region = self.r(regions)
        names = REGIONS[region]["reflexes"]
        name = self.r(names)
        limb = REGIONS[region]["limb"]
        bil = [
            (" bilaterally", "bilateral"),
            (" and symmetric", "bilateral"),
            (" and equal bilaterally", "bilateral"),
            (" symmetrically", "bilateral"),
            (f" in the {limb}", None),
            (" throughout", None),
        ]
        shown = "Achilles" if name == "achilles" else name
        form = self.rng.randint(0, 5)
        if form == 0:
            tail, side = self.r(bil)
            lead = self.r(["Deep tendon reflexes were ", "DTRs were ", "Deep tendon reflexes are ", "DTRs are "])
            return [
                Frag(lead),
                self.ent(gtext, "REFLEX_GRADE", reflex="deep tendon", grade=grade, side=side, is_negated=False),
                Frag(tail + "."),
            ]
        if form == 1:
            tail, side = self.r(bil)
            lead = self.r(
                [
                    f"{shown.capitalize()} reflexes were ",
                    f"The {shown} reflexes are ",
                    f"{shown.capitalize()} reflexes measured ",
                ]
            )
            return [
                Frag(lead),
                self.ent(gtext, "REFLEX_GRADE", reflex=name, grade=grade, side=side, is_negated=False),
                Frag(tail + "."),
            ]
        if form == 2:
            side = self.r(["left", "right"])
            lead = self.r([f"The {side} {shown} reflex was ", f"{side.capitalize()} {shown} reflex is "])
            return [
                Frag(lead),
                self.ent(gtext, "REFLEX_GRADE", reflex=name, grade=grade, side=side, is_negated=False),
                Frag("."),
            ]
        if form == 3:
            side = self.r(["left", "right"])
            lead = self.r([f"{shown.capitalize()} reflex was ", f"The {shown} reflex is "])
            return [
                Frag(lead),
                self.ent(gtext, "REFLEX_GRADE", reflex=name, grade=grade, side=side, is_negated=False),
                Frag(f" on the {side}."),
            ]
        if form == 4:
            others = [n for r in regions for n in REGIONS[r]["reflexes"] if n != name] or [
                "triceps" if name != "triceps" else "biceps"
            ]
            other = self.r(others)
            other = "Achilles" if other == "achilles" else other
            tail, side = self.r(bil[:4])
            return [
                Frag(f"{shown.capitalize()} and {other} reflexes were "),
                self.ent(gtext, "REFLEX_GRADE", reflex=None, grade=grade, side=side, is_negated=False),
                Frag(tail + "."),
            ]
        tail, side = self.r(bil)
        return [
            Frag(self.r(["Reflexes were ", "Reflexes are "])),
            self.ent(gtext, "REFLEX_GRADE", reflex=None, grade=grade, side=side, is_negated=False),
            Frag(tail + "."),
        ]

    # ---- treatments
    def tx_frag(self, e: dict[str, Any], with_site: bool = True) -> list[Frag]:
        """A procedure/test/therapy name as a TREATMENT span (imaging keeps its 'of the site')."""
        text = e["text"]
        kind = e["kind"]
        placed = _place(e, self.c)
        region, side = placed or self.c.regions[0]
        if kind == "imaging" and with_site:
            reg, side = placed or self.r(self.c.regions)
            site = self.r(REGIONS[reg]["sites"]).replace("{side}", side or "left")
            text = f"{text} of the {site}"
        elif kind == "injection" and REGIONS[region]["levels"] and self.rng.random() < 0.4:
            text = f"{text} at {self.r(REGIONS[region]['levels'])}"
        elif kind in ("injection", "surgery") and side and e.get("sited", True) and self.rng.random() < 0.4:
            text = _sided(text, side, region)
        return [self.ent(text, "TREATMENT")]

    def drug_text(self, e: dict[str, Any]) -> str:
        strength = self.r(e["strengths"])
        return f"{e['name']} {strength}".strip() if strength else e["name"]

    def compound_text(self, e: dict[str, Any]) -> str:
        base = e["base"]
        tail = self.r([f" in {base} base", f" {base}", f" topical {base}", f" compounded {base}"])
        return ", ".join(e["parts"]) + tail

    def txlist(self) -> list[Frag]:
        procs = [p for p in self.c.prior_tx]
        n = min(len(procs), self.rng.randint(2, 5))
        out: list[Frag] = []
        for i, p in enumerate(procs[:n]):
            if i:
                out.append(
                    Frag(", and " if i == n - 1 and self.rng.random() < 0.6 else (" and " if i == n - 1 else ", "))
                )
            if p.get("drug"):
                out.append(self.ent(p["name"], "TREATMENT"))
            else:
                out.extend(self.tx_frag(p))
        return out

    def medlist(self) -> list[Frag]:
        meds = self.c.meds
        out: list[Frag] = []
        for i, d in enumerate(meds):
            if i:
                out.append(Frag(", and " if i == len(meds) - 1 and self.rng.random() < 0.5 else ", "))
            out.append(self.ent(self.drug_text(d), "TREATMENT"))
            if self.rng.random() < 0.25:
                out.append(
                    Frag(
                        self.r([" #60", " #30", " #90", " 1 tablet by mouth twice daily", " as needed", " at bedtime"])
                    )
                )
        return out

    # ---- counts
    def count_phrase(self, lo: int, hi: int, form: str | None = None) -> list[Frag]:
        """A VISIT_COUNT phrase for a total of lo..hi visits."""
        n = lo
        forms = ["x", "xn", "sessions", "visits", "words", "perweek", "AxB", "qty", "times", "treatments"]
        form = form or self.r(forms)
        if lo != hi:
            return [self.ent(f"{lo}-{hi} visits", "VISIT_COUNT", count_min=lo, count_max=hi)]
        if form in ("perweek", "AxB"):
            pairs = [(a, b) for a in (1, 2, 3) for b in (2, 3, 4, 6, 8) if a * b == n]
            if not pairs:
                form = "sessions"
            else:
                a, b = self.r(pairs)
                if form == "AxB":
                    text = self.r([f"{a}x{b}", f"{a} x {b}"])
                else:
                    aw = self.r([str(a), NUM_WORDS[a]])
                    bw = self.r([str(b), NUM_WORDS[b]]) if b <= 12 else str(b)
                    text = self.r(
                        [
                            f"{aw} times a week for {bw} weeks",
                            f"{aw} times per week for {bw} weeks",
                            f"{aw} times a week times {bw} weeks",
                            f"{aw} times weekly for {bw} weeks",
                        ]
                    )
                return [self.ent(text, "VISIT_COUNT", count_min=n, count_max=n)]
        text = {
            "x": f"x {n}",
            "xn": f"x{n}",
            "sessions": f"{n} sessions",
            "visits": f"{n} visits",
            "treatments": f"{n} treatments",
            "words": f"{NUM_WORDS[n] if n <= 12 else n} sessions",
            "qty": f"QTY: {n}",
            "times": f"times {n}",
        }[form]
        return [self.ent(text, "VISIT_COUNT", count_min=n, count_max=n)]

    # ---- items
    def item_frags(self, item: Item, style: str = "line") -> list[Frag]:
        """An item as written on its decision line (style 'line') or restated in prose ('prose')."""
        out: list[Frag] = []
        r = self.rng.random()
        site = item.site
        if item.kind == "therapy" and item.count:
            lo, hi = item.count
            pre = (
                self.r(["", "", "Additional ", "Continued ", "Outpatient "])
                if style == "line"
                else self.r(["", "additional "])
            )
            tx = item.tx if style != "line" or pre else item.tx[:1].upper() + item.tx[1:]
            if pre:
                out.append(Frag(pre))
            if r < 0.3 and lo == hi:
                # "12 sessions of physical therapy for the lumbar spine"
                count = self.count_phrase(lo, hi, self.r(["sessions", "visits", "treatments", "words"]))
                if style == "line":
                    count = capitalize(count) if not pre else count
                out = ([Frag(pre)] if pre else []) + count + [Frag(" of "), self.ent(item.tx, "TREATMENT")]
                if site:
                    out.append(Frag(f" for the {site}"))
            elif r < 0.4 and lo == hi and lo <= 12:
                word = NUM_WORDS[lo] if self.rng.random() < 0.6 else str(lo)
                if style == "line" and not pre:
                    word = word.capitalize()
                out = ([Frag(pre)] if pre else []) + [
                    self.ent(word, "VISIT_COUNT", count_min=lo, count_max=hi),
                    Frag(" "),
                    self.ent(item.tx, "TREATMENT"),
                    Frag(" sessions"),
                ]
                if site:
                    out.append(Frag(f" for the {site}"))
            else:
                out.append(self.ent(tx, "TREATMENT"))
                if site and self.rng.random() < 0.5:
                    out.append(Frag(self.r([f" for the {site}", f" to the {site}", f", {site},"])))
                    out.append(Frag(" "))
                    out.extend(self.count_phrase(lo, hi))
                else:
                    out.append(Frag(self.r([" ", ", "])))
                    out.extend(self.count_phrase(lo, hi))
                    if site:
                        out.append(Frag(self.r([f" for the {site}", f" to the {site}", f", {site}"])))
            return out
        name = item.tx
        if style == "line":
            name = name[:1].upper() + name[1:]
        out.append(self.ent(name, "TREATMENT"))
        if item.kind in ("drug", "compound") and item.qty and style == "line":
            out.append(Frag(" " + item.qty))
        elif item.kind == "device" and style == "line" and self.rng.random() < 0.3:
            out.append(Frag(self.r([" for purchase", " rental", " (purchase)", " for home use"])))
        elif item.kind in ("referral", "injection") and item.count and style == "line":
            out.append(Frag(" "))
            out.extend(self.count_phrase(item.count[0], item.count[1], self.r(["x", "qty", "xn"])))
        return out

    def req(self) -> list[Frag]:
        items = self.c.items[:]
        n = min(len(items), self.rng.randint(1, 3))
        out: list[Frag] = []
        for i, it in enumerate(items[:n]):
            if i:
                out.append(Frag(", and " if i == n - 1 else ", "))
            out.extend(self.item_frags(it, "prose"))
        return out

    def recommendation(self, item: Item) -> list[Frag]:
        """What a guideline recommends for the item (grammar keys rec_<kind>, rec_<drug class>, rec_default)."""
        for key in (f"rec_{item.kind}", f"rec_{item.cls}"):
            if key in GRAMMAR:
                return self.x(self.r(GRAMMAR[key]))
        return self.x(GRAMMAR["rec_default"][0])

    def rec_statement(self, item: Item) -> list[Frag]:
        return self.x(self.r(GRAMMAR["rec_stmt"]))

    # ---- evidence
    def evidence(self, neg: bool, cap: bool = False, nodet: bool = False) -> list[Frag]:
        e = self.r(EVIDENCE)
        det = "" if nodet and e["det"] in ("a", "an", "the") else e["det"]
        text = e["text"]
        pre = f"{det} " if det else ""
        if cap:
            if pre:
                pre = pre[:1].upper() + pre[1:]
            else:
                text = text[:1].upper() + text[1:]
        return [Frag(pre), self.ent(text, "EVIDENCE", neg=neg)]

    def evidence_neg_other(self) -> list[Frag]:
        """'There is no evidence of X' where X keeps its own label (a sign, diagnosis or test)."""
        roll = self.rng.random()
        if roll < 0.4:
            return self.neg_finding()
        if roll < 0.7:
            e = self.r(self.c.pools.diagnoses)
            return self.dx_frag(e, neg=True)[1:2]
        procs = [p for p in self.c.pools.procedures if p["kind"] in ("therapy", "injection", "program")]
        p = self.r(_fitting(procs, self.c))
        return [self.ent(p["text"], "TREATMENT", neg=True)]

    # ---- guideline cites
    def cite(self, args: tuple[str, ...]) -> list[Frag]:
        item = self.c.items[self.item_k] if self.c.items else None
        mode = args[0] if args else "r"
        tag = None if mode in ("rx", "plain", "ca") else f"dcite:{self.item_k}"
        cls = item.cls if item else "other"
        region = item.region if item and item.region else self.c.regions[0][0]
        return self._cite_form(mode, cls, region, tag)

    def _cite(self, text: str, guideline: str, pages: list[int], tag: str | None) -> Frag:
        return self.ent(text, "GUIDELINE_CITE", guideline=guideline, pages=pages, tag=tag)

    def _pages(self) -> tuple[str, list[int]]:
        text, pages = self.r(GUIDE["pain_pages"])
        if pages is None:
            a, b = (int(x) for x in text.split("-"))
            pages = list(range(a, b + 1))
        return text, pages

    def _cite_form(self, mode: str, cls: str, region: str, tag: str | None) -> list[Frag]:
        older = self.c.fmt == "older"
        sec = self.r(GUIDE["sections_by_kind"].get(cls, GUIDE["sections_by_kind"]["other"]))
        chapter = REGIONS[region]["mtus"]
        odg = REGIONS[region]["odg"]
        if mode in ("max", "ca"):
            forms: list[str] = []
            if older:
                forms += ["pages", "acoem", "odgchap", "pain_pages2"]
            else:
                forms += ["chapter2004", "chronic2016", "chronic2016", "odgnon"]
                if cls == "therapy":
                    forms.append("acu2007")
            form = self.r(forms)
        else:
            form = self.r(
                [
                    "mtus_g",
                    "ca_mtus",
                    "mtus_acoem",
                    "the_mtus",
                    "pages",
                    "page",
                    "odg",
                    "odg_full",
                    "acoem_ch",
                    "odgchap",
                    "cal2016",
                    "chronic_title",
                    "mtus_acoem2",
                ]
            )
        if form == "chapter2004":
            year = "2007" if chapter == "Elbow Disorders" else "2004"
            return [
                self._cite(
                    f"MTUS {chapter} {year}, Section(s): {sec if cls in SPECIAL_STUDY_KINDS else 'Special Studies'}",
                    "MTUS",
                    [],
                    tag,
                )
            ]
        if form == "chronic2016":
            return [self._cite(f"MTUS Chronic Pain Medical Treatment 2016, Section(s): {sec}", "MTUS", [], tag)]
        if form == "acu2007":
            return [self._cite("MTUS Acupuncture Treatment 2007", "MTUS", [], tag)]
        if form == "odgnon":
            f1 = [
                Frag(
                    "The Expert Reviewer based their decision on recommendation(s) outside of the "
                    if mode == "max"
                    else "The Claims Administrator based their decision on recommendation(s) outside of the "
                ),
                self._cite("MTUS Guidelines", "MTUS", [], None),
                Frag(". Decision based on Non-MTUS Citation "),
            ]
            odg_text = self.r(
                [
                    f"Official Disability Guidelines (ODG), {odg} Chapter",
                    f"Official Disability Guidelines, {odg} (Acute & Chronic)",
                    f"ODG, {odg} Chapter",
                ]
            )
            if self.rng.random() < 0.3:
                f1.append(self._cite(odg_text, "ODG", [], tag))
                f1.append(Frag(" (updated "))
                f1.extend(self.date("other"))
                f1.append(Frag(")"))
            else:
                # the section name is part of the cite (SCHEMA: through its last section name)
                sect = f", {self.r(GUIDE['odg_sections'])}" if self.rng.random() < 0.5 else ""
                f1.append(self._cite(odg_text + sect, "ODG", [], tag))
            f1.append(Frag("::NODECISIONPREFIX"))
            return f1
        if form in ("pages", "pain_pages2"):
            ptxt, pages = self._pages()
            title = self.r(GUIDE["pain_titles"])
            lead = (
                self.r(["Page(s): ", "page(s) ", "pages ", ", pages ", ", Page(s): "])
                if "-" in ptxt
                else self.r(["page ", ", page ", "Page(s): "])
            )
            if not lead.startswith(","):
                lead = " " + lead
            return [self._cite(f"MTUS {title}{lead}{ptxt}", "MTUS", pages, tag)]
        if form == "page":
            ptxt, pages = self.r([("8", [8]), ("9", [9]), ("22", [22]), ("49", [49]), ("113", [113])])
            return [self._cite(f"MTUS page {ptxt}", "MTUS", pages, tag)]
        if form == "acoem":
            ch, pg = self.r(GUIDE["acoem"])
            pages = _expand_pages(pg)
            text = self.r(
                [
                    f"ACOEM Practice Guidelines, 2nd Edition (2004), Chapter {ch}, page {pg}",
                    f"ACOEM Guidelines, Chapter {ch}, page {pg}",
                    f"American College of Occupational and Environmental Medicine (ACOEM), Chapter {ch}, pages {pg}",
                ]
            )
            if "-" not in pg:
                text = text.replace("pages", "page")
            return [self._cite(text, "ACOEM", pages, tag)]
        if form == "acoem_ch":
            ch, pg = self.r(GUIDE["acoem"])
            return (
                [self._cite(f"ACOEM Chapter {ch}", "ACOEM", [], tag)]
                if self.rng.random() < 0.5
                else [self._cite("ACOEM", "ACOEM", [], tag), Frag(" guidelines")]
            )
        if form == "odgchap":
            return [
                self._cite(
                    self.r(
                        [f"ODG, {odg} Chapter", f"Official Disability Guidelines, {odg} Chapter", f"ODG {odg} Chapter"]
                    ),
                    "ODG",
                    [],
                    tag,
                )
            ]
        if form == "odg":
            return [Frag(self.r(["the ", ""])), self._cite("ODG", "ODG", [], tag)]
        if form == "odg_full":
            return [
                Frag("the "),
                self._cite(
                    self.r(["Official Disability Guidelines", "Official Disability Guidelines (ODG)"]), "ODG", [], tag
                ),
            ]
        if form == "mtus_g":
            return [
                Frag(self.r(["the ", ""])),
                self._cite(self.r(["MTUS guidelines", "MTUS Guidelines", "MTUS"]), "MTUS", [], tag),
            ]
        if form == "ca_mtus":
            return [
                Frag(self.r(["the ", ""])),
                self._cite(self.r(["CA MTUS", "California MTUS", "CA MTUS guidelines"]), "MTUS", [], tag),
            ]
        if form == "mtus_acoem":
            return [
                self._cite(
                    self.r(["CA MTUS/ACOEM Guidelines", "MTUS/ACOEM", "MTUS/ACOEM guidelines", "CA MTUS ACOEM"]),
                    "MTUS",
                    [],
                    tag,
                )
            ]
        if form == "mtus_acoem2":
            return (
                [
                    Frag("the "),
                    self._cite("MTUS", "MTUS", [], tag),
                    Frag(" and "),
                    self._cite(self.r(["ODG", "ODG guidelines", "ACOEM"]), "ODG", [], tag),
                ]
                if self.rng.random() < 0.5
                else [self._cite("CA MTUS", "MTUS", [], tag), Frag(" and "), self._cite("ODG", "ODG", [], tag)]
            )
        if form == "the_mtus":
            return [Frag("the "), self._cite("MTUS", "MTUS", [], tag)]
        if form == "cal2016":
            return [
                Frag("the "),
                self._cite(
                    self.r(
                        [
                            "California MTUS 2016 Chronic Pain Guidelines",
                            "CA MTUS Chronic Pain Medical Treatment Guidelines",
                        ]
                    ),
                    "MTUS",
                    [],
                    tag,
                ),
            ]
        if form == "chronic_title":
            return [
                Frag("the "),
                self._cite(
                    self.r(
                        ["Chronic Pain Medical Treatment Guidelines", "MTUS Chronic Pain Medical Treatment Guidelines"]
                    ),
                    "MTUS",
                    [],
                    tag,
                ),
            ]
        raise ValueError(form)

    # ---- slot dispatcher
    def slot(self, name: str, args: tuple[str, ...]) -> list[Frag]:
        c = self.c
        cap = "cap" in args
        if name == "P":
            return [Frag(c.patient)]
        if name == "He":
            return [Frag(self.he().capitalize() if cap else self.he())]
        if name == "age":
            return [Frag(str(c.age))]
        if name == "sex":
            return [Frag(c.sex)]
        if name == "occ":
            return [Frag(self.r(MISC["occupations"]))]
        if name == "mech":
            return [Frag(self.r(MISC["mechanisms"]))]
        if name == "rk":
            return [Frag(self.r(MISC["report_kinds"]))]
        if name == "pain":
            return [Frag(str(self.rng.randint(3, 9)))]
        if name == "date":
            return self.date(args[0])
        if name == "mdate":
            return self.date(args[0], month=True)
        if name == "dxlist":
            return self.dxlist(args[0])
        if name == "dx":
            if args and args[0].startswith("img"):
                pool = [
                    e for e in c.pools.diagnoses if e["kind"] == "imaging" and e["region"] in [r for r, _ in c.regions]
                ]
                e = self.r(pool or c.imaging_dx or c.diagnoses)
                return self.dx_frag(e)
            return self.dx_frag(self.next_dx())
        if name == "hx":
            saved = dict(self.mode)
            self.mode["hist"] = True
            try:
                if args[0] == "dx":
                    e = self.r([e for e in c.pools.diagnoses if e["kind"] in ("condition", "injury", "systemic")])
                    return self.dx_frag(e)
                p = self.r(_fitting([p for p in c.pools.procedures if p["kind"] in ("surgery", "injection")], c))
                return self.tx_frag(p)
            finally:
                self.mode = saved
        if name == "sx":
            return self.symptom()
        if name == "sx2":
            return self.symptom()
        if name == "sxbare":
            bare = [e for e in c.diagnoses if e["kind"] in ("symptom", "condition")]
            return self.dx_frag(self.r(bare or c.diagnoses))[:2]  # no ", unspecified" before "type"
        if name in ("F", "Fcap"):
            return self.finding("pos", cap=name == "Fcap")
        if name in ("N", "Ncap"):
            return self.finding("normal", cap=name == "Ncap")
        if name == "NF":
            return self.neg_finding()
        if name in ("NA", "NAcap"):
            return self.neg_finding(cap=name == "NAcap", after=True)
        if name == "site":
            reg, side = self.r(c.regions)
            return [Frag(self.r(REGIONS[reg]["sites"]).replace("{side}", side or "left"))]
        if name == "limb":
            return [Frag(REGIONS[c.regions[0][0]]["limb"])]
        if name == "IMG":
            p = self.r(_fitting([p for p in c.pools.procedures if p["kind"] == "imaging"], c))
            frags = self.tx_frag(p)
            return capitalize(frags) if cap else frags
        if name == "txlist":
            saved = dict(self.mode)
            self.mode["hist"] = True
            try:
                return self.txlist()
            finally:
                self.mode = saved
        if name == "medlist":
            return self.medlist()
        if name == "REQ":
            return self.req()
        if name == "URTX":
            it = self.r(c.items)
            return [self.ent(it.tx, "TREATMENT")]
        if name == "cite":
            frags = self.cite(args)
            return [f for f in frags if f.text != "::NODECISIONPREFIX"]
        if name == "REC":
            return self.recommendation(c.items[self.item_k])
        if name == "RECSTMT":
            return self.rec_statement(c.items[self.item_k])
        if name == "TXR":
            return [self.ent(c.items[self.item_k].tx, "TREATMENT")]
        if name in ("EV", "EV2"):
            return self.evidence(neg=True, cap=cap, nodet="nodet" in args)
        if name == "EVN":
            return self.evidence_neg_other()
        if name == "EVA":
            return self.evidence(neg=False)
        if name == "COMPLETED":
            it = c.items[self.item_k]
            if it.kind == "therapy":
                n = self.rng.randint(6, 24)
                count = self.count_phrase(n, n, self.r(["sessions", "visits"]))
                return [*count, Frag(" of "), self.ent(it.tx, "TREATMENT", is_historical=True)]
            p = self.r(c.prior_tx)
            return [self.ent(p["name"] if p.get("drug") else p["text"], "TREATMENT", is_historical=True)]
        if name == "HYP":
            return self.x(self.r(GRAMMAR["hyp_cond"]))
        if name == "HEP":
            text = self.r(["home exercise program", "home exercises", "home exercise", "exercises at home"])
            return [self.ent(text, "TREATMENT")]
        if name == "HYPDX":
            return self.dx_frag(self.r(c.pools.diagnoses))
        if name == "HYPTX":
            it = c.items[self.item_k]
            return [self.ent(self.r([it.tx, "therapy", it.tx]) if it.kind == "therapy" else it.tx, "TREATMENT")]
        if name == "ITEMR":
            return self.item_frags(c.items[self.item_k], "prose")
        if name == "NEC":
            return [
                Frag(
                    "has been established"
                    if c.items[self.item_k].outcome == "overturned"
                    else "has not been established"
                )
            ]
        if name == "OUT":
            return self.outcome_phrase(c.items[self.item_k])
        raise KeyError(name)

    def outcome_phrase(self, item: Item) -> list[Frag]:
        if item.outcome == "overturned":
            return [
                self.ent("medically necessary", "DECISION", outcome="overturned"),
                Frag(self.r(["", "", " and appropriate"])),
            ]
        text = self.r(
            [
                "not medically necessary",
                "not medically necessary",
                "not medically necessary",
                "not medically appropriate",
                "not clinically indicated",
            ]
        )
        return [self.ent(text, "DECISION", outcome="upheld"), Frag(self.r(["", "", " at this time"]))]


SITE_WORDS = (
    "cervical",
    "lumbar",
    "thoracic",
    "spine",
    "shoulder",
    "knee",
    "hip",
    "wrist",
    "hand",
    "elbow",
    "ankle",
    "foot",
    "plantar",
    "carpal",
    "cubital",
    "rotator",
    "clavicle",
    "sacroiliac",
    "meniscectomy",
    "finger",
    "thumb",
    "subacromial",
    "glenohumeral",
    "trochanteric",
    "piriformis",
    "genicular",
    "occipital",
    "suprascapular",
    "intercostal",
    "femoral",
    "tarsal",
    "achilles",
    "acl",
    "tfcc",
    "cmc",
    "slap",
    "labral",
    "biceps",
    "hernia",
    "coccy",
    "dorsal compartment",
    "tibial",
    "interbody",
    "epicondyl",
    "ulnar",
    "radial",
    "tennis",
    "ankle",
)


def _has_site(text: str) -> bool:
    """Whether a procedure name already names a body site (then no site is added)."""
    low = text.lower()
    return any(w in low for w in SITE_WORDS)


def _sided(text: str, side: str, region: str) -> str:
    """``text`` with its side, and the region's adjective unless it names a site ("right lumbar ...")."""
    return f"{side} {text}" if _has_site(text) else f"{side} {REGIONS[region]['adj']} {text}"


def _own_regions(e: dict[str, Any]) -> list[str]:
    """The body regions a procedure belongs to (``region``: a name or a list; none: any region)."""
    own = e.get("region")
    return [] if own is None else [own] if isinstance(own, str) else list(own)


def _fitting(procs: list[dict[str, Any]], c: Case) -> list[dict[str, Any]]:
    """The procedures that suit the case's body regions (those without a ``region`` suit every case)."""
    names = {r for r, _ in c.regions}
    return [p for p in procs if not _own_regions(p) or names & set(_own_regions(p))] or procs


def _place(e: dict[str, Any], c: Case) -> tuple[str, str | None] | None:
    """(region, side) of the case where a region-bound procedure is done; None for unbound ones."""
    own = _own_regions(e)
    if not own:
        return None
    hits = [(r, s) for r, s in c.regions if r in own]
    return hits[0] if hits else (own[0], None)


def _expand_pages(pg: str) -> list[int]:
    if "-" in pg:
        a, b = (int(x) for x in pg.split("-"))
        return list(range(a, b + 1))
    return [int(pg)]


# --------------------------------------------------------------------------- case drawing


def _pool_choice(
    rng: random.Random, entries: list[dict[str, Any]], k: int, split_bias: float = 0.6
) -> list[dict[str, Any]]:
    """k distinct entries, favouring the split's own (non-core) terms."""
    own = [e for e in entries if e["pool"] != "core"]
    core = [e for e in entries if e["pool"] == "core"]
    out: list[dict[str, Any]] = []
    tries = 0
    if not own and not core:
        return out
    while len(out) < k and tries < 200:
        tries += 1
        src = own if own and (rng.random() < split_bias or not core) else core
        e = rng.choice(src)
        if e not in out:
            out.append(e)
    return out


def draw_case(rng: random.Random, fmt: str, split: str) -> Case:
    p = pools(split)
    c = Case(fmt=fmt, split=split, rng=rng, pools=p)
    c.age = rng.randint(24, 68)
    c.sex = rng.choice(["male", "female"])
    c.patient = rng.choice(MISC["patient_nouns_old" if fmt == "older" else "patient_nouns_new"])
    regs = rng.sample(list(REGIONS), rng.choice([1, 1, 2, 2, 3]))
    c.regions = [
        (r, rng.choice(["left", "right", "right", "left", "bilateral"]) if REGIONS[r]["sided"] else None) for r in regs
    ]
    names = [r for r, _ in c.regions]
    dx_pool = [e for e in p.diagnoses if e["region"] in names and e["kind"] != "imaging"]
    sys_pool = [e for e in p.diagnoses if e["region"] == "any"]
    c.diagnoses = _pool_choice(rng, dx_pool, rng.randint(2, 4)) + _pool_choice(rng, sys_pool, rng.randint(0, 2))
    if len(c.diagnoses) < 2:
        c.diagnoses += _pool_choice(rng, [e for e in p.diagnoses if e["kind"] != "imaging"], 2)
    c.imaging_dx = [e for e in p.diagnoses if e["kind"] == "imaging" and e["region"] in names]
    procs = _fitting([e for e in p.procedures if e["kind"] in ("therapy", "program", "injection", "device")], c)
    prior = _pool_choice(rng, procs, rng.randint(2, 4))
    drugs = _pool_choice(rng, list(p.drugs), rng.randint(2, 4))
    c.meds = drugs
    c.prior_tx = prior + [{"drug": True, "name": d["name"]} for d in drugs[:1]]
    if rng.random() < 0.3:
        c.prior_tx.append(
            {
                "kind": "therapy",
                "text": rng.choice(["conservative care", "conservative therapy", "activity modification"]),
            }
        )
    rng.shuffle(c.prior_tx)
    # timeline
    if fmt == "older":
        decided = dt.date(2013, 6, 1) + dt.timedelta(days=rng.randint(0, 560))
    else:
        decided = dt.date(2015, 3, 1) + dt.timedelta(days=rng.randint(0, 900))
    c.decided = decided
    c.assigned = decided - dt.timedelta(days=rng.randint(20, 40))
    c.ur = c.assigned - dt.timedelta(days=rng.randint(5, 30))
    c.request = c.ur - dt.timedelta(days=rng.randint(3, 20))
    c.report = c.request - dt.timedelta(days=rng.randint(0, 25))
    c.injury = c.report - dt.timedelta(days=rng.randint(40, 4000))
    c.date_style = rng.randint(0, 9)
    # items
    n_items = rng.choice([1, 1, 2, 2, 3]) if fmt == "older" else rng.choice([1, 2, 2, 3, 3, 4, 5, 6, 7])
    c.items = [draw_item(rng, c) for _ in range(n_items)]
    return c


def draw_item(rng: random.Random, c: Case) -> Item:
    p = c.pools
    region, side = rng.choice(c.regions)
    site = rng.choice(REGIONS[region]["sites"]).replace("{side}", side or "left")
    kind = rng.choice(
        [
            "therapy",
            "therapy",
            "therapy",
            "drug",
            "drug",
            "drug",
            "imaging",
            "imaging",
            "test",
            "injection",
            "surgery",
            "device",
            "program",
            "referral",
            "compound",
        ]
    )
    outcome = "overturned" if rng.random() < 0.1 else "upheld"
    if kind == "drug":
        d = _pool_choice(rng, list(p.drugs), 1)[0]
        strength = rng.choice(d["strengths"])
        tx = f"{d['name']} {strength}".strip() if strength else d["name"]
        qty = rng.choice(
            [
                "#60",
                "#30",
                "#90",
                "#120",
                "#60 with 1 refill",
                "#30 with 2 refills",
                "",
                "QTY: 60",
                "(unknown quantity)",
                "1 tablet twice daily #60",
                "",
            ]
        )
        return Item("drug", tx, d["class"], None, region, None, qty, outcome)
    if kind == "compound":
        if not p.compounds:
            kind = "therapy"
        else:
            cpd = rng.choice(p.compounds)
            tail = rng.choice([f" in {cpd['base']} base", f" {cpd['base']}", f" topical {cpd['base']}"])
            return Item(
                "compound",
                ", ".join(cpd["parts"]) + tail,
                "topical",
                None,
                region,
                None,
                rng.choice(["240g", "120g", "30g", "#1", ""]),
                outcome,
            )
    procs = [e for e in p.procedures if e["kind"] == kind] or [e for e in p.procedures if e["kind"] == "therapy"]
    e = _pool_choice(rng, _fitting(procs, c), 1)[0]
    kind = e["kind"]
    tx = e["text"]
    placed = _place(e, c)
    if placed and placed[0] != region:
        region, side = placed
        site = rng.choice(REGIONS[region]["sites"]).replace("{side}", side or "left")
    count = None
    item_site: str | None = None
    if kind == "therapy":
        n = rng.choice([4, 6, 6, 8, 8, 12, 12, 12, 16, 18, 24, 2, 3, 9, 10])
        count = (n, n) if rng.random() > 0.05 else (n, n + 2)
        item_site = site if rng.random() < 0.8 else None
    elif kind == "imaging":
        tx = f"{tx} of the {site}" if rng.random() < 0.8 else f"{tx} of {site}"
        if re.search(r"\b(MRI|CT|arthrogram|magnetic)\b", tx) and rng.random() < 0.35:
            tx += rng.choice([" without contrast", " with contrast", " without contrast"])
    elif kind == "injection":
        levels = REGIONS[region]["levels"]
        if levels and rng.random() < 0.6:
            tx = rng.choice(
                [
                    f"{tx} at {rng.choice(levels)}",
                    f"{rng.choice(['left', 'right', 'bilateral'])} {rng.choice(levels)} {tx}",
                ]
            )
        elif side:
            tx = _sided(tx, side, region)
        if rng.random() < 0.2:
            count = (rng.randint(1, 3),) * 2
    elif kind == "surgery" and side and e.get("sited", True):
        if _has_site(tx):
            tx = f"{side} {tx}" if rng.random() < 0.5 else tx
        else:
            tx = rng.choice([f"{side} {REGIONS[region]['adj']} {tx}", f"{tx} of the {site}"])
    elif kind == "referral" and rng.random() < 0.2:
        count = (rng.randint(1, 6),) * 2
    return Item(kind, tx, kind, item_site, region, count, "", outcome)


# --------------------------------------------------------------------------- the letter


def make_letter(rng: random.Random, fmt: str, split: str, doc_id: str) -> dict[str, Any]:
    """One letter as a SCHEMA gold record."""
    c = draw_case(rng, fmt, split)
    w = Writer(c)
    blocks: list[Block] = []
    older = fmt == "older"
    prefix = " " if older else " \n"
    if not older:
        blocks.extend(header_blocks(w))
    blocks.extend(how_blocks(w))
    blocks.extend(summary_blocks(w))
    blocks.extend(issues_blocks(w))
    laid = layout(blocks, fmt, rng, prefix=prefix)
    spans = []
    for s in sorted(laid.spans, key=lambda s: s.start):
        spans.append({"start": s.start, "end": s.end, "label": s.label, "attrs": s.attrs})
    decisions = []
    for k, item in enumerate(c.items):
        start, end = laid.marks[f"item{k}_start"], laid.marks[f"item{k}_end"]
        guides = [[s.start, s.end] for s in laid.spans if s.tag == f"dcite:{k}"]
        decisions.append({"item": [start, end], "outcome": item.outcome, "guidelines": sorted(guides)})
    return {
        "id": doc_id,
        "text": laid.text,
        "spans": spans,
        "decisions": decisions,
        "meta": {"format": fmt, "split": split, "source": "generated", "items": len(c.items)},
    }


def header_blocks(w: Writer) -> list[Block]:
    c = w.c
    rng = w.rng

    def d(date: dt.date, role: str) -> Frag:
        return w.ent(f"{date.month:02d}/{date.day:02d}/{date.year}", "DATE", iso=date.isoformat(), date_role=role)

    case_no = f"CM{c.decided.year % 100:02d}-{rng.randint(0, 9999999):07d}"
    received = c.ur + dt.timedelta(days=rng.randint(0, 5))
    pr = rng.choice(["Standard", "Standard", "Expedited"])
    lines = [
        [Frag(f"Case Number: {case_no}  ")],
        [Frag("Date Assigned: "), d(c.assigned, "other"), Frag(" Date of Injury:  "), d(c.injury, "injury"), Frag(" ")],
        [
            Frag("Decision Date: "),
            d(c.decided, "other"),
            Frag(" UR Denial Date:  "),
            d(c.ur, "utilization_review"),
            Frag(" "),
        ],
    ]
    if rng.random() < 0.7:
        lines += [[Frag(f"Priority:  {pr} Application ")], [Frag("Received:  ")], [d(received, "other"), Frag(" ")]]
    else:
        lines += [[Frag(f"Priority:  {pr} Application Received:  "), d(received, "other"), Frag(" ")]]
    blocks = [Block(frags, None, wrap=False, blank_after=False, end="\n") for frags in lines]
    blocks[-1].blank_after = True
    return blocks


HOW_TEXT = (
    "MAXIMUS Federal Services sent the complete case file to an expert reviewer. He/she has no affiliation with the "
    "employer, employee, providers or the claims administrator. {EXTRA}He/she has been in active clinical practice for "
    "more than five years and is currently working at least 24 hours a week in active practice. "
    "The expert reviewer was "
    "selected based on his/her clinical experience, education, background, and expertise in the same or similar "
    "specialties that evaluate and/or treat the medical condition and disputed items/{SERV}. He/she is familiar with "
    "governing laws and regulations, including the strength of evidence hierarchy that applies to Independent Medical "
    "Review determinations."
)


def how_blocks(w: Writer) -> list[Block]:
    c = w.c
    rng = w.rng
    extra = ""
    if c.fmt == "older":
        spec = rng.choice(MISC["old_specialties"])
        sub = f", has a subspecialty in {rng.choice(MISC['subspecialties'])}" if rng.random() < 0.4 else ""
        extra = f"The expert reviewer is Board Certified in {spec}{sub} and is licensed to practice in California. "
    body = HOW_TEXT.replace("{EXTRA}", extra).replace("{SERV}", rng.choice(["services", "Service", "services"]))
    blocks = [Block([Frag(HOW)], HOW, wrap=False, blank_after=c.fmt == "older"), Block([Frag(body)], HOW)]
    if c.fmt == "newer":
        cred = [
            Block([Frag("The Expert Reviewer has the following credentials:")], HOW, wrap=False, blank_after=False),
            Block([Frag(f"State(s) of Licensure: {rng.choice(MISC['states'])}")], HOW, wrap=False, blank_after=False),
            Block([Frag(f"Certification(s)/Specialty: {rng.choice(MISC['specialties'])}")], HOW, wrap=False),
        ]
        blocks += cred
    return blocks


def _para(w: Writer, kinds: list[tuple[str, dict[str, bool]]]) -> list[Frag]:
    frags: list[Frag] = []
    for kind, mode in kinds:
        if frags:
            frags.append(Frag(" "))
        if kind == "reflex":
            frags.extend(w.reflex_clause())
        else:
            frags.extend(capitalize(w.clause(kind, **mode)))
    return frags


def summary_blocks(w: Writer) -> list[Block]:
    rng = w.rng
    c = w.c
    blocks = [
        Block([Frag(CCS)], CCS, wrap=False, blank_after=c.fmt == "older"),
        Block(w.x(rng.choice(GRAMMAR["csum_intro"])), CCS),
    ]
    plan: list[tuple[str, dict[str, bool]]] = [("demo", {}), ("dx", {})]
    optional = [
        ("history", {"hist": True}),
        ("complaint", {}),
        ("complaint", {}),
        ("exam", {}),
        ("exam", {}),
        ("negexam", {}),
        ("reflex", {}),
        ("normexam", {}),
        ("imaging", {}),
        ("txdate", {}),
        ("meds", {}),
        ("workstatus", {}),
    ]
    body = [k for k in optional if rng.random() < 0.65]
    order = {
        "history": 0,
        "complaint": 1,
        "exam": 2,
        "negexam": 2,
        "reflex": 2,
        "normexam": 2,
        "imaging": 3,
        "txdate": 4,
        "meds": 5,
        "workstatus": 6,
    }
    body.sort(key=lambda k: (order[k[0]], rng.random()))
    if rng.random() < 0.4:
        body.append(("filler", {}))
    plan += [*body, ("request", {}), ("ur", {})]
    frags = _para(w, plan)
    blocks.append(Block(frags, CCS))
    return blocks


def issues_blocks(w: Writer) -> list[Block]:
    rng = w.rng
    c = w.c
    older = c.fmt == "older"
    blocks = [
        Block([Frag(ISSUES)], ISSUES, wrap=False, blank_after=older or rng.random() < 0.5),
        Block(w.x(GRAMMAR["imr_intro"][0]), ISSUES),
    ]
    for k, item in enumerate(c.items):
        w.item_k = k
        blocks.extend(item_blocks(w, k, item))
    return blocks


def item_blocks(w: Writer, k: int, item: Item) -> list[Block]:
    rng = w.rng
    c = w.c
    blocks: list[Block] = []
    dec = w.ent("Overturned" if item.outcome == "overturned" else "Upheld", "DECISION", outcome=item.outcome)
    modified = (
        item.kind == "therapy"
        and item.count
        and item.count[0] == item.count[1]
        and item.count[0] >= 4
        and c.fmt == "newer"
        and rng.random() < 0.15
    )
    if modified:
        total = item.count[0]
        auth = total // 2
        orig = Item(item.kind, item.tx, item.cls, item.site, item.region, (total, total))
        rest = Item(item.kind, item.tx, item.cls, item.site, item.region, (total - auth, total - auth))
        authd = Item(item.kind, item.tx, item.cls, item.site, item.region, (auth, auth))
        frags = [*w.item_frags(orig), Frag(" was the original request. "), *w.item_frags(authd)]
        frags += [Frag(" was authorized by the Claims Administrator. "), Frag(REMAINING), Frag(mark=f"item{k}_start")]
        frags += [*w.item_frags(rest, "prose"), Frag(mark=f"item{k}_end"), Frag(" is: "), dec]
        item.count = rest.count
        blocks.append(Block(frags, ISSUES))
    else:
        sep = rng.choice([": ", ": ", ":  "] + ([] if c.fmt == "older" else [": \n"]))
        frags = [Frag(mark=f"item{k}_start"), *w.item_frags(item), Frag(mark=f"item{k}_end"), Frag(sep), dec]
        blocks.append(Block(frags, ISSUES))
    # claims administrator guideline
    roll = rng.random()
    if roll < 0.35:
        ca = [
            Frag("Claims Administrator guideline: The Claims Administrator did not cite any "),
            w.ent("medical evidence", "EVIDENCE", neg=True),
            Frag(" for its decision."),
        ]
    else:
        cites = w._cite_form("ca", item.cls, item.region or c.regions[0][0], None)
        cites = [f for f in cites if f.text != "::NODECISIONPREFIX"]
        lead = "" if cites and cites[0].text.startswith("The Claims") else "Decision based on "
        ca = [Frag("Claims Administrator guideline: " + lead), *cites, Frag(".")]
    blocks.append(Block(ca, ISSUES))
    # MAXIMUS guideline
    cites = w._cite_form("max", item.cls, item.region or c.regions[0][0], f"dcite:{k}")
    outside = bool(cites) and cites[0].text.startswith("The Expert")
    cites = [f for f in cites if f.text != "::NODECISIONPREFIX"]
    mx = [Frag("MAXIMUS guideline: " + ("" if outside else "Decision based on ")), *cites]
    if not outside and rng.random() < 0.2 and c.fmt == "newer":
        sec = rng.choice(GUIDE["sections_by_kind"].get(item.cls, GUIDE["sections_by_kind"]["other"]))
        mx += [
            Frag(", and "),
            w._cite(f"Chronic Pain Medical Treatment 2016, Section(s): {sec}", "MTUS", [], f"dcite:{k}"),
        ]
    mx.append(Frag("."))
    blocks.append(Block(mx, ISSUES))
    # rationale
    parts: list[tuple[str, dict[str, bool]]] = [("rat_guide", {})]
    middle: list[tuple[str, dict[str, bool]]] = [("rat_fact", {})]
    if rng.random() < 0.5:
        middle.append(("rat_fact", {}))
    if item.outcome == "upheld":
        middle += [("rat_missing", {})] * rng.randint(1, 2)
    if rng.random() < 0.4:
        middle.append(("rat_hyp", {"hyp": True}))
    if item.kind == "therapy" and rng.random() < 0.4:
        middle.append(("rat_hep", {}))
    if rng.random() < 0.5:
        middle.append(("filler", {}))
    rng.shuffle(middle)
    if rng.random() < 0.3:
        parts.append(("rat_guide", {}))
    parts += [*middle, ("rat_concl", {})]
    rat = [Frag("Decision rationale: ")]
    for i, (kind, mode) in enumerate(parts):
        if i:
            rat.append(Frag(" "))
        template = rng.choice(GRAMMAR[kind])
        saved = dict(w.mode)
        w.mode.update(mode)
        rat.extend(capitalize(w.x(template)))
        w.mode = saved
    blocks.append(Block(rat, ISSUES))
    return blocks
