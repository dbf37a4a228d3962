"""Convert gold JSONL (SCHEMA format) to a spaCy DocBin for training the open-class NER.

    .venv/bin/python training/convert.py corpus/train.jsonl /tmp/G1/train.spacy [--augment 1]
    .venv/bin/python training/convert.py corpus/dev.jsonl /tmp/G1/dev.spacy --labels DIAGNOSIS,TREATMENT

Docs are tokenized with the project tokenizer (``imr_spacy.Tokenizer.v1``); every kept span must be
token-aligned (the corpus tests guarantee it), otherwise conversion fails naming the record id and offsets.
Each token's ``tag_`` is also set to its BILUO entity tag (``B-DIAGNOSIS``, ``O``, ...): the targets of the
BILUO tagger that rates the NER's spans (training/README.md).

``--augment N`` adds N copies of every letter in which a quarter of the words outside every gold span (any
label; alphabetic, not stop words) are swapped for words of ``general_words.txt`` (case kept): in the synthetic
letters nearly every unfamiliar word is an entity, a shortcut that would make the model tag ordinary
words of real letters. The copies are seeded (``--seed``), so conversion stays reproducible.

``--swap-diagnoses P`` also replaces, in those copies, each DIAGNOSIS span with probability P by a phrase
from the ICD-10-CM code descriptions (``patterns/icd10/codes.jsonl``, chapters A-T; encounter and
"unspecified" qualifiers cut off, case varied): the model then sees far more diagnosis wordings in the
contexts diagnoses take than the corpus vocabulary has, which is what an unseen diagnosis needs.

``--nonce-treatments P`` gives, in those copies, a share P of the TREATMENT spans made-up words: each content
word (alphabetic, four letters or more, not a stop word or body-site word) becomes, with probability 0.6, the
start of one medical word joined to the end of another (``cryo`` + ``plasty``), drawn from the diagnosis and
treatment words of the corpus and the ICD-10-CM wordings. A word ending like a diagnosis ("-lysis", "-osis")
then also occurs where treatments are named, so the model has to read the context: the diagnosis wordings
alone teach it that an unfamiliar medical word is a diagnosis ("iontophoresis", "cryoneurolysis").

``--mask-held-out`` leaves every span that contains a test-only term of the corpus vocabulary
(``corpus.generator.report.held_out_pattern``) without annotation: its tokens are missing values for the
NER and the tagger, neither entity nor ``O``. The hand-corrected real letters (``corpus/real_train.jsonl``)
name real drugs and procedures that the synthetic test split holds out ("tizanidine", "electromyography");
masked, they teach the model nothing about those terms, so the test split still measures generalization to
unseen terms. Dev-only terms are not masked (masking them too cost the real dev letters 0.024 TREATMENT F1);
the synthetic dev split is then no longer wholly unseen, and the real dev letters choose the model.

``--repeat N`` writes every letter N times: the weight of a small set (the real letters) against the larger
synthetic one, as spaCy's corpus reader has no per-file weights.
"""

from __future__ import annotations

import argparse
import json
import random
import re
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from imr_spacy.exports.tokens import imr_tokenizer_nlp
from imr_spacy.model_merge import read_word_list, site_word_set
from spacy.language import Language
from spacy.tokens import Doc, DocBin, Span
from spacy.training.iob_utils import doc_to_biluo_tags

OPEN_LABELS = ("DIAGNOSIS", "TREATMENT", "FINDING", "EVIDENCE")
WORDS = Path(__file__).resolve().parent / "general_words.txt"
ICD10_CODES = Path(__file__).resolve().parents[1] / "patterns" / "icd10" / "codes.jsonl"
SITES = Path(__file__).resolve().parents[1] / "patterns" / "vocab" / "sites.txt"
NONCE_WORD_RATE = 0.6
SWAP_RATE = 0.25
#: Last words that leave a description cut short ("Sepsis due to" once "unspecified ..." is cut).
_DANGLING = {"of", "and", "with", "to", "in", "or", "by", "due", "for", "without", "at", "on"}
#: Descriptions that are residual classes or drug events rather than diagnosis wordings.
_SKIP_START = ("Other", "Unspecified", "Poisoning", "Adverse effect", "Underdosing", "Toxic effect")
#: Description tails cut off before use ("..., initial encounter for closed fracture", ", unspecified").
_DESC_TAIL = re.compile(
    r",? (?:initial|subsequent) encounter.*$|, sequela$|,? unspecified\b.*$|,? not elsewhere classified"
)


def general_words(records: list[dict[str, Any]], path: Path = WORDS) -> list[str]:
    """The swap-in words, minus any word that occurs inside an open-class gold span of ``records``."""
    inside: set[str] = set()
    for rec in records:
        for s in rec["spans"]:
            if s["label"] in OPEN_LABELS:
                inside.update(w.lower() for w in re.findall(r"[A-Za-z]+", rec["text"][s["start"] : s["end"]]))
    return [w for w in read_word_list(str(path)) if w not in inside]


