"""Regenerate the open-class entity-ruler patterns from the word lists in this folder.

    .venv/bin/python patterns/vocab/build.py   # writes patterns/{diagnosis,treatment,finding,evidence,block}.jsonl

The word lists (``*.txt``: one entry a line, ``|`` between forms, ``#`` comments) are the source;
the JSONL files are what the ruler reads. Words and fixed phrases become PhraseMatcher phrases;
a few token patterns (about 60, each starting with a required token: the Matcher's cost grows
with the number of patterns, not with the size of their word sets) add structure:
modifiers + head + site complement, drug + strength, sign + predicate. Every pattern has
priority 0: overlaps are settled by length, and no span of ours contains a count (numbers
appear only in drug strengths, spinal levels and strength grades "4/5").

Span choices (see SCHEMA.md): coordinated modifiers sharing one head make one span ("cervical
and lumbar strain"); "with"/"without" between two conditions splits them; imaging technique
("with/without contrast") and levels ("at L4-5") stay inside a TREATMENT; "for/to + site",
counts, quantities, sig and sequence words (initial, additional, further) stay out.
"""

from __future__ import annotations

import itertools
import json
from collections.abc import Iterable
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
OUT = HERE.parent

Token = dict[str, Any]
Pattern = list[Token]
Entry = dict[str, Any]

DET = ["the", "his", "her", "their", "its", "a", "an", "both"]
AND = ["and", "or", "/", "&"]
CONJ = [*AND, ","]
SIDES = ["left", "right", "bilateral", "bilaterally", "both", "unilateral", "left-", "right-"]
ADV = ["mildly", "moderately", "severely", "markedly", "slightly", "significantly", "grossly", "globally", "very"]
BE = ["is", "was", "were", "are", "remained", "remains", "appeared", "appears", "seemed"]
PALPATION = ["palpation", "touch", "pressure", "percussion"]


def words(name: str) -> list[str]:
    """The entries of a list file, every form of every line, lower case, in file order."""
    out: list[str] = []
    for line in (HERE / name).read_text(encoding="utf-8").splitlines():
        line = line.split("#", 1)[0].strip()
        if line:
            out.extend(form.strip().lower() for form in line.split("|") if form.strip())
    return list(dict.fromkeys(out))


def columns(name: str) -> dict[str, list[str]]:
    """A ``key: word word ...`` list file."""
    out: dict[str, list[str]] = {}
    for line in (HERE / name).read_text(encoding="utf-8").splitlines():
        line = line.split("#", 1)[0].strip()
        if ":" in line:
            key, rest = line.split(":", 1)
            out[key.strip()] = rest.lower().split()
    return out


def is_single(entry: str) -> bool:
    """Whether the tokenizer keeps an entry as one token."""
    return not any(c in entry for c in " -/'")


def single(entries: Iterable[str]) -> list[str]:
    return [e for e in entries if is_single(e)]


def spinal_levels() -> list[str]:
    """Spinal levels as the tokenizer keeps them: "l4", "l4-5", "l4-l5", "l5-s1", "c5-6-7", "t12-"."""
    names = [f"c{i}" for i in range(1, 8)] + [f"t{i}" for i in range(1, 13)]
    names += [f"l{i}" for i in range(1, 6)] + [f"s{i}" for i in range(1, 4)]
    out = list(names)
    for a, b in itertools.pairwise(names):
        out += [f"{a}-{b}", f"{a}-"]
        if a[0] == b[0]:
            out.append(f"{a}-{b[1:]}")
    for a, b, c in zip(names, names[1:], names[2:], strict=False):
        out.append(f"{a}-{b[1:] if a[0] == b[0] else b}-{c[1:] if b[0] == c[0] else c}")
    return list(dict.fromkeys(out))


LEVELS = spinal_levels()


#: Repetition is bounded ("*" -> "{0,7}"): an unbounded run over a repeated word ("x x x ...")
#: would make the Matcher quadratic in the length of the document.
BOUNDED = {"*": "{0,7}", "+": "{1,7}"}


def IN(items: Iterable[str], op: str | None = None) -> Token:
    tok: Token = {"LOWER": {"IN": sorted(set(items))}}
    if op:
        tok["OP"] = BOUNDED.get(op, op)
    return tok


def W(word: str, op: str | None = None) -> Token:
    tok: Token = {"LOWER": word}
    if op:
        tok["OP"] = op
    return tok


def seq(text: str) -> Pattern:
    """Token dicts for a phrase as the tokenizer splits it (hyphens, slashes, 's)."""
    text = text.replace("-", " - ").replace("/", " / ").replace("'s", " 's")
    return [W(w) for w in text.split()]


