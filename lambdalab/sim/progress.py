"""A progress bar for long simulations, and nothing at all for short ones.

A month of traffic can take a minute; a lesson's slider must not print anything. ``Progress`` shows a
``tqdm.auto`` bar (a widget in a notebook, text in a terminal) when asked to, or -- when left to decide --
only for runs of at least ``AUTO_THRESHOLD`` requests. tqdm is imported only when a bar is shown.
"""

from __future__ import annotations

from typing import Any

#: Runs with at least this many requests show a bar unless told otherwise (about a second of simulation).
AUTO_THRESHOLD = 2_000_000


class Progress:
    """``update(done)`` with the absolute count; ``close()`` at the end. Cheap when disabled."""

    def __init__(self, total: int, enabled: bool | None = None, unit: str = "requests") -> None:
        show = total >= AUTO_THRESHOLD if enabled is None else enabled
        self._bar: Any = None
        self._done = 0
        if show and total > 0:
            from tqdm.auto import tqdm

            self._bar = tqdm(total=total, unit=f" {unit}", unit_scale=True, leave=False, desc="simulating")

    def update(self, done: int) -> None:
        if self._bar is not None:
            self._bar.update(done - self._done)
            self._done = done

    def close(self) -> None:
        if self._bar is not None:
            self._bar.update(self._bar.total - self._done)
            self._bar.close()
            self._bar = None
