"""``imr_icd10``: links DIAGNOSIS entities to ICD-10-CM codes offline (``span._.icd10``).

A span's words are reduced to a *bag*: lower case, plural ``s`` stripped, variants mapped
("disk" -> "disc"), stop and qualifier words dropped ("of", "unspecified", "region"), spinal
levels turned into their region ("L5-S1" -> "lumbosacral") and laterality taken out as a side.
The bag is looked up in an index built at ``initialize``/``from_disk`` from the tables in
``patterns/icd10/`` (``self.tables``):

- ``codes``: the billable codes with descriptions and inclusion terms (``build.py`` derives
  it from the ``simple-icd-10-cm`` package; no download);
- ``synonyms``: curated phrasings ``{"phrase", "code"}``, optionally with ``right``/``left``/
  ``bilateral`` codes and ``"any_site": true`` (holds with any body-site word: "arm paresthesia");
  they win over descriptions; ``"code": null`` marks a phrase too vague to code ("fracture");
- ``abbreviations``: case-sensitive short forms ``{"abbr", "long"}`` ("LBP", "CTS");
- ``words``: ``{"word", "norm"}`` variants, ``"drop"``, ``"side"``, ``"optional": 1`` (severity
  and course words, tried without on a second pass; ``2``: on a third) and ``"unit"`` (drops the
  number before it);
- ``levels``: spinal level letters -> region; ``qualifiers``: description regexes to ``strip``
  always, to drop for an ``alt`` key ("Other ...", "without ...") and, on top of those, for a
  ``site`` key (", right knee" after "Patellar tendinitis": the condition implies its site).

Priority: synonyms, descriptions, inclusion terms, alt keys, site keys (alt and site keys need
two words or more). Codes that differ only by side form one group: the span's side ("left",
"bilateral") picks in it, else the unspecified code; "right and left" with a lateral group gets
None. Two different codes for one bag at the best tier are ambiguous: the span gets None (a wrong
code is worse than none). Abbreviations defined in the letter itself
(``doc._.abbreviation_records``, set by ``imr_abbreviations``) are expanded first.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from spacy.language import Language
from spacy.tokens import Doc

from .tables import Tables, TablesMixin
from .textview import doc_text

Bag = frozenset[str]
SideMap = dict[str | None, str]

TIER_SYNONYM, TIER_DESC, TIER_INCL, TIER_ALT, TIER_SITE = 0, 1, 2, 3, 4
SIDES = ("right", "left", "bilateral")
_AMBIGUOUS: SideMap = {}

#: A spinal level ("L4-5", "C5-C6", "L5-S1", "T12"), a word or a number.
_TOKEN = re.compile(r"[cltsCLTS]\d{1,2}(?:-[cltsCLTS]?\d{1,2})*\b|[A-Za-z][A-Za-z0-9]*|\d+")
_LEVEL = re.compile(r"([clts])\d{1,2}(?:-([clts])?\d{1,2})*")


@dataclass
class Norm:
    """Precomputed word rules (from the ``words`` and ``levels`` tables)."""

    norm: dict[str, tuple[str, ...]] = field(default_factory=dict)
    drop: set[str] = field(default_factory=set)
    side: dict[str, str] = field(default_factory=dict)
    #: Words to try without, cumulatively by level: [level 1, levels 1-2, ...].
    optional: list[set[str]] = field(default_factory=list)
    unit: set[str] = field(default_factory=set)
    site: set[str] = field(default_factory=set)
    levels: dict[str, str] = field(default_factory=dict)
    cache: dict[str, tuple[str | None, tuple[str, ...]]] = field(default_factory=dict)


def _stem(word: str) -> str:
    if len(word) > 4 and word.endswith("ies"):
        return word[:-3] + "y"
    if len(word) > 3 and word.endswith("s") and not word.endswith(("ss", "us", "is")):
        return word[:-1]
    return word


def _word(word: str, norm: Norm) -> tuple[str | None, tuple[str, ...]]:
    """(side, content words) of one lower-cased word."""
    level = _LEVEL.fullmatch(word)
    if level is not None:
        first, last = level.group(1), level.group(2) or level.group(1)
        region = norm.levels.get(first if first == last else first + last)
        return None, (region,) if region else ()
    if word not in norm.norm and word not in norm.side and word not in norm.drop:
        word = _stem(word)
    if word in norm.side:
        return norm.side[word], ()
    mapped = norm.norm.get(word, (word,))
    return None, tuple(w for w in mapped if w not in norm.drop and w not in norm.unit and (len(w) > 1 or w.isdigit()))


def bag_of(words: Iterable[str], norm: Norm) -> tuple[list[str], str | None]:
    """Normalized content words and the side ("right", "left", "bilateral", "mixed" or None)."""
    out: list[str] = []
    sides: set[str] = set()
    lower = [w.lower() for w in words]
    cache = norm.cache
    for i, word in enumerate(lower):
        if word.isdigit() and i + 1 < len(lower) and lower[i + 1] in norm.unit:
            continue
        hit = cache.get(word)
        if hit is None:
            hit = cache[word] = _word(word, norm)
        if hit[0] is not None:
            sides.add(hit[0])
        out.extend(hit[1])
    side = None if not sides else sides.pop() if len(sides) == 1 else "mixed"
    return out, side


def tokens(text: str) -> list[str]:
    """Word tokens of a phrase (case kept; accents dropped: "Kienböck" -> "Kienbock")."""
    if not text.isascii():
        text = "".join(c for c in unicodedata.normalize("NFKD", text) if not unicodedata.combining(c))
    return _TOKEN.findall(text)


class IMRICD10Linker(TablesMixin):
    """Sets ``span._.icd10`` on the entities of ``labels`` from the ``patterns/icd10`` tables."""

    def __init__(self, labels: Iterable[str], use_doc_abbreviations: bool) -> None:
        self.labels = frozenset(labels)
        self.use_doc_abbreviations = use_doc_abbreviations
        self.tables: Tables = {}
        self.on_tables()

    # -- index ---------------------------------------------------------------------------
    def on_tables(self) -> None:
        """Build the word rules, the abbreviation map and the bag index."""
        norm = Norm()
        for row in self.tables.get("words", []):
            word = row["word"].lower()
            if row.get("drop"):
                norm.drop.add(word)
            if row.get("side"):
                norm.side[word] = row["side"]
            if row.get("optional"):
                level = int(row["optional"])
                while len(norm.optional) < level:
                    norm.optional.append(set())
                norm.optional[level - 1].add(word)
            if row.get("unit"):
                norm.unit.add(word)
            if row.get("site"):
                norm.site.add(word)
            if "norm" in row:
                norm.norm[word] = tuple(row["norm"].lower().split())
        for i in range(1, len(norm.optional)):
            norm.optional[i] |= norm.optional[i - 1]
        norm.levels = {row["level"]: row["region"] for row in self.tables.get("levels", [])}
        self.norm = norm
        self.abbreviations = {row["abbr"]: tokens(row["long"]) for row in self.tables.get("abbreviations", [])}
        # One alternation per use (earlier rows win at the same position): few passes per description.
        rows = self.tables.get("qualifiers", [])
        self.strip, self.alt, self.site = (
            re.compile("|".join(f"(?:{r['regex']})" for r in rows if r["use"] == use) or "(?!)")
            for use in ("strip", "alt", "site")
        )
        # Built at load, not on first use: lazily, the load is 1 s faster, but the Python heap then
        # holds the 33k code rows without the index's many long-lived objects, and the cyclic GC's
        # full collections come often enough to slow short documents 3x (NegEx mode of score.py).
        self._build_index()

    def _build_index(self) -> None:
        """The bag index over the code descriptions, inclusion terms and synonyms (~1 s)."""
        self.index: dict[Bag, tuple[int, SideMap]] = {}
        self.code_bag: dict[str, Bag] = {}
        entries: list[tuple[int, Bag, str | None, str]] = []
        for row in self.tables.get("codes", []):
            entries.extend(self._code_entries(row["code"], row["desc"], row.get("incl", ())))
        for tier, bag, side, code in sorted(entries, key=lambda e: e[0]):
            if tier == TIER_DESC and side is None:
                self.code_bag[code] = bag
            self._add(tier, bag, side, code)
        desc_index = dict(self.index)
        #: Synonyms that hold for any body site ("paresthesia" of the arm): bag -> sides.
        self.any_site: dict[Bag, SideMap] = {}
        for row in self.tables.get("synonyms", []):
            self._add_synonym(row, desc_index)

    def _code_entries(self, code: str, desc: str, incl: Iterable[str]) -> list[tuple[int, Bag, str | None, str]]:
        text = self.strip.sub("", desc.lower())
        out = []
        words, side = bag_of(tokens(text), self.norm)
        if side == "mixed" or not words:
            return out
        bag = frozenset(words)
        out.append((TIER_DESC, bag, side, code))
        alt_text = self.alt.sub(" ", text)
        alt_words, alt_side = bag_of(tokens(alt_text), self.norm)
        seen = {bag}
        if alt_side == side:  # the site key keeps the side its dropped words named
            site_words, _ = bag_of(tokens(self.site.sub(" ", alt_text)), self.norm)
            for tier, words in ((TIER_ALT, alt_words), (TIER_SITE, site_words)):
                alt_bag = frozenset(words)
                if len(alt_bag) > 1 and alt_bag not in seen:
                    seen.add(alt_bag)
                    out.append((tier, alt_bag, side, code))
        for term in incl:
            term_words, term_side = bag_of(tokens(term.lower()), self.norm)
            if term_words and term_side in (None, side):
                out.append((TIER_INCL, frozenset(term_words), side, code))
        return out

    def _add(self, tier: int, bag: Bag, side: str | None, code: str) -> None:
        old = self.index.get(bag)
        if old is None or tier < old[0]:
            self.index[bag] = (tier, {side: code})
        elif tier == old[0] and old[1] is not _AMBIGUOUS:
            if old[1].get(side, code) != code:
                self.index[bag] = (tier, _AMBIGUOUS)
            else:
                old[1][side] = code

    def _add_synonym(self, row: dict[str, Any], desc_index: dict[Bag, tuple[int, SideMap]]) -> None:
        words, _ = bag_of(tokens(row["phrase"]), self.norm)
        code = row["code"]
        if code is None:  # too vague to code ("fracture", "pain")
            self.index[frozenset(words)] = (TIER_SYNONYM, _AMBIGUOUS)
            return
        sides: SideMap = {None: code}
        group = desc_index.get(self.code_bag.get(code, frozenset()))
        if group is not None and group[1].get(None) == code:
            sides = dict(group[1])
        sides.update({s: row[s] for s in SIDES if row.get(s)})
        self.index[frozenset(words)] = (TIER_SYNONYM, sides)
        if row.get("any_site"):
            self.any_site[frozenset(words)] = sides

    # -- lookup --------------------------------------------------------------------------
    def link_words(self, words: list[str], doc_abbreviations: dict[str, list[str]] | None = None) -> str | None:
        """The code for a phrase's word tokens (case kept for abbreviations), or None."""
        expanded: list[str] = []
        for word in words:
            long = (doc_abbreviations or {}).get(word) or self.abbreviations.get(word)
            expanded.extend(long if long else (word,))
        content, side = bag_of(expanded, self.norm)
        if not content:
            return None
        bag = frozenset(content)
        hit = self.index.get(bag)
        core = bag
        for optional in self.norm.optional:
            if hit is not None:
                break
            reduced = bag - optional
            if reduced and reduced != core:
                core = reduced
                hit = self.index.get(core)
        if hit is None:
            sides = self.any_site.get(core - self.norm.site)
            if sides is None:
                return None
        elif hit[1] is _AMBIGUOUS:
            return None
        else:
            sides = hit[1]
        if side in sides:
            return sides[side]
        if side == "mixed" and len(sides) > 1:
            return None
        return sides.get(None)

    def link(self, text: str) -> str | None:
        """The code for a diagnosis phrase, or None."""
        return self.link_words(tokens(text))

    def __call__(self, doc: Doc) -> Doc:
        doc_abbr = doc_abbreviations(doc) if self.use_doc_abbreviations else None
        for ent in doc.ents:
            if ent.label_ in self.labels:
                ent._.icd10 = self.link_words(tokens(ent.text), doc_abbr)
        return doc


def doc_abbreviations(doc: Doc) -> dict[str, list[str]] | None:
    """Short form -> long-form words, from the letter's own definitions."""
    if not Doc.has_extension("abbreviation_records"):
        return None
    records = doc._.abbreviation_records
    if not records:
        return None
    text = doc_text(doc)
    out: dict[str, list[str]] = {}
    for rec in records:
        short = text[rec["short"][0] : rec["short"][1]]
        out.setdefault(short, tokens(text[rec["long"][0] : rec["long"][1]]))
    return out


@Language.factory(
    "imr_icd10",
    default_config={"labels": ["DIAGNOSIS"], "use_doc_abbreviations": True},
)
def make_icd10(nlp: Language, name: str, labels: list[str], use_doc_abbreviations: bool) -> IMRICD10Linker:
    """Factory of :class:`IMRICD10Linker`."""
    return IMRICD10Linker(labels, use_doc_abbreviations)


__all__ = ["IMRICD10Linker", "bag_of", "doc_abbreviations", "make_icd10", "tokens"]
