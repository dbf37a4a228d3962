"""Boundary rules the matchers cannot express, applied to ruler candidates on the view.

Each refiner takes the compact view Doc and the candidate list and returns a new list.
"""

from __future__ import annotations

from collections.abc import Callable

from spacy.tokens import Doc

Candidate = tuple[int, int, str, int]
Refiner = Callable[[Doc, list[Candidate]], list[Candidate]]

REFINERS: list[Refiner] = []


def refine(view: Doc, candidates: list[Candidate]) -> list[Candidate]:
    """Apply every refiner in order."""
    for refiner in REFINERS:
        candidates = refiner(view, candidates)
    return candidates
