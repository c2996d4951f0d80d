"""What a graded submission's processes may touch, and the switch that confines them.

:func:`install` makes every execution environment this process starts go through
``lambdalab/grading/confine.py``, with a spec built here: read access to the operating system, the
Python installation and its packages — except lambdalab's own — and the function's unpacked code; write
access only to the environment's own folder (its HOME and TMPDIR); TCP only to its Runtime API and the
sandbox. The instructor's grader (:mod:`lambdalab.grading.worker`) installs it; notebooks never do.
"""

from __future__ import annotations

import functools
import json
import site
import sys
import sysconfig
import urllib.parse
from pathlib import Path
from typing import Any

CONFINE_SCRIPT = Path(__file__).with_name("confine.py")
RUNTIME_SCRIPTS = tuple(  # what an environment runs before the handler: the bootstrap, then a client
    Path(__file__).parents[1].joinpath("runtime", name) for name in ("bootstrap.py", "client.py", "streaming_client.py")
)
SYSTEM_READ = (
    "/usr",
    "/lib",
    "/lib32",
    "/lib64",
    "/bin",
    "/sbin",
    "/etc",
    "/proc",
    "/dev/urandom",
    "/dev/random",
    "/dev/zero",
)
SYSTEM_WRITE = ("/dev/null",)
RLIMITS = {"RLIMIT_CORE": 0, "RLIMIT_FSIZE": 256 * 1024 * 1024, "RLIMIT_NOFILE": 1024}
#: Names in a site-packages folder that belong to lambdalab (the package, its editable-install hooks).
_OURS = "lambdalab"


def python_read_paths() -> list[str]:
    """The Python installation, every site-packages entry except lambdalab's, as Landlock rules."""
    return _python_paths()[0]


def python_list_paths() -> list[str]:
    """Folders whose entries Python must list (the import system does) though not all may be read."""
    return _python_paths()[1]


@functools.cache
def _python_paths() -> tuple[list[str], list[str]]:
    base = {"base": sys.base_prefix, "platbase": sys.base_prefix}
    package_dirs = {
        Path(p).resolve()
        for p in [
            *site.getsitepackages(),
            *(sysconfig.get_paths()[key] for key in ("purelib", "platlib")),
            *(sysconfig.get_paths(vars=base)[key] for key in ("purelib", "platlib")),  # the base install's
        ]
        if Path(p).is_dir()
    }
    roots = {Path(sys.prefix).resolve(), Path(sys.base_prefix).resolve(), Path(sys.executable).resolve().parent}
    rules: list[str] = []
    listed: list[str] = []
    for root in sorted(roots):
        rules += _beside_packages(root, package_dirs, listed)
    return sorted(set(rules)), sorted(set(listed))


def _beside_packages(folder: Path, package_dirs: set[Path], listed: list[str]) -> list[str]:
    """``folder`` as one rule, unless a site-packages folder lies inside: then its parts, around it (and
    the folder itself in ``listed``: its entries' names may be listed, not read)."""
    if folder in package_dirs:
        listed.append(str(folder))
        return [str(entry) for entry in folder.iterdir() if _OURS not in entry.name.lower()]
    if not any(p.is_relative_to(folder) for p in package_dirs):
        return [str(folder)]
    try:
        children = list(folder.iterdir())
    except OSError:
        return []
    listed.append(str(folder))
    rules = []
    for child in children:
        if child.is_dir() and not child.is_symlink():
            rules += _beside_packages(child, package_dirs, listed)
        elif _OURS not in child.name.lower():
            rules.append(str(child))
    return rules


def spec_for(env: Any) -> dict[str, Any]:
    """The confinement of one execution environment (see the module docstring)."""
    config = env.config
    ports = [int(env._api.address.rsplit(":", 1)[1])]
    # The sandbox, and any service endpoint a check set on the function (AWS_ENDPOINT_URL_<SERVICE>).
    environment = {**env.config.environment, **env.extra_environment}
    for name, endpoint in sorted(environment.items()):
        if name == "AWS_ENDPOINT_URL" or name.startswith("AWS_ENDPOINT_URL_"):
            port = urllib.parse.urlsplit(str(endpoint)).port
            if port and port not in ports:
                ports.append(port)
    read = [
        *SYSTEM_READ,
        *python_read_paths(),
        str(config.code_dir),
        *(str(d) for d in config.layer_dirs),
        *(str(p) for p in RUNTIME_SCRIPTS),
        str(CONFINE_SCRIPT),
    ]
    return {
        "read": read,
        "list": python_list_paths(),
        "write": [*SYSTEM_WRITE, str(env._log_dir)],
        "connect_ports": ports,
        "rlimits": RLIMITS,
    }


def confined_command(env: Any, command: list[str]) -> list[str]:
    spec_file = Path(env._log_dir) / "confine.json"
    spec_file.write_text(json.dumps(spec_for(env)), encoding="utf-8")
    return [sys.executable, "-I", "-S", str(CONFINE_SCRIPT), f"@{spec_file}", "--", *command]


def install() -> None:
    """From now on, every execution environment this process starts is confined."""
    from lambdalab.runtime import environment

    environment.launch_wrapper = confined_command
