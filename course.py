#!/usr/bin/env python3
"""The course's two commands, for a fresh machine with nothing but Python 3.11+.

    python3 course.py lab     # open the course in JupyterLab
    python3 course.py test    # run the whole test suite (unit tests and every notebook with nbval, in parallel)

Both first make sure ``.venv`` holds the course's dependencies: created with ``venv``, filled by uv
(about 15 times faster than pip; pip is the fallback when uv cannot be installed), and re-filled only
when pyproject.toml changes, which a stamp file holding its hash tells in milliseconds. Extra arguments
go to JupyterLab (``--port 8899``) or to pytest (``-k cold -x``).

Standard library only, and deliberately small: everything else the course needs is in the package.
"""

from __future__ import annotations

import hashlib
import os
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent
VENV = ROOT / ".venv"
STAMP = VENV / ".lambdalab-installed"
EXTRAS = "course,test"
#: The AWS SAM CLI pins boto3 and botocore below the course's own (and the AWS CLI pins botocore exactly), so
#: it cannot share .venv: it gets its own environment in .venv/tools (a ``uv tool``), and its ``sam`` command
#: is linked into .venv's scripts folder, which the sandbox puts on PATH.
SAM_CLI = "aws-sam-cli>=1.170"
#: Part of the stamp: changing how the venv is filled (extras, steps) forces one re-install.
RECIPE = f"editable .[{EXTRAS}] v2 compiled + {SAM_CLI}"
START_NOTEBOOK = "notebooks/00-start-here.ipynb"
#: What ``test`` runs when given no paths of its own; folders that do not exist yet are left out
#: (git keeps no empty folders, so a fresh clone may have no ``notebooks/`` at all). Long files come first:
#: ``--dist loadfile --no-loadscope-reorder`` hands whole files to the workers in collection order, and a
#: notebook (up to half a minute in one kernel) or a test file marked ``runs_long`` (tests/conftest.py puts
#: those at the front) started last would leave the other workers idle at the end of the run. Longest
#: first, the short unit-test files fill in the gaps. (xdist's own order, files with the most tests first,
#: ran the one-test, 30-second files last: measured, the run ended on them.)
TEST_TARGETS = ("notebooks", "solutions", "labs", "tests")
SANITIZE = "tests/nbval_sanitize.cfg"
#: Longest a single notebook cell may run under nbval before it counts as hung.
CELL_TIMEOUT_S = 300
#: pytest-xdist workers per core. Much of the suite waits (on execution environments starting, on handlers
#: and SQS visibility timeouts that take real seconds), so two workers more than there are cores keep the
#: cores busy. Measured on 2 cores (December 2026, whole suite, one run each, load under 1 before): 3
#: workers 5 min 29 s, 4 workers 4 min 57 s, 5 workers 4 min 55 s with more CPU spent.
WORKERS_PER_CORE, EXTRA_WORKERS, MAX_WORKERS = 1, 2, 8
#: Arguments with which the caller chose the parallelism themselves (``-n 0``, ``-p no:xdist``, ``--dist``).
_PARALLELISM_ARG = re.compile(r"-n|-n\d+|-nauto|-nlogical|--numprocesses(=.*)?|--dist(=.*)?|(-p)?no:xdist")
MIN_PYTHON = (3, 11)
#: uv lists every package it installs (" + name==version"): 160 lines nobody reads; its summary stays.
_UV_PACKAGE_LINE = (" + ", " - ", " ~ ")


def main(argv: list[str]) -> int:
    if sys.version_info < MIN_PYTHON:
        found = ".".join(map(str, sys.version_info[:3]))
        return _fail(f"the course needs Python {'.'.join(map(str, MIN_PYTHON))} or newer; this is {found}")
    command, extra = (argv[0], argv[1:]) if argv else ("", [])
    if command == "sam-cli":  # Binder's postBuild: no .venv there, the image's Python is the course's
        install_sam_cli_beside(Path(sys.executable), Path(sys.prefix) / "tools", [sys.executable, "-m", "uv"],
                               compile_bytecode=True)  # at image build time, not at a learner's first `sam`
        return 0
    commands = {"lab": lab, "test": test, "lock": lock}
    if command not in commands:
        print(__doc__.split("\n\n")[1] if command in ("", "-h", "--help") else f"unknown command {command!r}")
        print("    python3 course.py lock    # maintainers: regenerate binder/requirements.txt")
        print("    python3 course.py sam-cli # Binder's build: the AWS SAM CLI beside this Python, without .venv")
        return 0 if command in ("-h", "--help") else 2
    ensure_venv()
    if command in ("lab", "test"):
        compile_sources()
    return commands[command](extra)