def icd10_phrases(path: Path = ICD10_CODES, max_words: int = 8) -> list[str]:
    """Diagnosis wordings from the ICD-10-CM descriptions (chapters A-T), distinct, in file order."""
    seen: dict[str, None] = {}
    with path.open(encoding="utf-8") as fh:
        for line in fh:
            row = json.loads(line)
            if not "A" <= row["code"][0] <= "T":
                continue
            text = re.sub(r"\s*\([^)]*\)", "", _DESC_TAIL.sub("", row["desc"])).strip(" ,")
            words = text.split()
            if (
                words
                and words[-1].lower() not in _DANGLING
                and not text.startswith(_SKIP_START)
                and len(words) <= max_words
                and not re.search(r"\d", text)
            ):
                seen.setdefault(text, None)
    return list(seen)


def nonce_parts(records: list[dict[str, Any]], phrases: list[str]) -> tuple[list[str], list[str]]:
    """Word starts and word ends (3-5 letters) of the medical words of ``records``' DIAGNOSIS and TREATMENT
    spans and of ``phrases``, distinct, sorted."""
    vocab: set[str] = set()
    for rec in records:
        for sp in rec["spans"]:
            if sp["label"] in ("DIAGNOSIS", "TREATMENT"):
                vocab.update(re.findall(r"[a-z]{7,}", rec["text"][sp["start"] : sp["end"]].lower()))
    for phrase in phrases:
        vocab.update(re.findall(r"[a-z]{7,}", phrase.lower()))
    heads = {w[:n] for w in vocab for n in (3, 4, 5)}
    tails = {w[-n:] for w in vocab for n in (3, 4, 5)}
    return sorted(heads), sorted(tails)


def in_case_of(text: str, word: str) -> str:
    """``word`` in the case pattern of ``text`` (upper, capitalized or lower)."""
    return word.upper() if text.isupper() else word.capitalize() if text[0].isupper() else word


@dataclass
class Nonce:
    """Made-up content words for some TREATMENT entities (``--nonce-treatments``)."""

    heads: list[str]
    tails: list[str]
    #: Body-site words, kept as they are.
    sites: frozenset[str]
    #: The share of TREATMENT entities that get made-up words.
    rate: float
    rng: random.Random

    def positions(self, doc: Doc) -> set[int]:
        """The tokens to make up: the content words of the chosen entities, each with ``NONCE_WORD_RATE``."""
        out: set[int] = set()
        for e in doc.ents:
            if e.label_ == "TREATMENT" and self.rng.random() < self.rate:
                out.update(
                    t.i
                    for t in e
                    if t.is_alpha
                    and len(t) >= 4
                    and not t.is_stop
                    and t.lower_ not in self.sites
                    and self.rng.random() < NONCE_WORD_RATE
                )
        return out

    def word(self, text: str) -> str:
        """A made-up word (a head joined to a tail) in the case pattern of ``text``."""
        return in_case_of(text, self.rng.choice(self.heads) + self.rng.choice(self.tails))


def phrase_variant(phrase: str, rng: random.Random) -> str:
    """``phrase`` as letters write it: most often lower case, sometimes title case, maybe cut at its first comma."""
    if "," in phrase and rng.random() < 0.5 and phrase.split(",")[0].split()[-1].lower() not in _DANGLING:
        phrase = phrase.split(",")[0]
    roll = rng.random()
    if roll < 0.6:
        return phrase.lower()
    if roll < 0.8:
        return phrase.title()
    return phrase


def held_out_mask() -> Callable[[str], bool]:
    """Whether a span text contains a test-only term of the corpus vocabulary (word-bounded)."""
    root = str(Path(__file__).resolve().parents[1])
    if root not in sys.path:
        sys.path.insert(0, root)
    from corpus.generator.report import held_out_pattern, span_key

    pattern = held_out_pattern(("test",))
    return lambda text: pattern.search(span_key(text)) is not None


def gold_doc(
    nlp: Language, rec: dict[str, Any], labels: tuple[str, ...], masked: Callable[[str], bool] | None = None
) -> Doc:
    """The record's Doc with its ``labels`` spans as entities; spans ``masked`` accepts are left missing."""
    doc = nlp.make_doc(rec["text"])
    ents, missing = [], []
    for s in rec["spans"]:
        if s["label"] not in labels:
            continue
        span = doc.char_span(s["start"], s["end"], label=s["label"], alignment_mode="strict")
        if span is None:
            raise ValueError(f"{rec['id']}: span {s['label']}[{s['start']}:{s['end']}] is not token-aligned")
        (missing if masked is not None and masked(span.text) else ents).append(span)
    doc.set_ents(ents, missing=missing, default="outside")
    return doc


