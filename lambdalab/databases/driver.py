"""A Lambda layer holding a pure-Python PostgreSQL driver, built the way AWS users build one.

On AWS a Python function cannot count on libpq, so the usual choice is a driver written in Python alone,
``pg8000`` (psycopg2 needs a compiled libpq build for Amazon Linux). People package it as a layer:
``pip install pg8000 -t python/`` and zip the folder — Lambda puts a layer's ``python/`` folder on the
function's ``sys.path`` (https://docs.aws.amazon.com/lambda/latest/dg/python-layers.html, checked December
2026). :func:`driver_layer` does the same offline, from the distributions the course already installed
(pg8000 and what it requires: scramp, asn1crypto, python-dateutil, six), so it works without network. It
adds the step lesson 04 recommends and AWS's own Powertools layer takes: checked-hash bytecode for the
runtime's Python beside every module (:mod:`lambdalab.service.bytecode`), so that a cold start does not
compile the driver again:

    layer = lambdalab.databases.driver_layer()
    lam.publish_layer_version(LayerName="pg8000", Content={"ZipFile": layer},
                              CompatibleRuntimes=["python3.12"])
"""

from __future__ import annotations

import io
import re
import zipfile
from importlib import metadata
from pathlib import Path

from lambdalab.service.bytecode import add_bytecode

DRIVER = "pg8000"
_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*")


def driver_layer(driver: str = DRIVER, path: str | Path | None = None) -> bytes:
    """The layer zip (``python/…``) of ``driver`` and its dependencies; also written to ``path`` if given."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for distribution in _with_requirements(driver):
            for file in distribution.files or []:
                name = str(file)
                if name.startswith("..") or "__pycache__" in name or name.endswith(".pyc"):
                    continue
                source = Path(distribution.locate_file(file))
                if source.is_file():
                    archive.write(source, f"python/{name}")
                    if name.endswith(".py"):
                        add_bytecode(archive, f"python/{name}", source.read_bytes())
    data = buffer.getvalue()
    if path is not None:
        Path(path).write_bytes(data)
    return data


def _with_requirements(name: str) -> list[metadata.Distribution]:
    """``name``'s installed distribution and, recursively, those its (unconditional) requirements name."""
    seen: dict[str, metadata.Distribution] = {}
    pending = [name]
    while pending:
        current = pending.pop()
        key = current.lower().replace("_", "-")
        if key in seen:
            continue
        try:
            distribution = metadata.distribution(current)
        except metadata.PackageNotFoundError:
            raise RuntimeError(
                f"'{current}' is not installed, so its layer cannot be built offline. "
                f"Install it with 'pip install {current}' (the course's requirements include pg8000)."
            ) from None
        seen[key] = distribution
        for requirement in distribution.requires or []:
            if ";" in requirement and "extra ==" in requirement:
                continue  # optional extras are not part of a plain 'pip install'
            if match := _NAME.match(requirement):
                pending.append(match.group(0))
    return list(seen.values())
