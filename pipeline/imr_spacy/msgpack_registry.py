"""srsly's msgpack codecs, looked up once instead of on every call.

``srsly.msgpack_loads``/``msgpack_dumps`` ask their codec registries for every function on
each call, and the registries are created with ``entry_points=True``: each call scans the
entry points of every installed distribution. ``Doc.to_bytes``/``from_bytes`` make several
such calls per Doc, which is half of ``Doc.from_bytes`` time, and that is what the parent
process of ``nlp.pipe(n_process=2)`` spends its time on. :func:`freeze_msgpack_entry_points`
registers the codecs the entry points name, once, and turns the scan off: the registries
hold the same functions.
"""

from __future__ import annotations

from srsly import msgpack


def freeze_msgpack_entry_points() -> None:
    """Register srsly's entry-point msgpack codecs once and stop scanning for them per call."""
    for registry in (msgpack.msgpack_encoders, msgpack.msgpack_decoders):
        if not registry.entry_points:
            continue
        for name, func in registry.get_entry_points().items():
            registry.register(name, func=func)
        registry.entry_points = False
