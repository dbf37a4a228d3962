"""srsly's msgpack codecs, looked up once instead of on every call.

``srsly.msgpack_loads``/``msgpack_dumps`` ask their codec registries for every function on
each call. The registries are created with ``entry_points=True``, so each call scans the entry
points of every installed distribution, and ``get_all`` then walks catalogue's whole global
registry. ``Doc.to_bytes``/``from_bytes`` make several such calls per Doc; that was most of
their time, and it is what the parent process of ``nlp.pipe(n_process=2)`` spends its time on.

:func:`freeze_msgpack_entry_points` registers the codecs the entry points name, once, turns the
scan off and gives each registry a ``get_all`` that reads its known names straight from the
global registry. It walks the registry again whenever the registry's size changes, so a codec
registered later is still found, and re-registering a name is seen at once.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import catalogue
from srsly import msgpack


def _cached_get_all(registry: catalogue.Registry) -> Callable[[], dict[str, Any]]:
    """``registry.get_all`` that only walks the global registry when its size has changed."""
    walk = type(registry).get_all
    namespace = tuple(registry.namespace)
    state: dict[str, Any] = {"size": -1, "names": ()}

    def get_all() -> dict[str, Any]:
        size = len(catalogue.REGISTRY)
        if size != state["size"]:
            state["names"] = tuple(walk(registry))
            state["size"] = size
        return {name: catalogue.REGISTRY[(*namespace, name)] for name in state["names"]}

    return get_all


def freeze_msgpack_entry_points() -> None:
    """Register srsly's entry-point msgpack codecs once and stop scanning for them per call."""
    for registry in (msgpack.msgpack_encoders, msgpack.msgpack_decoders):
        if registry.entry_points:
            for name, func in registry.get_entry_points().items():
                registry.register(name, func=func)
            registry.entry_points = False
        if "get_all" not in vars(registry):
            registry.get_all = _cached_get_all(registry)  # type: ignore[method-assign]
