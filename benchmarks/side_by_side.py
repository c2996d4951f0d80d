"""What the side-by-side benchmarks share: a ratio from repeats measured alternately, and the results file.

Timings on a shared machine drift within a run; measuring the two things alternately and comparing them
repeat by repeat keeps the drift out of the ratio. The median ratio is the result; the range says how much
one repeat can be trusted.
"""

from __future__ import annotations

import json
import platform
import statistics
from pathlib import Path
from typing import Any


def ratios(before: list[float], after: list[float]) -> dict[str, Any]:
    """Medians of both, and ``before / after`` per repeat: its median, range and every value."""
    each = [b / a for b, a in zip(before, after, strict=True)]
    return {"before_median": statistics.median(before), "after_median": statistics.median(after),
            "ratio_median": statistics.median(each), "ratio_min": min(each), "ratio_max": max(each), "ratios": each}


def alternating(first: str, second: str, rounds: int) -> list[str]:
    """``first``, ``second``; then ``second``, ``first``; and so on: each round swaps who goes first, so a drift
    in the machine's speed during the run reaches both alike."""
    order: list[str] = []
    for round_number in range(rounds):
        order += [first, second] if round_number % 2 == 0 else [second, first]
    return order


def write_results(path: Path, summary: dict[str, Any]) -> None:
    """``summary`` as JSON at ``path``, with the Python version and processor it was measured on."""
    summary["machine"] = {"python": platform.python_version(), "processor": platform.processor() or platform.machine()}
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(summary, indent=2) + "\n")
