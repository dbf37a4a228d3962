"""Generator of the annotated IMR letter corpus (``python -m corpus.generator``).

Letters are written from vocabulary data (``data/*.json``) through a clause grammar
(``data/grammar.json``), annotated by construction and laid out like PDF-extracted text.
"""