def lab(extra: list[str]) -> int:
    """Start JupyterLab at the course's first page (in the foreground; Ctrl-C stops it)."""
    # The start page as the default URL (not as a file argument, which would make notebooks/ the root
    # and hide labs/ and solutions/): the printed links open it too, so it works on a remote machine.
    args = [str(venv_python()), "-m", "jupyterlab", f"--ServerApp.root_dir={ROOT}"]
    if (ROOT / START_NOTEBOOK).exists():
        args.append(f"--LabApp.default_url=/lab/tree/{START_NOTEBOOK}")
    if getattr(os, "geteuid", lambda: 1)() == 0:
        args.append("--ServerApp.allow_root=True")
    args += extra
    return _replace_process(args)


def test(extra: list[str]) -> int:
    """Run pytest once over the unit tests and every notebook, so its summary is the last line.

    One invocation with strict ``--nbval``: lessons and solutions have their stored outputs compared
    (through the sanitize file); labs are generated unexecuted (no outputs, no execution counts), and
    nbval compares no outputs of a cell that was never run, so for labs strict mode checks exactly what
    ``--nbval-lax`` would: that every cell runs without an error.

    In parallel (pytest-xdist) unless the arguments choose otherwise (``-n 0`` or ``-p no:xdist`` to debug
    in one process): ``--dist loadfile`` keeps each file on one worker, which a notebook needs (its cells
    share one kernel and run in order) and which keeps a test module's module-scoped sandbox in one place.
    """
    targets = [] if _named_paths(extra) else [t for t in TEST_TARGETS if (ROOT / t).is_dir()]
    args = [
        str(venv_python()),
        "-m",
        "pytest",
        *targets,
        "--nbval",
        "--nbval-current-env",
        f"--nbval-sanitize-with={SANITIZE}",
        f"--nbval-cell-timeout={CELL_TIMEOUT_S}",
        # A plugin named with -p loads before nbval: nbval imports nbformat, whose jsonschema would compile
        # the IRI grammars lambdalab defers (over 1 s of CPU in every test process; lambdalab.deferred_imports).
        "-p",
        "lambdalab.deferred_imports",
        *_parallelism(extra),
        *extra,
    ]
    return subprocess.call(args, cwd=ROOT, env=bytecode_environment())


def worker_count(cores: int | None = None) -> int:
    """How many pytest-xdist workers to start on a machine with ``cores`` cores (default: this one's)."""
    cores = cores or os.cpu_count() or 1
    return min(MAX_WORKERS, cores * WORKERS_PER_CORE + EXTRA_WORKERS)


def _parallelism(extra: list[str]) -> list[str]:
    """``-n N --dist loadfile`` (in collection order), unless the caller's own arguments already say how to
    parallelise.

    Starting a worker costs seconds of imports, and a file runs on one worker: a run of one or two named
    files gets no more workers than files (and none for one file: it runs in this process, as before).
    """
    if any(_PARALLELISM_ARG.fullmatch(a) for a in extra):
        return []
    workers = worker_count()
    named = _named_paths(extra)
    if named and not any((ROOT / path).is_dir() for path in named):
        workers = min(workers, len(set(named)))
    return ["-n", str(workers), "--dist", "loadfile", "--no-loadscope-reorder"] if workers > 1 else []


def lock(extra: list[str]) -> int:
    """Regenerate binder/requirements.txt, the exact lock Binder installs (the only exact pins)."""
    args = [
        *_uv(),
        "pip",
        "compile",
        "pyproject.toml",
        "--extra",
        "course",
        "--python-version",
        "3.11",
        "--python-platform",
        "x86_64-unknown-linux-gnu",
        "--quiet",
        "-o",
        "binder/requirements.txt",
        *extra,
    ]
    return subprocess.call(args, cwd=ROOT)


