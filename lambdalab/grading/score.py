"""Scoring lab notebooks for an instructor: every exercise of every submission, as a table and as JSON.

Each notebook is graded in a fresh temporary directory holding only the files its ``%%writefile`` cells
write (see :mod:`lambdalab.grading.extract`); no cell of the submission is executed and no stored output
is believed. The checks are the same ones a learner runs with ``check(n)``, so a learner and their
instructor always see the same verdict.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import nbformat

from lambdalab.grading.assign import METADATA_KEY, NOTEBOOK_NAME_RE
from lambdalab.grading.extract import replay
from lambdalab.grading.harness import run_exercise
from lambdalab.grading.registry import LAB_ID_RE, REGISTRY, Registry, UnknownLab
from lambdalab.grading.results import CheckResult, Status

SHORT_STATUS: dict[Status, str] = {
    Status.PASSED: "passed",
    Status.FAILED: "failed",
    Status.NOT_YET_SOLVED: "unsolved",
    Status.ERROR: "error",
}


@dataclass(frozen=True)
class NotebookScore:
    """One submission's verdicts; ``problem`` says why it could not be graded at all."""

    notebook: str
    lab: str | None
    results: tuple[CheckResult, ...] = ()
    max_points: float = 0.0
    problem: str | None = None
    refused_paths: tuple[str, ...] = field(default=())
    #: Why each ``%%writefile`` cell in ``refused_paths`` was not written.
    refused_reasons: tuple[str, ...] = field(default=())

    @property
    def points(self) -> float:
        return sum(r.points or 0.0 for r in self.results)

    def to_json(self) -> dict[str, Any]:
        return {
            "notebook": self.notebook,
            "lab": self.lab,
            "points": self.points,
            "max_points": self.max_points,
            "problem": self.problem,
            "refused_paths": list(self.refused_paths),
            "refused_reasons": list(self.refused_reasons),
            "exercises": [r.to_json() for r in self.results],
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> NotebookScore:
        results = tuple(CheckResult(**{**r, "status": Status(r["status"])}) for r in data.get("exercises", []))
        return cls(
            notebook=data["notebook"],
            lab=data.get("lab"),
            results=results,
            max_points=float(data.get("max_points", 0.0)),
            problem=data.get("problem"),
            refused_paths=tuple(data.get("refused_paths", ())),
            refused_reasons=tuple(data.get("refused_reasons", ())),
        )


#: How long one submission may take to grade before its worker is ended (and it scores 0).
DEFAULT_SUBMISSION_TIMEOUT_S = 900.0


def unshare_prefix() -> list[str]:
    """Fresh user, network, PID and mount namespaces for a worker, where Linux lets us make them.

    The network namespace holds only its own loopback (the worker's sandbox listens there); when the
    worker — PID 1 of its namespace — ends, the kernel ends every process left in it.
    """
    unshare = shutil.which("unshare")
    if not sys.platform.startswith("linux") or unshare is None:
        return []
    prefix = [unshare, "--user", "--map-root-user", "--net", "--pid", "--fork", "--kill-child", "--mount-proc"]
    probe = subprocess.run([*prefix, "true"], capture_output=True, timeout=30)
    return prefix if probe.returncode == 0 else []


def grade_in_worker(
    path: Path,
    lab: str | None = None,
    checks: Sequence[str] = (),
    timeout: float = DEFAULT_SUBMISSION_TIMEOUT_S,
    prefix: Sequence[str] | None = None,
) -> NotebookScore:
    """Grade one submission in a worker process of its own (see :mod:`lambdalab.grading.worker`).

    The verdicts are what the worker writes to a pipe; a worker that dies, stops or overruns leaves
    none, and the submission's row says so with 0 points. Everything the worker wrote to disk lives in a
    temporary folder of its own, removed afterwards whatever happened.
    """
    prefix = unshare_prefix() if prefix is None else list(prefix)
    scratch = Path(tempfile.mkdtemp(prefix="lambdalab-grade-"))
    read_end, write_end = os.pipe()
    command = [
        *prefix,
        sys.executable,
        "-m",
        "lambdalab.grading.worker",
        str(path.resolve()),
        "--result-fd",
        str(write_end),
    ]
    command += ["--lab", lab] if lab else []
    for spec in checks:
        command += ["--checks", spec]
    env = {**os.environ, "TMPDIR": str(scratch), "PYTHONDONTWRITEBYTECODE": "1"}
    earlier = _descendants()
    stderr_path = scratch / "worker.log"
    try:
        with open(stderr_path, "wb") as stderr:
            process = subprocess.Popen(
                command,
                stdin=subprocess.DEVNULL,
                stdout=stderr,
                stderr=stderr,
                pass_fds=(write_end,),
                env=env,
                start_new_session=True,
            )
        os.close(write_end)
        write_end = -1
        output, why = _read_result(read_end, process, timeout)
        if output:
            try:
                return NotebookScore.from_json(json.loads(output))
            except (ValueError, KeyError, TypeError):
                why = "its worker wrote an unreadable result"
        return NotebookScore(str(path), lab, problem=f"could not be graded: {why}; it scores 0")
    finally:
        if write_end >= 0:
            os.close(write_end)
        os.close(read_end)
        _end_new_descendants(earlier)
        shutil.rmtree(scratch, ignore_errors=True)


def _descendants() -> set[int]:
    import psutil

    return {p.pid for p in psutil.Process().children(recursive=True)}


def _end_new_descendants(earlier: set[int]) -> None:
    """Where no PID namespace ends them, kill what the worker left behind (``lambdalab grade`` makes
    itself their subreaper, so a double-forked daemon is still found here)."""
    import psutil

    left = [p for p in psutil.Process().children(recursive=True) if p.pid not in earlier]
    for process in left:
        try:
            process.kill()
        except psutil.Error:
            pass
    psutil.wait_procs(left, timeout=5)


def _read_result(read_end: int, process: subprocess.Popen, timeout: float) -> tuple[bytes, str]:
    """Everything the worker writes to the pipe, and why there is nothing if there is nothing."""
    chunks: list[bytes] = []
    reader = threading.Thread(target=lambda: chunks.extend(iter(lambda: os.read(read_end, 65536), b"")), daemon=True)
    reader.start()
    try:
        process.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        why = f"it was still running after {timeout:g} s (stopped, hung or too slow) and was ended"
    else:
        why = _ended(process.returncode)
    _end_group(process)
    reader.join(timeout=5)
    return b"".join(chunks), why


def _end_group(process: subprocess.Popen) -> None:
    try:
        os.killpg(process.pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        pass


def _ended(returncode: int | None) -> str:
    if returncode is not None and returncode < 0:
        return f"its worker was killed by {signal.Signals(-returncode).name}"
    return f"its worker ended (exit status {returncode}) without verdicts"


def grade_paths_isolated(
    paths: Sequence[Path],
    lab: str | None = None,
    checks: Sequence[str] = (),
    timeout: float = DEFAULT_SUBMISSION_TIMEOUT_S,
) -> list[NotebookScore]:
    """``lambdalab grade``: every submission graded in a worker of its own, one after the other.

    Windows has no way to hand the worker a pipe by number nor process groups to end, so there each
    submission is graded in-process (see docs/grading-isolation.md).
    """
    if os.name == "nt":
        from lambdalab.grading.worker import load_checks

        for spec in checks:
            load_checks(spec)
        return grade_paths(paths, lab)
    prefix = unshare_prefix()
    return [grade_in_worker(nb, lab, checks, timeout, prefix) for nb in find_notebooks(paths)]


def find_notebooks(paths: Iterable[Path]) -> list[Path]:
    """The notebooks named, and those under the folders named (recursively, checkpoints skipped)."""
    found: dict[Path, None] = {}
    for path in paths:
        if path.is_dir():
            for nb in sorted(path.rglob("*.ipynb")):
                if ".ipynb_checkpoints" not in nb.parts:
                    found[nb] = None
        else:
            found[path] = None
    return list(found)


def lab_of(notebook_path: Path, notebook: nbformat.NotebookNode | None = None) -> str | None:
    """The lab id of a notebook: its ``lambdalab.lab`` metadata, else the ``NN-`` of its file name.

    Metadata first, because learners rename files (``01-cold-start (1).ipynb``, ``alice-01.ipynb``)
    far more often than they edit metadata.
    """
    if notebook is not None:
        metadata = notebook.get("metadata") if isinstance(notebook, dict) else None
        ours = metadata.get(METADATA_KEY) if isinstance(metadata, dict) else None
        lab = ours.get("lab") if isinstance(ours, dict) else None
        if isinstance(lab, str) and LAB_ID_RE.match(lab):
            return lab
    match = NOTEBOOK_NAME_RE.match(notebook_path.name)
    return match["lab"] if match else None


def grade_notebook(path: Path, lab: str | None = None, registry: Registry = REGISTRY) -> NotebookScore:
    """Run every check of the notebook's lab against the answers its ``%%writefile`` cells hold.

    Never raises for anything a submission holds: whatever goes wrong becomes this notebook's row, so
    one malformed submission cannot cost the rest of the batch their scores.
    """
    try:
        return _grade_notebook(path, lab, registry)
    except Exception as exc:  # noqa: BLE001 - a last resort: the batch goes on, this row says why
        return NotebookScore(str(path), lab, problem=f"could not be graded ({_describe(exc)})")


def _describe(exc: BaseException) -> str:
    first = (str(exc).strip().splitlines() or [""])[0][:200]
    return f"{type(exc).__name__}: {first}" if first else type(exc).__name__


def _read(path: Path) -> nbformat.NotebookNode:
    """The notebook as nbformat reads it or, when nbformat chokes on a hand-edited cell (a source that
    is a number), as the JSON document it is: the grader only needs cells and metadata."""
    try:
        return nbformat.read(path, as_version=4)
    except (nbformat.reader.NotJSONError, UnicodeDecodeError, OSError):
        raise
    except Exception:  # noqa: BLE001 - nbformat's conversions raise anything on malformed cells
        return nbformat.from_dict(json.loads(path.read_text(encoding="utf-8")))


def _grade_notebook(path: Path, lab: str | None, registry: Registry) -> NotebookScore:
    name = str(path)
    try:
        notebook = _read(path)
    except Exception as exc:  # noqa: BLE001 - an unreadable submission is a row in the table, not a crash
        return NotebookScore(name, lab, problem=f"cannot read the notebook ({type(exc).__name__})")
    if not isinstance(notebook, dict) or not isinstance(notebook.get("cells"), list):
        return NotebookScore(name, lab, problem="cannot read the notebook (it has no list of cells)")
    lab = lab or lab_of(path, notebook)
    if lab is None:
        return NotebookScore(name, None, problem="cannot tell which lab this is (name it NN-….ipynb or pass --lab)")
    try:
        exercises = registry.exercises(lab)
    except UnknownLab as exc:
        return NotebookScore(name, lab, problem=str(exc))
    with tempfile.TemporaryDirectory(prefix="lambdalab-grade-", ignore_cleanup_errors=True) as tmp:
        extraction = replay(notebook, Path(tmp))
        results = tuple(run_exercise(exercise, Path(tmp)) for exercise in exercises)
    return NotebookScore(
        name,
        lab,
        results,
        max_points=sum(e.points for e in exercises),
        refused_paths=extraction.refused,
        refused_reasons=extraction.reasons,
    )


def grade_paths(paths: Sequence[Path], lab: str | None = None, registry: Registry = REGISTRY) -> list[NotebookScore]:
    return [grade_notebook(nb, lab, registry) for nb in find_notebooks(paths)]


def to_json(scores: Sequence[NotebookScore]) -> str:
    """The JSON report: stable key order, so two gradings of the same files give the same bytes."""
    return json.dumps({"notebooks": [s.to_json() for s in scores]}, indent=2, ensure_ascii=False) + "\n"


def format_table(scores: Sequence[NotebookScore]) -> str:
    """A plain-text table: one row per notebook, one column per exercise, then the points."""
    numbers = sorted({r.exercise for s in scores for r in s.results})
    header = ["notebook", "lab", *[f"ex{n}" for n in numbers], "points"]
    rows = [header]
    for score in scores:
        by_number = {r.exercise: SHORT_STATUS[r.status] for r in score.results}
        if score.problem:
            cells = ["—"] * len(numbers)
            points = score.problem
        else:
            cells = [by_number.get(n, "") for n in numbers]
            points = f"{_num(score.points)}/{_num(score.max_points)}"
        rows.append([score.notebook, score.lab or "?", *cells, points])
    widths = [max(len(row[i]) for row in rows) for i in range(len(header) - 1)]
    lines = [
        "  ".join(cell.ljust(w) for cell, w in zip(row[:-1], widths, strict=True)) + "  " + row[-1] for row in rows
    ]
    return "\n".join(line.rstrip() for line in lines)


def _num(value: float) -> str:
    return f"{value:g}"
