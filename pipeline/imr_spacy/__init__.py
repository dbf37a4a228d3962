"""spaCy components for California workers' compensation IMR determination letters.

Importing the package registers the custom attributes, the tokenizer and every factory.
"""

from __future__ import annotations

from . import extensions  # noqa: F401  (registers Doc/Span attributes)
from .abbreviations import make_abbreviations
from .callbacks import set_max_length
from .case_facts import make_case_facts
from .context import make_context
from .decisions import make_decisions
from .entity_ruler import make_entity_ruler
from .icd10 import make_icd10
from .model_merge import make_model_merge, make_model_stash
from .msgpack_registry import freeze_msgpack_entry_points
from .normalizer import make_normalizer
from .sections import make_sections
from .sentences import make_sentencizer
from .tokenizer import create_imr_tokenizer

__version__ = "0.1.0"

freeze_msgpack_entry_points()  # Doc.to_bytes/from_bytes: no entry-point scan per call

__all__ = [
    "create_imr_tokenizer",
    "make_abbreviations",
    "make_case_facts",
    "make_context",
    "make_decisions",
    "make_entity_ruler",
    "make_icd10",
    "make_model_merge",
    "make_model_stash",
    "make_normalizer",
    "make_sections",
    "make_sentencizer",
    "set_max_length",
]