def entry(label: str, pattern: Pattern | str) -> Entry:
    return {"label": label, "pattern": pattern}


def phrases(label: str, entries: Iterable[str]) -> list[Entry]:
    return [entry(label, e) for e in dict.fromkeys(entries)]


def complement(preps: Iterable[str], inner: Iterable[str], last: Iterable[str]) -> Pattern:
    """``prep ... last``: a site complement that must end on a site word ("of the lumbar spine",
    "in the neck and low back", "of the anterolateral aspect of the right shoulder")."""
    return [IN(preps), IN(inner, "*"), IN(last)]


#: Site words that describe rather than name a place: a complement never ends on one
#: ("Tendinosis of the posterior [tibialis tendon]" must not stop at "posterior").
SITE_ADJECTIVES = {
    "left", "right", "bilateral", "both", "upper", "lower", "low", "mid", "middle", "anterior", "posterior",
    "lateral", "medial", "anterolateral", "posterolateral", "anteromedial", "posteromedial", "dorsal", "volar",
    "plantar", "palmar", "distal", "proximal", "superior", "inferior", "first", "second", "third", "fourth",
    "fifth", "cervical", "thoracic", "lumbar", "lumbosacral", "sacral", "right-sided", "left-sided", "transverse",
}  # fmt: skip


#: Frequent site words that may sit inside a span but never start one: they would make the
#: Matcher open a partial match at almost every sentence ("both", "first", "level", "area").
INNER_ONLY = {
    "both", "first", "second", "third", "fourth", "fifth", "level", "levels", "area", "areas", "aspect",
    "region", "line", "wall", "process", "processes", "body", "bodies", "complex", "distribution", "crest",
    "notch", "space", "compartment", "interspace", "articulation", "recess", "canal", "sheath",
}  # fmt: skip


def sites() -> list[str]:
    return single(words("sites.txt")) + LEVELS


def site_nouns() -> list[str]:
    return [s for s in sites() if s not in SITE_ADJECTIVES]


def site_inner(extra: Iterable[str] = ()) -> list[str]:
    return sites() + DET + CONJ + ["of"] + list(extra)


# --------------------------------------------------------------------------- DIAGNOSIS


def diagnosis() -> list[Entry]:
    heads = words("dx_heads.txt")
    mod_req = words("dx_heads_site.txt")
    inner_only = INNER_ONLY | {"post", "de", "it", "status"}  # never first: "status [post ...", "the [first ..."
    mods = [m for m in single(words("dx_mods.txt") + words("sites.txt")) + LEVELS if m not in inner_only]
    all_heads = single(heads + mod_req)
    bare = single(heads)
    run = [*mods, *bare, *inner_only, "-", "'s"]
    # no comma inside: what follows a comma is an ICD-style qualifier ("Plantar fasciitis, left foot")
    comp = complement(["of", "in", "at"], [w for w in site_inner() if w != ","], site_nouns())
    # "[Degenerative cervical disk disease]", "[malalignment syndrome]"; conjoined modifiers share
    # the head: "[cervical and lumbar strain]" (the first conjunct holds no head word).
    pre = [IN(mods), IN(run, "*")]
    coord = [IN(mods), IN(mods, "*"), IN(AND), IN(mods), IN(run, "*")]
    gated = columns("dx_gated.txt")
    gate = [IN(gated["first"]), IN(gated["last"])]
    past = ["releases", "replacements", "arthroplasties", "fusions", "surgeries", "repairs", "decompressions"]
    # Token patterns start with one of three word sets (mods, heads, damaged): the Matcher tests
    # the first token of every pattern at every token, and identical sets are tested once.
    out = [
        entry("DIAGNOSIS", [*pre, IN(all_heads)]),
        entry("DIAGNOSIS", [*pre, IN(all_heads), *comp]),
        # a head word used as a modifier: "[Bunion deformity]", "[malalignment syndrome]"
        entry("DIAGNOSIS", [IN(all_heads), IN(run, "*"), IN(all_heads)]),
        entry("DIAGNOSIS", [IN(all_heads), IN(run, "*"), IN(all_heads), *comp]),
        entry("DIAGNOSIS", [*coord, IN(all_heads)]),
        entry("DIAGNOSIS", [*coord, IN(all_heads), *comp]),
        entry("DIAGNOSIS", [IN(all_heads), *comp]),
        entry("DIAGNOSIS", [*pre, IN(all_heads), IN(["/", "-"]), IN(all_heads)]),
        entry("DIAGNOSIS", [IN(all_heads), IN(["/", "-"]), IN(all_heads)]),
        entry("DIAGNOSIS", [IN(mods), IN(mods, "*"), *gate]),
        entry("DIAGNOSIS", [IN(gated["damaged"]), IN(mods, "*"), IN(gated["structure"])]),
        entry("DIAGNOSIS", [IN(gated["damaged"]), IN(mods, "*"), IN(gated["structure"]), *comp]),
        # past procedures named in the plural after a side or site ("bilateral carpal tunnel releases")
        entry("DIAGNOSIS", [IN(mods), IN(mods, "*"), IN(past)]),
    ]
    out += phrases("DIAGNOSIS", [f"{a} {b}" for a in gated["first"] for b in gated["last"]])
    out += phrases("DIAGNOSIS", single(heads))
    out += phrases("DIAGNOSIS", [h for h in heads if not is_single(h)])
    out += phrases("DIAGNOSIS", words("dx_multi.txt") + words("dx_abbrev.txt"))
    return out


