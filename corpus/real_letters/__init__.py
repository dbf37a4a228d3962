"""Real IMR letters, pre-annotated by the pipeline and corrected by hand (``python -m corpus.real_letters``).

``markup/<id>.txt`` is the corrected annotation of one letter in inline markup (:mod:`.markup`),
``markup/<id>.json`` its id, source, SHA-1 and section bounds; ``splits.json`` assigns letters to
``real_train`` / ``real_dev``. The JSONL files are built from these (``build``).
"""
