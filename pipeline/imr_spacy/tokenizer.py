"""Tokenizer fitted to clinical and IMR text.

spaCy's English rules, changed so that the units IMR patterns match on stay whole:
number ranges and spinal levels ("98-99", "9-10", "L4-5", "C5-6"), dashed dates
("10-13-16"), reflex grades ("2+/4"), "Page(s)"/"Section(s)", and counts glued to
"x" ("x12", "2x6").
"""

from __future__ import annotations

import re
from collections.abc import Callable

from spacy.lang.en import English
from spacy.language import Language
from spacy.tokenizer import Tokenizer
from spacy.util import compile_infix_regex, compile_prefix_regex, compile_suffix_regex, registry

#: Whole tokens that must not be split by affix rules.
TOKEN_MATCH = re.compile(
    r"""^(?:
        [A-Za-z]+\(s\)                       # Page(s), Section(s), State(s)
      | [+-]?\d\+?(?:/\d)?                   # reflex grades: 2+, 2+/4, +2
      | [TLCS]\d{1,2}(?:-[TLCS]?\d{1,2})+    # spinal levels: L4-5, C5-C6, L4-5-S1
      | \d+(?:[-/]\d+)+                      # ranges and dates: 98-99, 10-13-16, 02/23/2009
      | [xX]\d+                              # x12
      | \d+[xX]\d+                           # 2x6
    )$""",
    re.VERBOSE,
)

#: Hyphen infix between digits removed from the English defaults (ranges stay whole).
_DIGIT_HYPHEN_INFIX = r"(?<=[0-9])[+\-\*^](?=[0-9-])"


def build_tokenizer(nlp: Language) -> Tokenizer:
    """The IMR tokenizer for ``nlp``'s vocab."""
    defaults = English.Defaults
    infixes = [p for p in defaults.infixes if p != _DIGIT_HYPHEN_INFIX]
    prefixes = list(defaults.prefixes)
    suffixes = list(defaults.suffixes)
    return Tokenizer(
        nlp.vocab,
        rules=dict(defaults.tokenizer_exceptions),
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
