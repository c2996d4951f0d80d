"""Writing a learner's answer files the way a lab's %%writefile cells do."""

from __future__ import annotations

import textwrap
from pathlib import Path


def write(root: Path, relative: str, source: str) -> Path:
    """Write ``source`` (dedented) to ``root/relative``, creating folders; returns ``root``."""
    path = root / relative
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(textwrap.dedent(source))
    return root
