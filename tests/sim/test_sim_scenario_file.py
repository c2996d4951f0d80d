"""``lambdalab sim SCENARIO --out DIR``: scenario files in, results (JSON, CSV) and plots out."""

from __future__ import annotations

import csv
import json
import textwrap
from pathlib import Path

import pytest

from lambdalab.cli import main as lambdalab_command
from lambdalab.sim import Asynchronous, DiurnalArrivals, ReplayedArrivals
from lambdalab.sim.scenario_file import ScenarioFileError, build_account, build_queues, load, main

EXAMPLES = Path(__file__).resolve().parents[2] / "examples" / "scenarios"

SMALL_TOML = """
[run]
name = "small"
horizon = 120
seed = 3

[account]
concurrency_limit = 200
scaling = "regional"
region = "eu-central-1"

[database]
max_connections = 12
proxy = { max_connections_percent = 50 }

[[functions]]
name = "api"
arrivals = { type = "burst", base_rate = 5, bursts = [[30, 10, 60]] }
duration = { type = "lognormal", median = 0.2, sigma = 0.5 }
init_duration = { runtime = "java21" }
reserved_concurrency = 40
caller = { type = "sync", max_attempts = 3 }
database = "request"

[[functions]]
name = "events"
arrivals = { type = "replay", file = "times.csv" }
duration = 0.5
caller = { type = "async", maximum_retry_attempts = 1, error_delays = [30] }
error_rate = 0.5

[[queues]]
name = "jobs"
arrivals = { type = "constant", rate = 10 }
processing = { type = "exponential", mean = 0.2 }
batch_size = 5
max_receive_count = 2
failure_rate = 0.1
"""

SMALL_YAML = """
run: {name: small-yaml, horizon: 300}
functions:
  - name: daily
    arrivals: {type: diurnal, mean_rate: 2, amplitude: 0.5, period: 300, peak_at: 150}
    duration: {type: exponential, mean: 0.1}
    provisioned_concurrency: 1
"""


def _write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    (tmp_path / "times.csv").write_text("timestamp\n1.5\n2.5\n2.5\n40\n", encoding="utf-8")
    return path


def test_when_a_toml_scenario_runs_then_json_csv_and_plots_are_written_and_agree(tmp_path: Path) -> None:
    scenario = _write(tmp_path, "small.toml", SMALL_TOML)
    out = tmp_path / "out"
    assert main([str(scenario), "--out", str(out)]) == 0
    names = sorted(p.name for p in out.iterdir())
    assert names == [
        "concurrency.png",
        "functions.csv",
        "latency.png",
        "result.json",
        "sqs-jobs.csv",
        "sqs-jobs.json",
        "sqs-jobs.png",
        "timeseries.csv",
    ]
    document = json.loads((out / "result.json").read_text())
    assert document["seed"] == 3 and document["horizon"] == 120
    assert document["requests"] == sum(f["requests"] for f in document["functions"].values())
    assert sum(document["outcomes"].values()) == document["requests"]
    assert document["functions"]["events"]["requests"] == 4  # the replayed file
    assert document["database_refusals"] == 0 and document["peak_connections"] <= 6  # behind the proxy
    assert document["queues"]["jobs"]["sent"] == pytest.approx(10 * 120, abs=1)
    assert document["inputs"]["run"]["name"] == "small"
    rows = list(csv.DictReader((out / "functions.csv").open()))
    assert [r["name"] for r in rows] == ["api", "events"]
    assert int(rows[0]["requests"]) == document["functions"]["api"]["requests"]
    series = list(csv.DictReader((out / "timeseries.csv").open()))
    assert len(series) == 200 and set(series[0]) >= {"time", "busy_api", "throttles_events", "connections"}
    assert (out / "concurrency.png").read_bytes().startswith(b"\x89PNG")


