"""The search's time budget: one object for "stop at this moment".

Every phase of the search (the fleet phase, the ruin-and-recreate, OR-Tools) stops at a
:class:`Deadline`. A phase gets its deadline as a share of the time left when it starts
(:meth:`Deadline.share`), so a phase that ends early leaves its time to the next. Times
are ``time.monotonic()`` seconds, which a change of the wall clock does not move.
"""

from __future__ import annotations

import time
from dataclasses import dataclass


@dataclass(frozen=True)
class Deadline:
    """The ``time.monotonic()`` instant at which a phase of the search must stop.

    Parameters
    ----------
    at
        The instant, in ``time.monotonic()`` seconds.
    """

    at: float

    @classmethod
    def after(cls, seconds: float) -> Deadline:
        """The deadline ``seconds`` from now."""
        return cls(time.monotonic() + seconds)

    def remaining(self) -> float:
        """Seconds left (0 once the deadline has passed)."""
        return max(0.0, self.at - time.monotonic())

    def expired(self) -> bool:
        """Whether the deadline has passed."""
        return time.monotonic() >= self.at

    def share(self, fraction: float) -> Deadline:
        """The deadline of a phase that may use ``fraction`` of the time left from now
        (one that has already passed when this one has)."""
        now = time.monotonic()
        return Deadline(now + fraction * (self.at - now))

    def earlier(self, seconds: float) -> Deadline:
        """The deadline ``seconds`` before this one (to keep time for a last step)."""
        return Deadline(self.at - seconds)