def ensure_venv() -> None:
    """Create or refresh ``.venv``; a no-op (one file read) when pyproject.toml has not changed."""
    python = venv_python()
    wanted = _stamp_value()
    if python.exists() and STAMP.exists() and STAMP.read_text(encoding="utf-8").strip() == wanted:
        return
    started = time.perf_counter()
    if not python.exists() or not _runs(python):
        _say(f"creating {VENV.name} with Python {sys.version.split()[0]}")
        shutil.rmtree(VENV, ignore_errors=True)
        # Without pip: ensurepip costs ~6 s; the pip running this script installs uv into the venv
        # instead, and uv adds pip (for the learner's own %pip installs) with everything else.
        _run([sys.executable, "-m", "venv", "--without-pip", str(VENV)])
    _say(f"installing the course's dependencies (.[{EXTRAS}])")
    STAMP.unlink(missing_ok=True)
    if _have_uv() or _install_uv():
        # Bytecode is written as modules are first imported (see bytecode_environment), not for all 14,000
        # modules now (uv's --compile-bytecode: 31 s on 2 cores, for a course that imports a fraction).
        _run([*_uv(), "pip", "install", "--python", str(python), "-e", f".[{EXTRAS}]", "pip"],
             quiet_lines=_UV_PACKAGE_LINE)
        compile_runtime_sdk(python)
    else:
        _say("uv could not be installed: falling back to pip (slower)")
        _run([str(python), "-m", "pip", "install", "-e", f".[{EXTRAS}]"])
    install_sam_cli()
    STAMP.write_text(wanted + "\n", encoding="utf-8")
    _say(f"{VENV.name} ready in {time.perf_counter() - started:.1f} s")


#: What an execution environment imports from .venv: the runtime SDK and AWS's runtime interface client
#: (lambdalab/runtime/handler_imports.py's RUNTIME_SDK and AWSLAMBDARIC, as import names).
RUNTIME_PACKAGES = ("boto3", "botocore", "jmespath", "s3transfer", "urllib3", "dateutil", "six.py",
                    "awslambdaric", "simplejson", "snapshot_restore_py.py")


