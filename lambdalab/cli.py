"""The ``lambdalab`` command: the sandbox in a terminal, labs from solutions, grading, simulations.

Workshops and instructors use it outside notebooks. Every subcommand imports its machinery only when it
runs, so ``lambdalab --help`` answers at once and a subcommand whose engine is missing fails alone.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path


def main(argv: Sequence[str] | None = None) -> int:
    parser = _parser()
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv[:1] == ["sim"]:
        # Everything after ``sim`` belongs to the scenario runner, options included, which argparse's
        # REMAINDER cannot capture when the first of them starts with a dash.
        return _sim(argparse.Namespace(args=argv[1:]))
    args = parser.parse_args(argv)
    if not hasattr(args, "run"):
        parser.print_help()
        return 2
    return args.run(args)


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="lambdalab",
        description="AWS Lambda — Patterns and Production: the course's command line.",
    )
    commands = parser.add_subparsers(title="commands", metavar="COMMAND")

    sandbox = commands.add_parser(
        "sandbox",
        help="run the local AWS sandbox in the foreground and print the variables that point boto3 "
        "and the AWS CLI at it",
    )
    sandbox.add_argument("--port", type=int, default=None, help="port on 127.0.0.1 (default: any free one)")
    sandbox.set_defaults(run=_sandbox)

    labs = commands.add_parser("labs", help="generate labs/ from solutions/, or check they are up to date")
    labs_commands = labs.add_subparsers(title="labs commands", metavar="ACTION", required=True)
    for action, help_text, run in (
        ("build", "write labs/ from solutions/ (labs are never edited by hand)", _labs_build),
        (
            "check",
            "exit non-zero, naming the labs, if labs/ differ from what solutions/ generate",
            _labs_check,
        ),
    ):
        sub = labs_commands.add_parser(action, help=help_text)
        sub.add_argument("--solutions", type=Path, default=Path("solutions"), help="default: ./solutions")
        sub.add_argument("--labs", type=Path, default=Path("labs"), help="default: ./labs")
        sub.set_defaults(run=run)

    grade = commands.add_parser(
        "grade",
        help="score lab notebooks (files or folders of them): a table, and JSON",
        description="Score lab notebooks. Only their %%writefile cells are read and no stored output is "
        "trusted; each submission is graded in a confined process of its own (docs/grading-isolation.md).",
    )
    grade.add_argument(
        "paths", nargs="+", type=Path, metavar="PATH", help="a lab notebook or a folder of them"
    )
    grade.add_argument("--json", type=Path, default=None, metavar="OUT", help="also write the scores as JSON")
    grade.add_argument("--lab", default=None, help="lab id (e.g. 01) when the notebooks do not say")
    grade.add_argument(
        "--checks",
        action="append",
        default=[],
        metavar="MODULE",
        help="also load checks from MODULE (a module name or a .py file): an instructor's own labs",
    )
    grade.add_argument(
        "--timeout", type=float, default=900.0, help="seconds one submission may take (default: 900)"
    )
    grade.set_defaults(run=_grade)

    sim = commands.add_parser(
        "sim", help="run a simulation scenario (arguments go to the scenario runner)", add_help=False
    )
    sim.add_argument("args", nargs=argparse.REMAINDER)
    sim.set_defaults(run=_sim)
    return parser


def _sandbox(args: argparse.Namespace) -> int:
    try:
        from lambdalab.aws_sandbox import serve_forever
    except ImportError as exc:
        return _fail(f"the sandbox cannot start: {exc}")
    try:
        serve_forever(args.port)
    except KeyboardInterrupt:
        pass
    return 0


def _labs_build(args: argparse.Namespace) -> int:
    from lambdalab.grading.assign import MarkerError, build_labs, solution_notebooks

    if not args.solutions.is_dir():
        return _fail(f"no {args.solutions}/ folder here: run from the course's root or pass --solutions")
    try:
        changed = build_labs(args.solutions, args.labs)
    except MarkerError as exc:
        return _fail(str(exc))
    for status in changed:
        verb = "removed" if status.state == "orphan" else "wrote"
        print(f"{verb} {status.lab}")
    total = len(solution_notebooks(args.solutions))
    print(f"{total} lab(s) from {args.solutions}/, {len(changed)} changed")
    return 0


def _labs_check(args: argparse.Namespace) -> int:
    from lambdalab.grading.assign import MarkerError, lab_statuses

    try:
        statuses = lab_statuses(args.solutions, args.labs)
    except MarkerError as exc:
        return _fail(str(exc))
    bad = [s for s in statuses if not s.ok]
    for status in bad:
        print(f"{status.state}: {status.lab}")
    if bad:
        print(f"{len(bad)} lab(s) out of date: run `lambdalab labs build` and commit labs/", file=sys.stderr)
        return 1
    print(f"{len(statuses)} lab(s) up to date")
    return 0


def _grade(args: argparse.Namespace) -> int:
    from lambdalab.grading.score import find_notebooks, format_table, grade_paths_isolated, to_json
    from lambdalab.grading.worker import become_subreaper

    missing = [p for p in args.paths if not p.exists()]
    if missing:
        return _fail(f"no such file or folder: {', '.join(map(str, missing))}")
    if not find_notebooks(args.paths):
        return _fail("no notebooks found")
    become_subreaper()  # what a submission leaves running is re-parented here, and ended
    scores = grade_paths_isolated(args.paths, lab=args.lab, checks=args.checks, timeout=args.timeout)
    print(format_table(scores))
    if args.json is not None:
        args.json.write_text(to_json(scores), encoding="utf-8")
        print(f"wrote {args.json}")
    return 0


def _sim(args: argparse.Namespace) -> int:
    try:
        from lambdalab.sim.scenario_file import main as scenario_main
    except ImportError as exc:
        return _fail(f"the simulator's scenario runner cannot start: {exc}")
    result = scenario_main(list(args.args))
    return result if isinstance(result, int) else 0


def _fail(message: str) -> int:
    print(f"lambdalab: {message}", file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main())
