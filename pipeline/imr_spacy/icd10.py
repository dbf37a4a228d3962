"""``imr_icd10``: links DIAGNOSIS entities to ICD-10-CM codes offline (``span._.icd10``).

A span's words are reduced to a *bag*: lower case, plural ``s`` stripped, variants mapped
("disk" -> "disc", "femur" -> "femoral"), stop and qualifier words dropped ("of", "unspecified",
"region"), spinal levels turned into their region ("L5-S1" -> "lumbosacral") and laterality taken
out as a side. One-letter words go, except after a few words ("vitamin D", "hepatitis C"); a word
hyphenated at a line end ("osteoar-\nthritis") is joined when the index knows the joined word.
The bag is looked up in an index built at ``initialize``/``from_disk`` from the tables in
``patterns/icd10/`` (``self.tables``):

- ``codes``: the billable codes with descriptions, inclusion terms and the inclusion terms of
  the categories they are the default subcode of (``cat_incl``; ``build.py`` derives it all from
  the ``simple-icd-10-cm`` package; no download). Parenthesized words of inclusion terms are
  nonessential: "Coronary (artery) disease" is indexed with and without "artery";
- ``synonyms``: curated phrasings ``{"phrase", "code"}``, optionally with ``right``/``left``/
  ``bilateral`` codes and ``"any_site": true`` (holds with any body-site word: "arm paresthesia");
  they win over descriptions; ``"code": null`` marks a phrase too vague to code ("fracture");
- ``abbreviations``: case-sensitive short forms ``{"abbr", "long"}`` ("LBP", "CTS");
- ``words``: ``{"word", "norm"}`` variants, ``"drop"``, ``"side"``, ``"optional": 1`` (severity
  and course words, tried without on a second pass; ``2``: on a third), ``"unit"`` (drops the
  number before it), ``"grade"`` (drops the number after it: "grade 1"), ``"letter"`` (keeps a
  one-letter word after it), ``"variant"`` (tried instead when the bag has no match: "sciatic
  neuropathy" -> "lesion of sciatic nerve", "hip arthralgia" -> "pain in hip"), ``"site"`` and
  ``"complete"`` (see the containment tier);
- ``levels``: spinal level letters -> region; ``qualifiers``: description regexes to ``strip``
  always, to drop for an ``alt`` key ("without ...", "(...)"), for an ``other`` key (on top of
  those: "Other ...") and, on top of either, for a ``site`` key (", right knee" after "Patellar
  tendinitis": the condition implies its site).

Priority: synonyms, descriptions, inclusion terms, alt keys, their site keys, other keys, their
site keys, category inclusion terms (alt, other and site keys need two words or more), each for
the bag, then without its optional words, then with its variants. Codes that differ only by side
form one group: the span's side ("left", "bilateral") picks in it, else the unspecified code;
"right and left" with a lateral group gets None. Two different codes for one bag at the best tier
are ambiguous: the span gets None (a wrong code is worse than none). Last, when nothing matched
(or only ambiguously at the alt tier or below), the *containment* tier takes a bag of two words
or more to the descriptions that hold all its words, the others being only ``complete`` words
("Alcohol abuse, uncomplicated", "Primary osteoarthritis, right elbow"), the partner of a conjoined
word ("abnormalities of gait and mobility") or, when the span names no site, ``site`` words
("medial collateral ligament of knee"); those with the fewest extra words must form one side
group. Abbreviations defined in the letter itself (``doc._.abbreviation_records``, set by
``imr_abbreviations``) are expanded first.
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

TIER_SYNONYM, TIER_DESC, TIER_INCL, TIER_ALT, TIER_SITE, TIER_OTHER, TIER_OTHER_SITE, TIER_CAT = range(8)
SIDES = ("right", "left", "bilateral")
_AMBIGUOUS: SideMap = {}

#: A spinal level ("L4-5", "C5-C6", "L5-S1", "T12"), a word (maybe hyphenated at a line end: "osteoar-\nthritis"
#: is one token with a soft hyphen, resolved by the linker) or a number.
_TOKEN = re.compile(r"[cltsCLTS]\d{1,2}(?:-[cltsCLTS]?\d{1,2})*\b|[A-Za-z][A-Za-z0-9]*(?:\xad[a-z][A-Za-z0-9]*)?|\d+")
_SOFT = "\xad"
_LINE_HYPHEN = re.compile(r"(?<=[A-Za-z])-[ \t]*\r?\n\s*(?=[a-z])")
#: "A and B", "A or B" in a description (the words next to the conjunction).
_CONJ = re.compile(r"([a-z]+) (?:and|or) ([a-z]+)")
_PAREN = re.compile(r"\([^)]*\)")
#: ``words`` table flags that put a word in the :class:`Norm` set of the same name.
_WORD_FLAGS = ("drop", "unit", "site", "letter", "grade", "complete")
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
    #: Words after which a single letter is kept ("vitamin D", "hepatitis C").
    letter: set[str] = field(default_factory=set)
    #: Words that drop the number after them ("grade 1").
    grade: set[str] = field(default_factory=set)
    #: Description words a mention may leave out in the containment tier ("uncomplicated").
    complete: set[str] = field(default_factory=set)
    #: Normalized words tried as other words when the bag has no match ("neuropathy" -> "lesion nerve").
    variant: dict[str, tuple[str, ...]] = field(default_factory=dict)
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
        if word.isdigit() and (
            (i + 1 < len(lower) and lower[i + 1] in norm.unit) or (i and lower[i - 1] in norm.grade)
        ):
            continue
        if len(word) == 1 and word.isalpha() and i and lower[i - 1] in norm.letter:
            out.append(word)
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
    if "\n" in text:
        text = _LINE_HYPHEN.sub(_SOFT, text)
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
            for flag in _WORD_FLAGS:
                if row.get(flag):
                    getattr(norm, flag).add(word)
            if row.get("side"):
                norm.side[word] = row["side"]
            if row.get("optional"):
                level = int(row["optional"])
                while len(norm.optional) < level:
                    norm.optional.append(set())
                norm.optional[level - 1].add(word)
            if row.get("variant"):
                norm.variant[word] = tuple(row["variant"].lower().split())
            if "norm" in row:
                norm.norm[word] = tuple(row["norm"].lower().split())
        for i in range(1, len(norm.optional)):
            norm.optional[i] |= norm.optional[i - 1]
        norm.levels = {row["level"]: row["region"] for row in self.tables.get("levels", [])}
        self.norm = norm
        self.abbreviations = {row["abbr"]: tokens(row["long"]) for row in self.tables.get("abbreviations", [])}
        # One alternation per use (earlier rows win at the same position): few passes per description.
        rows = self.tables.get("qualifiers", [])
        self.strip, self.alt, self.other, self.site = (
            re.compile("|".join(f"(?:{r['regex']})" for r in rows if r["use"] == use) or "(?!)")
            for use in ("strip", "alt", "other", "site")
        )
        # Built at load, not on first use: lazily, the load is 1 s faster, but the Python heap then
        # holds the 33k code rows without the index's many long-lived objects, and the cyclic GC's
        # full collections come often enough to slow short documents 3x (NegEx mode of score.py).
        self._build_index()

    def _build_index(self) -> None:
        """The bag index over the code descriptions, inclusion terms and synonyms (~1 s)."""
        self.index: dict[Bag, tuple[int, SideMap]] = {}
        self.code_bag: dict[str, Bag] = {}
        #: Containment tier: (bag, side, code, conjoined word pairs) and word -> entry numbers.
        self.contain: list[tuple[Bag, str | None, str, tuple[tuple[str, str], ...]]] = []
        self.postings: dict[str, list[int]] = {}
        entries: list[tuple[int, Bag, str | None, str]] = []
        for row in self.tables.get("codes", []):
            entries.extend(self._code_entries(row["code"], row["desc"], row.get("incl", ()), row.get("cat_incl", ())))
        for tier, bag, side, code in sorted(entries, key=lambda e: e[0]):
            if tier == TIER_DESC and side is None:
                self.code_bag[code] = bag
            self._add(tier, bag, side, code)
        for i, (bag, _, _, _) in enumerate(self.contain):
            for word in bag:
                self.postings.setdefault(word, []).append(i)
        desc_index = dict(self.index)
        #: Synonyms that hold for any body site ("paresthesia" of the arm): bag -> sides.
        self.any_site: dict[Bag, SideMap] = {}
        for row in self.tables.get("synonyms", []):
            self._add_synonym(row, desc_index)
        self.vocab = set(self.postings)
        for bag in self.index:
            self.vocab.update(bag)

    def _code_entries(
        self, code: str, desc: str, incl: Iterable[str], cat_incl: Iterable[str]
    ) -> list[tuple[int, Bag, str | None, str]]:
        text = self.strip.sub("", desc.lower())
        out: list[tuple[int, Bag, str | None, str]] = []
        words, side = bag_of(tokens(text), self.norm)
        if side == "mixed" or not words:
            return out
        bag = frozenset(words)
        out.append((TIER_DESC, bag, side, code))
        conj = tuple(_CONJ.findall(text))
        self.contain.append((bag, side, code, conj))
        alt_text = self.alt.sub(" ", text)
        other_text = self.other.sub(" ", alt_text)
        seen = {bag}
        for tier, base in ((TIER_ALT, alt_text), (TIER_OTHER, other_text)):
            if tier == TIER_OTHER and other_text == alt_text:
                break
            alt_words, alt_side = bag_of(tokens(base), self.norm) if base != text else (words, side)
            if alt_side != side:  # the site key keeps the side its dropped words named
                continue
            alt_bag = frozenset(alt_words)
            if tier == TIER_ALT and alt_bag != bag:
                self.contain.append((alt_bag, side, code, conj))
            site_text = self.site.sub(" ", base)
            site_bag = frozenset(bag_of(tokens(site_text), self.norm)[0]) if site_text != base else alt_bag
            for key_tier, key in ((tier, alt_bag), (tier + 1, site_bag)):
                if len(key) > 1 and key not in seen:
                    seen.add(key)
                    out.append((key_tier, key, side, code))
        for tier, terms in ((TIER_INCL, incl), (TIER_CAT, cat_incl)):
            for term in terms:
                term = term.lower()
                # "Coronary (artery) disease": with and without the nonessential words
                for variant in (term, _PAREN.sub(" ", term)) if "(" in term else (term,):
                    term_words, term_side = bag_of(tokens(variant), self.norm)
                    if term_words and term_side in (None, side):
                        out.append((tier, frozenset(term_words), side, code))
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
    def _resolve(self, word: str) -> list[str]:
        """A word hyphenated at a line end: joined when the index knows it, else its two parts."""
        joined = word.replace(_SOFT, "")
        _, content = _word(joined.lower(), self.norm)
        if content and all(w in self.vocab for w in content):
            return [joined]
        return word.split(_SOFT)

    def _contained(self, bag: Bag) -> SideMap | None:
        """Containment tier: the descriptions holding every word of ``bag`` whose other words are
        completion words ("uncomplicated"), the partner of a conjoined word ("gait and mobility")
        or, for a mention without a site, sites ("medial collateral ligament" -> "of knee"). Of
        those, the ones with the fewest other words must be one side group, else None."""
        lists = []
        for word in bag:
            ids = self.postings.get(word)
            if ids is None:
                return None
            lists.append(ids)
        lists.sort(key=len)
        found = set(lists[0])
        for ids in lists[1:]:
            found.intersection_update(ids)
        complete = self.norm.complete if bag & self.norm.site else self.norm.complete | self.norm.site
        best: dict[Bag, SideMap] = {}
        fewest = len(bag) + 99
        for i in found:
            entry, side, code, conj = self.contain[i]
            extra = entry - bag
            if len(extra) > fewest:
                continue
            partners = {x for a, b in conj for x, y in ((a, b), (b, a)) if y in bag}  # "gait and mobility"
            if not extra <= complete | partners:
                continue
            if len(extra) < fewest:
                fewest = len(extra)
                best = {e: v for e, v in best.items() if len(e - bag) <= fewest}
            sides = best.setdefault(entry, {})
            sides[side] = code if sides.get(side, code) == code else ""
        groups = {frozenset(sides.items()) for sides in best.values()}
        if len(groups) != 1:
            return None
        sides = next(iter(best.values()))
        return None if "" in sides.values() else sides

    def _reductions(self, bag: Bag) -> list[Bag]:
        """The bag, then without its optional words level by level (distinct, non-empty)."""
        out = [bag]
        for optional in self.norm.optional:
            reduced = bag - optional
            if reduced and reduced != out[-1]:
                out.append(reduced)
        return out

    def link_words(self, words: list[str], doc_abbreviations: dict[str, list[str]] | None = None) -> str | None:
        """The code for a phrase's word tokens (case kept for abbreviations), or None."""
        expanded: list[str] = []
        for word in words:
            long = (doc_abbreviations or {}).get(word) or self.abbreviations.get(word)
            if long:
                expanded.extend(long)
            elif _SOFT in word:
                expanded.extend(self._resolve(word))
            else:
                expanded.append(word)
        content, side = bag_of(expanded, self.norm)
        if not content:
            return None
        bags = self._reductions(frozenset(content))
        core = bags[-1]
        variant = [w for c in content for w in self.norm.variant.get(c, (c,))]
        if variant != content:  # "sciatic neuropathy" -> "lesion of sciatic nerve"
            bags += self._reductions(frozenset(variant))
        hit = next((h for h in map(self.index.get, bags) if h is not None), None)
        sides: SideMap | None
        if hit is None or (hit[1] is _AMBIGUOUS and hit[0] >= TIER_ALT):
            sides = self.any_site.get(core - self.norm.site) if hit is None else None
            if sides is None:
                for each in (b for b in bags if len(b) > 1):
                    sides = self._contained(each)
                    if sides is not None:
                        break
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
