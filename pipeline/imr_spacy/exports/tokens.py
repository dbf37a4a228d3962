"""Tokens that break at every annotation boundary (for token-based formats and Docs)."""

from __future__ import annotations

from collections.abc import Iterable
from functools import lru_cache

from spacy.lang.en import English
from spacy.language import Language
from spacy.tokens import Doc

from ..tokenizer import build_tokenizer

Token = tuple[int, int, bool]  # start_char, end_char, followed by a space


@lru_cache(maxsize=1)
def imr_tokenizer_nlp() -> Language:
    """A blank English pipeline with the IMR tokenizer (the pipeline's tokenization, no model)."""
    nlp = English()
    nlp.tokenizer = build_tokenizer(nlp)
    nlp.max_length = 10**9
    return nlp


def aligned_tokens(nlp: Language, text: str, cuts: Iterable[int]) -> list[Token]:
    """``nlp``'s tokens of ``text``, each split where a cut (a span boundary) falls inside it."""
    doc = nlp.make_doc(text)
    inner = sorted(set(cuts))
    out: list[Token] = []
    i = 0
    for tok in doc:
        start, end = tok.idx, tok.idx + len(tok.text)
        while i < len(inner) and inner[i] <= start:
            i += 1
        pieces = []
        j = i
        while j < len(inner) and inner[j] < end:
            pieces.append(inner[j])
            j += 1
        bounds = [start, *pieces, end]
        for k in range(len(bounds) - 1):
            last = k == len(bounds) - 2
            out.append((bounds[k], bounds[k + 1], bool(tok.whitespace_) if last else False))
    return out


def aligned_doc(nlp: Language, text: str, cuts: Iterable[int]) -> Doc:
    """A Doc of ``text`` whose tokens break at every cut that is not inside a token's trailing space."""
    tokens = aligned_tokens(nlp, text, cuts)
    return Doc(nlp.vocab, words=[text[s:e] for s, e, _ in tokens], spaces=[ws for _, _, ws in tokens])