def compile_runtime_sdk(python: Path) -> None:
    """Write the bytecode of what execution environments import, now.

    An environment's process never writes bytecode (AWS's function folders are read-only; the bootstrap
    runs with ``-B``), so a module only it imports would be compiled from source at every cold start:
    ``import boto3`` 1.3 s instead of 0.35 s. Everything else gets its bytecode on first import.
    """
    site = subprocess.run([str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                          capture_output=True, text=True, check=True).stdout.strip()
    subprocess.run([str(python), "-m", "compileall", "-q", "-j", "0", *runtime_sdk_paths(Path(site))],
                   stdout=subprocess.DEVNULL, check=False)


def runtime_sdk_paths(site: Path) -> list[str]:
    """The folders and modules of RUNTIME_PACKAGES installed in ``site``."""
    return [str(site / name) for name in RUNTIME_PACKAGES if (site / name).exists()]


def bytecode_environment() -> dict[str, str]:
    """This process's environment, with bytecode written as modules are first imported.

    Where PYTHONDONTWRITEBYTECODE is set (CI machines, some images) no process would ever write a .pyc, and
    every kernel, test worker and tool would compile what it imports from source, every time: about 3 s of
    CPU to start a sandbox. .venv is the course's own; its bytecode is written once, by the first process
    that imports each module (atomically: concurrent writers do not clash).
    """
    return {key: value for key, value in os.environ.items() if key != "PYTHONDONTWRITEBYTECODE"}


def compile_sources() -> None:
    """Write the bytecode of lambdalab's own modules before anything imports them.

    The test workers and the first kernels start together and would each compile the same modules at the
    same moment, and execution environments, which import some of them, never write bytecode. Up-to-date
    files are skipped (well under 0.1 s).
    """
    subprocess.run([str(venv_python()), "-m", "compileall", "-q", "-j", "0", str(ROOT / "lambdalab")],
                   stdout=subprocess.DEVNULL, check=False)


def install_sam_cli() -> None:
    """Put the AWS SAM CLI in its own environment under .venv/tools, with ``sam`` beside .venv's python."""
    if not _have_uv():
        _say(f"uv is not available: skipping the AWS SAM CLI (install {SAM_CLI} yourself for lesson 06)")
        return
    install_sam_cli_beside(venv_python(), VENV / "tools", _uv())


def install_sam_cli_beside(python: Path, tools: Path, uv: list[str], *, compile_bytecode: bool = False) -> None:
    """The AWS SAM CLI in its own environment under ``tools``, its ``sam`` linked beside ``python``.

    ``python3 course.py`` does it for .venv; Binder's postBuild (``python3 course.py sam-cli``) for the
    image's Python, which has no .venv: one recipe, so a laptop and Binder get the same SAM CLI.
    """
    _say(f"installing the AWS SAM CLI ({SAM_CLI}) into {tools}")
    env = {**os.environ, "UV_TOOL_DIR": str(tools), "UV_TOOL_BIN_DIR": str(python.parent)}
    # Under .venv the SAM CLI writes its bytecode as it runs (bytecode_environment): 5,800 files compiled up
    # front took 10 s of every set-up, for the few hundred modules `sam build` and `sam deploy` import.
    compiled = ["--compile-bytecode"] if compile_bytecode else []
    args = [*uv, "tool", "install", "--force", *compiled, "--python", str(python), SAM_CLI]
    # uv warns that the scripts folder is not on PATH: the sandbox puts it there for notebooks.
    _run(args, quiet_lines=(*_UV_PACKAGE_LINE, "warning: `"), env=env)


def venv_python() -> Path:
    return VENV / ("Scripts/python.exe" if os.name == "nt" else "bin/python")


def _stamp_value() -> str:
    digest = hashlib.sha256((ROOT / "pyproject.toml").read_bytes())
    digest.update(RECIPE.encode())
    return digest.hexdigest()


def _uv() -> list[str]:
    return [str(venv_python()), "-m", "uv"]


def _have_uv() -> bool:
    return (VENV / ("Scripts/uv.exe" if os.name == "nt" else "bin/uv")).exists()


def _install_uv() -> bool:
    """Put uv into the venv: with this interpreter's pip (pip >= 22.3 has ``--python``), else with its own."""
    python = str(venv_python())
    install = ["install", "--quiet", "--disable-pip-version-check", "uv"]
    if subprocess.call([sys.executable, "-m", "pip", "--python", python, *install], cwd=ROOT) == 0:
        return True
    _say("installing pip into the venv first")
    if not _has_pip(python) and subprocess.call([python, "-m", "ensurepip", "--upgrade"], cwd=ROOT) != 0:
        return False
    return subprocess.call([python, "-m", "pip", *install], cwd=ROOT) == 0


def _has_pip(python: str) -> bool:
    return subprocess.call([python, "-c", "import pip"], stderr=subprocess.DEVNULL) == 0


def _runs(python: Path) -> bool:
    """A venv whose base interpreter was upgraded or removed is rebuilt rather than half-used."""
    try:
        return subprocess.call([str(python), "-c", ""], stderr=subprocess.DEVNULL) == 0
    except OSError:
        return False


def _named_paths(extra: list[str]) -> list[str]:
    """The files and folders the pytest arguments name (then only those run, not the whole suite)."""
    return [path for a in extra if not a.startswith("-") and (ROOT / (path := a.split("::")[0])).exists()]


def _replace_process(args: list[str]) -> int:
    os.chdir(ROOT)
    if os.name == "nt":  # exec on Windows does not keep the console; wait for the child instead
        try:
            return subprocess.call(args, env=bytecode_environment())
        except KeyboardInterrupt:
            return 130
    sys.stdout.flush()
    os.execve(args[0], args, bytecode_environment())
    return 0  # not reached


def _run(args: list[str], quiet_lines: tuple[str, ...] = (), env: dict[str, str] | None = None) -> None:
    """Run a set-up step, failing loudly; lines starting with ``quiet_lines`` are not echoed."""
    if quiet_lines:
        with subprocess.Popen(args, cwd=ROOT, env=env, stderr=subprocess.PIPE, text=True, errors="replace") as step:
            assert step.stderr is not None
            for line in step.stderr:
                if not line.startswith(quiet_lines):
                    print(line, end="", file=sys.stderr, flush=True)
        result = step.returncode
    else:
        result = subprocess.call(args, cwd=ROOT, env=env)
    if result != 0:
        raise SystemExit(_fail(f"`{' '.join(args)}` failed (exit {result})"))


def _say(message: str) -> None:
    print(f"course.py: {message}", flush=True)


def _fail(message: str) -> int:
    print(f"course.py: {message}", file=sys.stderr, flush=True)
    return 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