def test_when_a_yaml_scenario_runs_without_plots_then_only_data_files_are_written(tmp_path: Path, capsys) -> None:
    scenario = _write(tmp_path, "small.yaml", SMALL_YAML)
    out = tmp_path / "yaml-out"
    assert main([str(scenario), "--out", str(out), "--no-plots", "--seed", "9"]) == 0
    assert sorted(p.name for p in out.iterdir()) == ["functions.csv", "result.json", "timeseries.csv"]
    document = json.loads((out / "result.json").read_text())
    assert document["seed"] == 9
    assert document["functions"]["daily"]["provisioned"] == 1
    assert "small.yaml" in capsys.readouterr().out


def test_when_lambdalab_sim_is_given_a_scenario_file_then_it_writes_the_results(tmp_path: Path) -> None:
    scenario = _write(tmp_path, "small.yaml", SMALL_YAML)
    assert lambdalab_command(["sim", str(scenario), "--out", str(tmp_path / "o"), "--no-plots"]) == 0
    assert (tmp_path / "o" / "result.json").is_file()


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("[run]\nhorizon = 10\n", "at least one [[functions]]"),
        ("[run]\nname = 'x'\n[[functions]]\nname='a'\n", "'horizon'"),
        (
            "[run]\nhorizon = 10\n[[functions]]\nname='a'\narrivals={type='poisson', rate=1}\nduration=1\nspeed=2\n",
            "unknown key(s) ['speed']",
        ),
        (
            "[run]\nhorizon = 10\n[[functions]]\nname='a'\narrivals={type='weekly'}\nduration=1\n",
            "unknown arrivals type 'weekly'",
        ),
        ("[run]\nhorizon = 10\n[[functions]]\nname='a'\narrivals={type='poisson'}\nduration=1\n", "needs 'rate'"),
        (
            "[run]\nhorizon = 10\n[[functions]]\nname='a'\narrivals={type='diurnal', period=60}\nduration=1\n",
            "'diurnal' needs 'mean_rate'",
        ),
        (
            "[run]\nhorizon = 10\n[[functions]]\nname='a'\narrivals={type='poisson', rate=1}\nduration=1\n"
            "reserved_concurrency=950\n",
            "UnreservedConcurrentExecution",
        ),
        ("[run\nhorizon = 10\n", "not valid TOML"),
    ],
    ids=[
        "no-functions",
        "no-horizon",
        "unknown-key",
        "unknown-arrivals",
        "missing-rate",
        "missing-mean-rate",
        "aws-refuses",
        "bad-toml",
    ],
)
def test_when_a_scenario_file_is_wrong_then_the_runner_says_where_and_exits_2(tmp_path, capsys, text, message):
    scenario = _write(tmp_path, "bad.toml", text)
    assert main([str(scenario), "--out", str(tmp_path / "never")]) == 2
    err = capsys.readouterr().err
    assert message in err and err.startswith("lambdalab sim:")
    assert not (tmp_path / "never").exists()


def test_when_the_file_type_is_unknown_then_it_is_refused() -> None:
    with pytest.raises(ScenarioFileError, match=".toml, .yaml or .yml"):
        load(Path(__file__))


@pytest.mark.parametrize("name", ["launch-day.toml", "diurnal-orders.yaml"])
def test_when_the_shipped_examples_are_read_then_they_describe_valid_accounts(name: str) -> None:
    data = load(EXAMPLES / name)
    account, run = build_account(data, EXAMPLES)
    queues = build_queues(data, account.horizon, EXAMPLES)
    assert run["name"] == Path(name).stem and len(account.functions) >= 2 and len(queues) == 1
    if name == "diurnal-orders.yaml":
        assert isinstance(account.functions[0].arrivals, DiurnalArrivals)
        assert isinstance(account.functions[1].arrivals, ReplayedArrivals)
        assert account.database is not None and account.database.pool_size == 60
    else:
        assert isinstance(account.functions[2].caller, Asynchronous)
        assert account.database is not None and account.database.max_connections == 450
