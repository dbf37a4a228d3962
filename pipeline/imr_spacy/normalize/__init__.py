"""Per-label normalizers: each module exposes ``normalize(span) -> None``."""
