"""One log line per state change the supervisor sees (outbox backlog), with the reason.

The camera (:mod:`edge.device.capture`), the broker (:mod:`edge.comms.publisher`) and the model
(:mod:`edge.device.pipeline`, :mod:`edge.device.models`) log their own changes where they
happen; the outbox has no thread of its own, so the supervisor watches its depth here.
"""

from __future__ import annotations

import logging

__all__ = ["OutboxWatch"]

log = logging.getLogger(__name__)


class OutboxWatch:
    """Logs when alerts start to wait in the outbox, and when it is empty again."""

    def __init__(self) -> None:
        self.backlog = False
        self.peak = 0

    def update(self, depth: int, connected: bool, why: str | None) -> None:
        """Call periodically with the outbox depth and the publisher's state."""
        if depth > 0 and not connected and not self.backlog:
            self.backlog, self.peak = True, depth
            log.warning(
                "outbox: alerts are waiting to be sent (%d now; MQTT %s)",
                depth,
                why or "not connected",
            )
        elif self.backlog:
            self.peak = max(self.peak, depth)
            if depth == 0:
                self.backlog = False
                log.info("outbox: empty again; the %d waiting alert(s) were sent", self.peak)
