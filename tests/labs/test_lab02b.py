"""Lab 02b's checks: right answers pass on unseen inputs, wrong ones are told what went wrong, placeholders
are "not yet solved" -- and the references the checks compare with agree with the published rules."""

from __future__ import annotations

import math
import random
import textwrap
from pathlib import Path

import pytest

import lambdalab
from lambdalab.grading import Status
from lambdalab.grading.lab02b import (
    BREAK_EVEN_FILE,
    BURST_GROUPS,
    CONNECTIONS_FILE,
    SCALING_FILE,
    SIZING_FILE,
    check,
    reference_available,
    reference_break_even,
    reference_concurrency,
    reference_max_reserved,
)
from lambdalab.grading.lab02b import _connection_inputs as connection_inputs
from lambdalab.grading.lab02b import _scaling_inputs as scaling_inputs
from lambdalab.sim import US_EAST_1, provisioned_break_even_utilisation

SIZING = """
import math

def concurrency_needed(requests_per_second, duration_ms):
    busy = requests_per_second * duration_ms / 1000
    return max(math.ceil(busy), math.ceil(requests_per_second / 10))
"""
SIZING_LITTLE_ONLY = """
import math

def concurrency_needed(requests_per_second, duration_ms):
    return math.ceil(requests_per_second * duration_ms / 1000)
"""
SCALING = """
BURST = {"us-east-1": 3000, "us-west-2": 3000, "eu-west-1": 3000,
         "ap-northeast-1": 1000, "eu-central-1": 1000, "us-east-2": 1000}

def available_concurrency(model, seconds, demand, account_limit, region):
    if model == "per-function":
        ceiling = 1000 + 100 * seconds
    else:
        ceiling = BURST.get(region, 500) + 500 * (seconds // 60)
    return min(demand, account_limit, ceiling)
"""
SCALING_NO_LIMIT = SCALING.replace("min(demand, account_limit, ceiling)", "min(demand, ceiling)")
BREAK_EVEN = """
def break_even_rate(provisioned, duration_ms, memory_mb, prices):
    gb = memory_mb / 1024
    paid_per_second = provisioned * gb * prices["provisioned_gb_second"]
    saved_per_request = duration_ms / 1000 * gb * (
        prices["on_demand_gb_second"] - prices["provisioned_execution_gb_second"])
    return paid_per_second / saved_per_request
"""
BREAK_EVEN_MS = BREAK_EVEN.replace("duration_ms / 1000 * gb", "duration_ms * gb")
CONNECTIONS = """
def max_reserved_concurrency(memory_gib, engine, connections_per_environment, other_connections):
    memory = memory_gib * 1024**3
    if engine == "postgres":
        limit = min(memory // 9_531_392, 5000)
    else:
        limit = memory // 12_582_880
    return max(0, int(limit - other_connections) // connections_per_environment)
"""
CONNECTIONS_NO_CAP = CONNECTIONS.replace("min(memory // 9_531_392, 5000)", "memory // 9_531_392")
PLACEHOLDER = """
def concurrency_needed(requests_per_second, duration_ms):
    # YOUR CODE HERE
    raise NotImplementedError("exercise 1")
"""


@pytest.fixture(scope="module", autouse=True)
def clean_sandbox():
    box = lambdalab.sandbox()
    yield
    box.reset()


def _write(root: Path, relative: str, source: str) -> Path:
    path = root / relative
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(textwrap.dedent(source))
    return root


@pytest.mark.parametrize(
    ("number", "relative", "source"),
    [(1, SIZING_FILE, SIZING), (2, SCALING_FILE, SCALING), (3, BREAK_EVEN_FILE, BREAK_EVEN),
     (4, CONNECTIONS_FILE, CONNECTIONS)],
    ids=["sizing", "scaling", "break-even", "connections"],
)
def test_when_the_answer_is_right_then_the_check_passes_on_unseen_inputs(tmp_path, number, relative, source):
    result = check(number, _write(tmp_path, relative, source))
    assert result.status is Status.PASSED, result.render()
    assert "unseen" in result.got


@pytest.mark.parametrize(
    ("number", "relative", "source", "hint"),
    [
        (1, SIZING_FILE, SIZING_LITTLE_ONLY, "requests per second are capped at 10 x"),
        (2, SCALING_FILE, SCALING_NO_LIMIT, "or the account limit"),
        (3, BREAK_EVEN_FILE, BREAK_EVEN_MS, "milliseconds"),
        (4, CONNECTIONS_FILE, CONNECTIONS_NO_CAP, "5000"),
    ],
    ids=["rate-cap-forgotten", "account-limit-forgotten", "milliseconds", "postgres-cap-forgotten"],
)
def test_when_the_answer_misses_one_rule_then_the_check_names_the_input_and_the_rule(tmp_path, number, relative,
                                                                                       source, hint):
    result = check(number, _write(tmp_path, relative, source))
    assert result.status is Status.FAILED, result.render()
    assert hint in result.hint
    assert result.expected and result.got