def swapped(
    doc: Doc,
    rec: dict[str, Any],
    words: list[str],
    rng: random.Random,
    phrases: list[Doc] | None = None,
    swap_diagnoses: float = 0.0,
    nonce: Nonce | None = None,
) -> Doc:
    """A copy of ``doc`` with some words outside every gold span replaced by general words and, with
    ``phrases``, some DIAGNOSIS entities replaced by one of them (tokenized phrases); with ``nonce``,
    the content words of some TREATMENT entities made up."""
    taken = [False] * len(doc)
    for s in rec["spans"]:
        span = doc.char_span(s["start"], s["end"], alignment_mode="expand")
        if span is not None:
            taken[span.start : span.end] = [True] * len(span)
    replace = {e.start: e for e in doc.ents if phrases and e.label_ == "DIAGNOSIS" and rng.random() < swap_diagnoses}
    made_up = nonce.positions(doc) if nonce is not None else set()
    out: list[str] = []
    spaces: list[bool] = []
    ents: list[tuple[int, int, str]] = []
    ent_at = {e.start: e for e in doc.ents}
    i = 0
    while i < len(doc):
        if i in replace:
            ent, phrase = replace[i], rng.choice(phrases or [])
            start = len(out)
            out.extend(t.text for t in phrase)
            spaces.extend([bool(t.whitespace_) for t in phrase[:-1]] + [bool(doc[ent.end - 1].whitespace_)])
            ents.append((start, len(out), ent.label_))
            i = ent.end
            continue
        if i in ent_at:
            ent = ent_at[i]
            ents.append((len(out), len(out) + len(ent), ent.label_))
        t = doc[i]
        text = t.text
        if nonce is not None and i in made_up:
            text = nonce.word(text)
        elif not taken[i] and t.is_alpha and not t.is_stop and len(text) > 2 and rng.random() < SWAP_RATE:
            text = in_case_of(text, rng.choice(words))
        out.append(text)
        spaces.append(bool(t.whitespace_))
        i += 1
    copy = Doc(doc.vocab, words=out, spaces=spaces)
    copy.ents = [Span(copy, start, end, label=label) for start, end, label in ents]
    return copy


def set_biluo_tags(doc: Doc) -> Doc:
    """Each token's BILUO tag in ``tag_``; a token of a masked span keeps an empty (missing) tag."""
    for token, tag in zip(doc, doc_to_biluo_tags(doc), strict=True):
        if token.ent_iob != 0:  # 0: missing (a masked span)
            token.tag_ = tag
    return doc


def convert(
    src: Path,
    dest: Path,
    labels: tuple[str, ...] = OPEN_LABELS,
    nlp: Language | None = None,
    augment: int = 0,
    seed: int = 0,
    swap_diagnoses: float = 0.0,
    nonce_treatments: float = 0.0,
    mask_held_out: bool = False,
    repeat: int = 1,
) -> int:
    """Write ``dest`` (.spacy) from the gold JSONL ``src``; returns the number of docs written."""
    if mask_held_out and augment:
        raise ValueError("--mask-held-out is for letters converted without --augment (copies drop missing values)")
    nlp = nlp or imr_tokenizer_nlp()
    with src.open(encoding="utf-8") as fh:
        records = [json.loads(line) for line in fh if line.strip()]
    words = general_words(records) if augment else []
    rng = random.Random(seed)
    prng = random.Random(seed + 1)
    icd10 = icd10_phrases() if augment and (swap_diagnoses or nonce_treatments) else []
    phrases = [nlp.make_doc(phrase_variant(p, prng)) for p in icd10] if augment and swap_diagnoses else None
    nonce = None
    if augment and nonce_treatments:
        sites = site_word_set(read_word_list(str(SITES)))
        nonce = Nonce(*nonce_parts(records, icd10), sites, nonce_treatments, random.Random(seed + 2))
    masked = held_out_mask() if mask_held_out else None
    db = DocBin(store_user_data=False)
    n = 0
    for rec in records:
        doc = set_biluo_tags(gold_doc(nlp, rec, labels, masked))
        for _ in range(repeat):
            db.add(doc)
            n += 1
        for _ in range(augment):
            db.add(set_biluo_tags(swapped(doc, rec, words, rng, phrases, swap_diagnoses, nonce)))
            n += 1
    dest.parent.mkdir(parents=True, exist_ok=True)
    db.to_disk(dest)
    return n


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("src", type=Path)
    ap.add_argument("dest", type=Path)
    ap.add_argument("--labels", default=",".join(OPEN_LABELS), help="comma-separated labels to keep")
    ap.add_argument("--augment", type=int, default=0, help="word-swapped copies per letter (training data)")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--swap-diagnoses", type=float, default=0.0, help="share of DIAGNOSIS spans given ICD-10 wordings")
    ap.add_argument("--nonce-treatments", type=float, default=0.0, help="share of TREATMENT spans given made-up words")
    ap.add_argument("--mask-held-out", action="store_true", help="leave spans with a test-only term unannotated")
    ap.add_argument("--repeat", type=int, default=1, help="write every letter N times (its weight in training)")
    args = ap.parse_args()
    labels = tuple(x for x in args.labels.split(",") if x)
    n = convert(
        args.src,
        args.dest,
        labels,
        augment=args.augment,
        seed=args.seed,
        swap_diagnoses=args.swap_diagnoses,
        nonce_treatments=args.nonce_treatments,
        mask_held_out=args.mask_held_out,
        repeat=args.repeat,
    )
    print(f"{args.dest}: {n} docs")


if __name__ == "__main__":
    main()
