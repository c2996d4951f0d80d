"""What a handler can import, worked out once per interpreter: AWS's Python runtime, nothing more.

AWS's Python runtime includes the AWS SDK for Python (Boto3) and its dependencies (*facts: Python runtime*):
boto3, botocore, jmespath, s3transfer, urllib3, python-dateutil and six. Those distributions are found in the
interpreter's environment and named by folder and top-level module, so that :mod:`lambdalab.runtime.bootstrap`
can let a handler import exactly them — and the runtime interface client its own few — and nothing else the course
installed (requests, numpy, lambdalab, Powertools…).
"""

from __future__ import annotations

import functools
import importlib.metadata
import sys
from pathlib import Path

#: The distributions AWS's Python runtime bundles: the SDK and what it depends on.
RUNTIME_SDK = ("boto3", "botocore", "jmespath", "s3transfer", "urllib3", "python-dateutil", "six")
#: What AWS's runtime interface client needs to run (simplejson for its marshaller, and the SnapStart hooks).
AWSLAMBDARIC = ("awslambdaric", "simplejson", "snapshot-restore-py")


def top_level_modules(distribution: importlib.metadata.Distribution) -> list[str]:
    """The importable top-level names a distribution installs (its ``top_level.txt``, else its file list)."""
    listed = distribution.read_text("top_level.txt")
    if listed:
        return sorted({line.strip() for line in listed.splitlines() if line.strip()})
    names = set()
    for file in distribution.files or ():
        first = file.parts[0]
        if first in ("..", "__pycache__") or first.endswith((".dist-info", ".egg-info", ".data", ".pth")):
            continue
        name = first.split(".")[0] if len(file.parts) == 1 else first
        if name.isidentifier() and (len(file.parts) > 1 or first.endswith((".py", ".so", ".pyd"))):
            names.add(name)
    return sorted(names)


def modules_by_folder(distributions: tuple[str, ...]) -> dict[str, list[str]]:
    """``{site folder: [top-level modules]}`` for the named distributions that are installed."""
    folders: dict[str, set[str]] = {}
    for name in distributions:
        try:
            dist = importlib.metadata.distribution(name)
        except importlib.metadata.PackageNotFoundError:
            continue
        folder = str(Path(dist.locate_file("")).resolve())
        folders.setdefault(folder, set()).update(top_level_modules(dist))
    return {folder: sorted(names) for folder, names in folders.items()}


@functools.cache
def runtime_sdk() -> dict[str, list[str]]:
    """Where the runtime's SDK lives in this interpreter's environment, and its top-level modules."""
    return modules_by_folder(RUNTIME_SDK)


@functools.cache
def awslambdaric_modules() -> dict[str, list[str]]:
    """Where awslambdaric and what it imports live, and their top-level modules."""
    return modules_by_folder(AWSLAMBDARIC)


def handler_path(task_root: Path, layer_dirs: tuple[Path, ...]) -> list[str]:
    """The folders searched before the standard library, in AWS's order (see the bootstrap's docstring)."""
    version = f"python{sys.version_info.major}.{sys.version_info.minor}"
    path = [str(task_root)]
    # AWS unpacks layers into /opt in order, a later layer's files replacing an earlier one's; searching
    # the layers last-first gives the same winner. Within /opt: lib/pythonX.Y/site-packages, then python.
    for suffix in (Path("python") / "lib" / version / "site-packages", Path("python")):
        path += [str(layer / suffix) for layer in reversed(layer_dirs)]
    return path + list(runtime_sdk())