def test_when_the_function_still_holds_the_placeholder_then_it_is_not_yet_solved(tmp_path) -> None:
    result = check(1, _write(tmp_path, SIZING_FILE, PLACEHOLDER))
    assert result.status is Status.NOT_YET_SOLVED


def test_when_the_answer_crashes_then_the_check_reports_the_error(tmp_path) -> None:
    crashing = "def break_even_rate(provisioned, duration_ms, memory_mb, prices):\n    return prices['typo']\n"
    result = check(3, _write(tmp_path, BREAK_EVEN_FILE, crashing))
    assert result.status is Status.FAILED
    assert "KeyError" in result.got


def test_when_the_references_are_compared_with_the_published_rules_then_they_agree() -> None:
    """The checks' references: per-function 1,000 + 100/s, regional burst + 500 a minute (validation case 6's
    model), Little's law, AWS's 60 % provisioned break-even, RDS's formulas."""
    rng = random.Random(0)
    for seconds in list(range(0, 181)) + [rng.randrange(181, 900) for _ in range(20)]:
        for model, region, burst in (("per-function", "us-east-1", 0), ("regional", "us-east-1", 3000),
                                     ("regional", "eu-central-1", 1000), ("regional", "sa-east-1", 500)):
            expected = 1000 + 100 * seconds if model == "per-function" else burst + 500 * (seconds // 60)
            assert reference_available(model, seconds, 40_000, 30_000, region) == min(40_000, 30_000, expected)
    assert reference_concurrency(100.5, 250) == 26 and reference_concurrency(2500.5, 20) == 251
    prices = {"on_demand_gb_second": US_EAST_1.per_gb_second["x86_64"],
              "provisioned_gb_second": US_EAST_1.provisioned_per_gb_second_enabled["x86_64"],
              "provisioned_execution_gb_second": US_EAST_1.provisioned_per_gb_second_execution["x86_64"]}
    rate = reference_break_even(10, 200.0, 1024, prices)
    assert rate * 0.2 / 10 == pytest.approx(provisioned_break_even_utilisation())  # busy 60 % of the time
    assert reference_max_reserved(8, "postgres", 1, 0) == 901
    assert reference_max_reserved(128, "postgres", 2, 100) == (5000 - 100) // 2
    assert reference_max_reserved(16, "mysql", 1, 65) == 1300
    assert reference_max_reserved(0.5, "postgres", 1, 500) == 0
    assert math.isfinite(rate)


@pytest.mark.parametrize("seed", range(15))
def test_every_draw_of_unseen_scaling_inputs_exercises_every_rule_the_check_teaches(seed: int) -> None:
    """Random values, never a lucky draw: an answer that forgets one rule always meets an input where it shows."""
    calls = scaling_inputs(random.Random(seed))
    available = [reference_available(**call) for call in calls]
    regional = [c for c in calls if c["model"] == "regional" and c["seconds"] >= 60]

    assert all(any(c["region"] in group for c in regional) for group in BURST_GROUPS)
    pairs = list(zip(calls, available, strict=True))

    assert any(c["model"] == "per-function" and 0 < c["seconds"] < 60 and a > 1000 for c, a in pairs)
    assert any(a == c["account_limit"] < c["demand"] for c, a in pairs)
    assert any(a == c["demand"] < c["account_limit"] for c, a in pairs)


@pytest.mark.parametrize("seed", range(40))
def test_every_draw_of_unseen_databases_exercises_every_rule_the_check_teaches(seed: int) -> None:
    from lambdalab.sim.database import rds_max_connections

    calls = connection_inputs(random.Random(seed))
    spare = [rds_max_connections(c["memory_gib"] * 2**30, c["engine"]) - c["other_connections"] for c in calls]

    assert any(c["engine"] == "postgres" and rds_max_connections(c["memory_gib"] * 2**30, "postgres") == 5000
               for c in calls)
    assert any(c["engine"] in ("mysql", "mariadb") for c in calls)
    assert any(c["connections_per_environment"] > 1 and s > 0 and s % c["connections_per_environment"]
               for c, s in zip(calls, spare, strict=True))
    assert any(reference_max_reserved(**c) == 0 for c in calls)