# --------------------------------------------------------------------------- TREATMENT


def treatment() -> list[Entry]:
    heads = words("tx_heads.txt") + words("tx_drug_classes.txt")
    heads_mod = single(words("tx_heads_mod.txt"))
    mods = single(words("tx_mods.txt") + words("sites.txt") + words("tx_drugs.txt")) + LEVELS + single(heads)
    run = [*mods, *heads_mod, "-", "/"]
    mods = [m for m in mods if m not in INNER_ONLY]
    all_heads = single(heads) + heads_mod
    bare = single(heads)
    pre = [IN(mods), IN(run, "*")]
    # "of + body site" and "at + level" in one complement: "MRI of the lumbar spine without contrast",
    # "epidural steroid injection at L4-5 and L5-S1", "injection at the level of L4-5"
    of_site = complement(
        ["of", "at"],
        site_inner(["with", "without", "contrast", "level", "levels"]),
        [*site_nouns(), "contrast", "level", "levels"],
    )
    contrast = [IN(["with", "without"]), IN(["and", "without"], "*"), W("contrast")]
    xray = [W("x"), W("-"), IN(["ray", "rays"])]  # "first ray" is a body part, "x-ray" a test
    out = [entry("TREATMENT", [*pre, IN(all_heads)]), entry("TREATMENT", [*pre, *xray])]
    out += [entry("TREATMENT", [*xray, *of_site]), entry("TREATMENT", [*pre, *xray, *of_site])]
    for tail in (of_site, contrast):
        out.append(entry("TREATMENT", [*pre, IN(all_heads), *tail]))
        out.append(entry("TREATMENT", [IN(bare), *tail]))
    out += drugs()
    out += phrases("TREATMENT", bare + [h for h in heads if not is_single(h)] + words("tx_phrases.txt"))
    return out


def drugs() -> list[Entry]:
    """Drug names with strength, salt/release form and dosage form; compound creams as one span."""
    names = words("tx_drugs.txt")
    one = single(names)
    salt = IN(
        [
            "er",
            "xr",
            "cr",
            "sr",
            "la",
            "ir",
            "dr",
            "odt",
            "ds",
            "hcl",
            "xl",
            "cd",
            "citrate",
            "sodium",
            "potassium",
            "bitartrate",
            "tartrate",
            "succinate",
            "besylate",
            "hydrochloride",
        ],
        "*",
    )
    number = {"TEXT": {"REGEX": r"^\d*\.?\d+([/-]\d*\.?\d+)*(mg|mcg|%)?$"}}
    unit = IN(["mg", "mcg", "g", "gm", "gms", "grams", "%", "ml", "mg/ml", "mcg/hr", "mg/hr", "units", "iu"], "?")
    form = IN(
        [
            "tablet",
            "tablets",
            "tab",
            "tabs",
            "capsule",
            "capsules",
            "cap",
            "caps",
            "cream",
            "creams",
            "gel",
            "patch",
            "patches",
            "ointment",
            "lotion",
            "solution",
            "spray",
            "liquid",
            "suspension",
            "injection",
            "topical",
            "pump",
            "dosepak",
        ],
        "*",
    )
    topical = ["cream", "creams", "gel", "patch", "patches", "ointment", "lotion", "compound", "solution"]
    base = [W("in", "?"), IN(topical, "?"), W("base", "?")]
    out = [
        entry("TREATMENT", [IN(one), salt, {**number, "OP": "?"}, unit, form]),
        entry("TREATMENT", [IN(one), W("("), IN(one), W(")"), salt, {**number, "OP": "?"}, unit, form]),
        entry("TREATMENT", [IN(one), salt, number, unit, W("in"), IN(topical), W("base", "?")]),
    ]
    out += phrases("TREATMENT", [n for n in names if not is_single(n)])  # "Medrol Dosepak", "MS Contin"
    # compounds: "Flurbiprofen 10%/Lidocaine 5% cream", "Gabapentin 10%, Baclofen 5% in cream base"
    part = [IN(one), number, W("%", "?")]
    sep = IN(["/", ",", "and", "+", "-"], "+")
    for n in range(1, 5):
        out.append(entry("TREATMENT", part + [x for _ in range(n) for x in [sep, *part]] + base))
    glue = {"LOWER": {"REGEX": r"^\d*\.?\d+%/[a-z]+$"}}  # "10%/lidocaine" is kept as one token
    out.append(
        entry(
            "TREATMENT",
            [
                IN(one),
                glue,
                number,
                W("%", "?"),
                IN(["/", ",", "and"], "*"),
                IN(one, "?"),
                {**number, "OP": "?"},
                W("%", "?"),
                *base,
            ],
        )
    )
    return out


