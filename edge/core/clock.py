"""Wall-clock timestamps as the payloads write them."""

from __future__ import annotations

from datetime import datetime, timezone

__all__ = ["iso_utc"]


def iso_utc(ts: float) -> str:
    """A UNIX timestamp as ISO-8601 UTC with milliseconds (``2024-01-01T00:00:00.000Z``)."""
    text = datetime.fromtimestamp(ts, tz=timezone.utc).isoformat(timespec="milliseconds")
    return text.replace("+00:00", "Z")
