"""Config callbacks for the assembled pipeline."""

from __future__ import annotations

from collections.abc import Callable

from spacy.language import Language
from spacy.util import registry

#: The rule-based pipeline holds no parser or NER buffers, so long letters are safe.
DEFAULT_MAX_LENGTH = 20_000_000


@registry.callbacks("imr_spacy.set_max_length.v1")
def set_max_length(max_length: int = DEFAULT_MAX_LENGTH) -> Callable[[Language], Language]:
    """``[nlp.after_pipeline_creation]``: raise ``nlp.max_length`` (characters per text)."""

    def apply(nlp: Language) -> Language:
        nlp.max_length = max_length
        return nlp

    return apply