# --------------------------------------------------------------------------- FINDING


def finding() -> list[Entry]:
    signs = words("fx_signs.txt")
    need_pre = {
        "sensation",
        "gait",
        "lordosis",
        "deficit",
        "deficits",
        "findings",
        "limp",
        "flexion",
        "extension",
        "rotation",
        "abduction",
        "adduction",
    }
    premods = single(words("fx_premods.txt"))
    site_pre = [*single(words("sites.txt")), "quadrant"]
    preps = ["of", "over", "along", "at", "in", "on", "about", "around", "throughout", "to"]
    # no commas inside: findings are listed with commas ("tenderness to palpation, spasm")
    inner = [w for w in site_inner(PALPATION + preps + ["quadrant"]) if w != ","]
    comp = complement(preps, inner, sites() + PALPATION + ["quadrant"])
    one = single(signs)
    out = [
        entry("FINDING", [IN(premods + site_pre), IN(premods + site_pre + ["-"], "*"), IN(one)]),
        entry("FINDING", [IN(premods + site_pre), IN(premods + site_pre + ["-"], "*"), IN(one), *comp]),
        entry("FINDING", [IN([s for s in one if s not in need_pre]), *comp]),
        # range of motion: quality words before it, never a bare site word ("Cervical [range of motion ...")
        entry("FINDING", [IN(premods), IN(premods + site_pre, "*"), W("range"), W("of"), W("motion")]),
        entry("FINDING", [IN(premods), IN(premods + site_pre, "*"), W("range"), W("of"), W("motion"), *comp]),
        entry("FINDING", [W("range"), W("of"), W("motion"), *comp]),
    ]
    out += clauses()
    out += tests()
    out += phrases("FINDING", [s for s in signs if s not in need_pre] + words("fx_phrases.txt"))
    return out


def clauses() -> list[Entry]:
    """Sign + be + predicate: "range of motion is restricted", "gait was antalgic"."""
    preds = single(words("fx_predicates.txt"))
    signs = words("fx_clause_signs.txt")
    sign_words = sorted({w for s in signs for w in s.split()})
    first = sorted({s.split()[0] for s in signs})
    sign = [IN(first), IN(sign_words, "*"), IN(BE)]
    loc = complement(["on", "in", "at", "of", "over", "throughout", "with"], site_inner(), sites())
    adverbs = IN(["bilaterally", "symmetrically", "throughout", "globally", "diffusely"])
    strength = {"TEXT": {"REGEX": r"^[0-5][+-]?/5$"}}
    pred = [IN(ADV, "?"), IN(preds)]
    return [
        entry("FINDING", sign + pred),
        entry("FINDING", sign + pred + [adverbs]),
        entry("FINDING", sign + pred + loc),
        entry("FINDING", sign + pred + [IN(["and", ",", "/", "but"]), IN(ADV, "?"), IN(preds)]),
        entry("FINDING", [*sign, W("within"), W("normal"), W("limits")]),
        entry("FINDING", [*sign, strength, IN(["bilaterally", "throughout"], "?")]),
    ]


