"""Tokenizer fitted to clinical and IMR text.

spaCy's English rules, changed so that the units IMR patterns match on stay whole:
number ranges and spinal levels ("98-99", "9-10", "L4-5", "C5-6"), dashed and slashed
dates ("10-13-16", "02/23/2009"), reflex grades ("2+", "2+/4", "1+/1+"), "Page(s)" and
"Section(s)", counts glued to "x" or "#" ("x12", "2x6", "#60"). A grade glued to a word
("1+/1+BLE") is split after the grade. Strengths split from their unit as spaCy does
("10/325mg" -> "10/325", "mg"). spaCy's emoticon exceptions are dropped (letters have none, and
"):" of "(unknown quantity): Upheld" must split). ``bench/tokenizers.py`` compares this with spaCy's and
scispaCy's tokenizers.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from spacy.lang.en import English
from spacy.lang.tokenizer_exceptions import emoticons
from spacy.language import Language
from spacy.tokenizer import Tokenizer
from spacy.util import compile_infix_regex, compile_prefix_regex, compile_suffix_regex, registry

#: Whole tokens that must not be split by affix rules. Kept free of regex flags: spaCy
#: serializes only the pattern string, so a loaded pipeline recompiles it as is.
_WHOLE_TOKENS = (
    r"[A-Za-z]+\(s\)",  # Page(s), Section(s), State(s)
    r"[+-]?\d\+?(?:/\d\+?)?",  # reflex grades: 2+, 2+/4, +2, 1+/1+
    r"[TLCS]\d{1,2}(?:-[TLCS]?\d{1,2})+",  # spinal levels: L4-5, C5-C6, L4-5-S1
    r"\d+(?:[-/]\d+)+",  # ranges and dates: 98-99, 10-13-16, 02/23/2009
    r"[xX]\d+",  # x12
    r"\d+[xX]\d+",  # 2x6
    r"#\d+",  # #60
    r"\S{500,}",  # a 500+ character run without spaces stays whole (affix splitting is quadratic on it)
)
TOKEN_MATCH = re.compile("^(?:" + "|".join(_WHOLE_TOKENS) + ")$")

#: Hyphen infix between digits removed from the English defaults (ranges stay whole).
_DIGIT_HYPHEN_INFIX = r"(?<=[0-9])[+\-\*^](?=[0-9-])"

#: Zero-width infix after a reflex grade glued to a word: "1+/1+BLE" -> "1+/1+", "BLE".
_GRADE_WORD_INFIX = r"(?<=[0-9][+-])(?=[A-Za-z])"

#: A period glued between a number or closing bracket and a capitalized word ends a sentence:
#: "2016.In" -> "2016", ".", "In"; "(right elbow).The" -> ..., ")", ".", "The".
_SENTENCE_PERIOD_INFIX = r"(?<=[0-9)\]])\.(?=[A-Z][a-z])"
_BRACKET_PERIOD_INFIX = r"(?<=[A-Za-z0-9])[)\]](?=\.[A-Z][a-z])"

#: "#" stays a prefix except before a number ("#60" is one token).
_HASH_PREFIX = "#"
_HASH_NOT_NUMBER = r"#(?![0-9])"


def build_tokenizer(nlp: Language) -> Tokenizer:
    """The IMR tokenizer for ``nlp``'s vocab."""
    defaults = English.Defaults
    infixes = [p for p in defaults.infixes if p != _DIGIT_HYPHEN_INFIX] + [
        _GRADE_WORD_INFIX,
        _SENTENCE_PERIOD_INFIX,
        _BRACKET_PERIOD_INFIX,
    ]
    prefixes = [_HASH_NOT_NUMBER if p == _HASH_PREFIX else p for p in defaults.prefixes]
    suffixes = list(defaults.suffixes)
    return Tokenizer(
        nlp.vocab,
        rules={text: rule for text, rule in defaults.tokenizer_exceptions.items() if text not in emoticons},
        prefix_search=compile_prefix_regex(prefixes).search,
        suffix_search=compile_suffix_regex(suffixes).search,
        infix_finditer=compile_infix_regex(infixes).finditer,
        token_match=TOKEN_MATCH.match,
        url_match=defaults.url_match,
    )


@registry.tokenizers("imr_spacy.Tokenizer.v1")
def create_imr_tokenizer() -> Callable[[Language], Tokenizer]:
    """Registered tokenizer factory: ``[nlp.tokenizer] @tokenizers = "imr_spacy.Tokenizer.v1"``."""
    return build_tokenizer
