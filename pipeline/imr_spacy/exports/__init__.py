"""Exports of annotations to labelling tools and spaCy, and importers back to the gold format.

Formats (``imr export --format``): ``prodigy`` (JSONL file), ``labelstudio`` (folder: tasks.json
and labeling_config.xml), ``doccano`` (JSONL file), ``brat`` (folder), ``spacy`` (``.spacy``
DocBin file). ``imr import`` reads ``prodigy``, ``labelstudio``, ``doccano``, ``brat`` (and
``spacy``) back.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from pathlib import Path

from . import brat, docbin, doccano, labelstudio, prodigy
from .common import Annotated, from_gold, from_record, load_annotations, to_gold, tool_view

Exporter = Callable[[Iterable[Annotated], Path], int]
Reader = Callable[[Path], Iterator[Annotated]]

EXPORTERS: dict[str, Exporter] = {
    "prodigy": prodigy.export,
    "labelstudio": labelstudio.export,
    "doccano": doccano.export,
    "brat": brat.export,
    "spacy": docbin.export,
}
READERS: dict[str, Reader] = {
    "prodigy": prodigy.read,
    "labelstudio": labelstudio.read,
    "doccano": doccano.read,
    "brat": brat.read,
    "spacy": docbin.read,
}
#: Formats whose output is a folder rather than a file.
FOLDER_FORMATS = {"labelstudio", "brat"}

__all__ = [
    "EXPORTERS",
    "FOLDER_FORMATS",
    "READERS",
    "Annotated",
    "from_gold",
    "from_record",
    "load_annotations",
    "to_gold",
    "tool_view",
]