def tests() -> list[Entry]:
    """Named exam tests: "positive Spurling's test", "Kemp's sign was positive on the left"."""
    t = columns("fx_tests.txt")
    nouns = ["test", "tests", "sign", "signs", "maneuver", "maneuvers", "testing", "examination", "exam"]
    inner = ["impingement", "compression", "distraction", "provocative", "nerve", "root", "tension", "-"]
    first = t["eponym"] + t["first"]  # one first-word set for all test patterns
    names = [IN(first), IN(["'s", "'"])]  # "Tinel's", "Hawkins'"
    described = [IN(first), IN(first + t["inner"] + inner + ["'s", "'"], "*"), IN(t["last"] + nouns)]
    tail = [IN(["on", "in", "at", "bilaterally", "to"]), IN(DET + SIDES + sites(), "*")]
    out = []
    for base in (names, described):
        positive = [*base, IN(BE), IN(ADV, "?"), W("positive")]
        out += [entry("FINDING", base), entry("FINDING", [W("positive"), *base])]
        out += [entry("FINDING", positive), entry("FINDING", positive + tail)]
    return out


# --------------------------------------------------------------------------- EVIDENCE


def evidence() -> list[Entry]:
    mods = single(words("ev_mods.txt"))
    heads = single(words("ev_heads.txt"))
    records = [*single(words("ev_records.txt")), "physical", "occupational"]
    first = [*mods, "functional", *records]
    tx = single(words("tx_heads.txt") + words("tx_drug_classes.txt") + words("tx_drugs.txt"))
    tx_mods = single(words("tx_mods.txt"))
    obj = sorted(set(mods + heads + tx + single(words("ev_objects.txt"))))
    poss = ["patient", "applicant", "claimant", "worker", "injured", "employee", "his", "her", "their", "'s", "'"]
    out = [
        # one first-word set: quality words and record kinds ("objective ...", "therapy reports")
        entry("EVIDENCE", [IN(first), IN(first, "*"), IN(heads)]),
        entry("EVIDENCE", [IN(first), W("pain"), W("relief")]),
        entry("EVIDENCE", [IN(first), IN(first, "*"), IN(["reports", "notes", "records"])]),
        entry(
            "EVIDENCE",
            [
                W("discussion"),
                IN(["regarding", "of", "about", "concerning", "on", "re", "as"]),
                IN(["to", *DET, *poss], "*"),
                IN(obj),
                IN(obj, "*"),
            ],
        ),
        entry(
            "EVIDENCE", [W("response"), W("to"), IN([*DET, "prior", "previous", "past", *tx_mods, *tx], "*"), IN(tx)]
        ),
        entry(
            "EVIDENCE",
            [
                W("failed"),
                IN(["a", "an", "proper", "adequate", "appropriate", "course", "trial", "of"], "*"),
                W("conservative"),
                IN(["course", "trial", "of"], "*"),
                IN(["care", "treatment", "treatments", "therapy", "management", "measures"]),
            ],
        ),
    ]
    out += phrases("EVIDENCE", words("ev_phrases.txt"))
    return out


# --------------------------------------------------------------------------- blockers


def blockers() -> list[Entry]:
    inner_only = INNER_ONLY | {"post", "de", "it", "status"}  # the same first-word set as diagnosis()
    dx_mods = [m for m in single(words("dx_mods.txt") + words("sites.txt")) + LEVELS if m not in inner_only]
    after_pain = [
        "level",
        "levels",
        "relief",
        "score",
        "scores",
        "scale",
        "rating",
        "ratings",
        "generator",
        "generators",
        "problems",
        "populations",
        "patients",
        "diary",
        "contract",
        "agreement",
        "medical",
        "treatment",
        "chapter",
        "guidelines",
        "specialist",
        "physician",
        "program",
        "psychologist",
        "clinic",
        "interference",
        "control",
        "complaints",
    ]
    title = {"TEXT": {"REGEX": r"^(?:[A-Z][A-Za-z]+|&|,|and)$"}, "OP": "{1,12}"}
    out = [
        entry("_BLOCK", [IN(dx_mods), IN(dx_mods, "*"), W("pain"), IN(after_pain)]),
        entry("_BLOCK", [W("certification(s)/specialty"), W(":"), title]),
        entry("_BLOCK", [W("specialty"), W(":"), title]),
        entry("_BLOCK", [W("board"), W("certified"), W("in"), title]),
        entry("_BLOCK", [W("chronic"), W("pain"), W("medical"), W("treatment"), IN(["guidelines", "2016"], "?")]),
    ]
    out += phrases("_BLOCK", [f"pain {w}" for w in after_pain] + words("blocks.txt"))
    return out


def write(name: str, rows: list[Entry]) -> None:
    with (OUT / name).open("w", encoding="utf-8") as fh:
        for row in rows:
            fh.write(json.dumps(row, separators=(",", ":")) + "\n")


def main() -> None:
    write("diagnosis.jsonl", diagnosis())
    write("treatment.jsonl", treatment())
    write("finding.jsonl", finding())
    write("evidence.jsonl", evidence())
    write("block.jsonl", blockers())


if __name__ == "__main__":
    main()
