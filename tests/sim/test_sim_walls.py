"""Which wall first: each practical limit is found at the instant the rules say, and in the right order."""

from __future__ import annotations

import math

import pytest

from lambdalab.sim import ContainerFleet, crossover_rate
from lambdalab.sim.walls import ProductionWorkload, first_wall, walls, walls_table


def by_name(workload):
    return {w.name: w for w in walls(workload)}


def test_when_rate_times_duration_passes_the_limit_then_concurrency_is_hit_at_that_second():
    # 0 -> 2000 requests/s over 100 s at 1 s each: 1000 busy (the default account limit) at t = 50 s
    found = by_name(ProductionWorkload.ramp(0, 2000, 100, duration_ms=1000))
    assert found["concurrency"].hit and found["concurrency"].at_s == 51.0  # first second strictly above 1,000
    assert found["concurrency"].needed == pytest.approx(2000)


def test_when_requests_are_very_short_then_the_requests_per_second_cap_binds_before_concurrency():
    workload = ProductionWorkload.ramp(0, 12_000, 120, duration_ms=20)  # 240 busy at the peak, far below 1,000
    wall = first_wall(workload)
    assert wall is not None and wall.name == "requests per second"
    assert wall.at_s == pytest.approx(101.0)  # 10,000/s = 10 x 1,000 is passed just after t = 100 s


def test_when_demand_jumps_faster_than_1000_environments_per_10_s_then_the_scaling_rate_is_hit():
    found = by_name(ProductionWorkload.ramp(0, 40_000, 10, duration_ms=500, account_concurrency=30_000))
    assert found["scaling rate"].hit and found["scaling rate"].at_s <= 5
    calm = by_name(ProductionWorkload.ramp(0, 1000, 60, duration_ms=500))
    assert not calm["scaling rate"].hit


def test_when_environments_hold_connections_then_the_database_is_full_at_the_budget():
    found = by_name(
        ProductionWorkload.ramp(
            0, 400, 100, duration_ms=1000, db_connections_per_env=2, db_max_connections=400, hold_s=10
        )
    )
    wall = found["database connections"]
    assert wall.hit and wall.at_s == pytest.approx(51.0)  # 200 environments x 2 connections reached at t = 50 s


def test_static_limits_are_hit_at_time_zero_with_aws_numbers():
    found = by_name(
        ProductionWorkload.ramp(
            1, 1, 10, duration_ms=100, p99_duration_ms=1_000_000, invocation="async", payload_mb=2, package_mb=300
        )
    )
    assert found["15-minute timeout"].hit and found["15-minute timeout"].limit == 900
    assert found["payload size"].hit and found["payload size"].limit == 1.0  # asynchronous: 1 MB since Oct 2025
    assert found["package size"].hit and found["package size"].limit == 250
    assert not by_name(ProductionWorkload.ramp(1, 1, 10, duration_ms=100, payload_mb=2))[
        "payload size"
    ].hit  # sync: 6 MB


def test_the_cost_wall_is_the_container_crossover_for_the_workloads_peak_to_mean():
    fleet = ContainerFleet(concurrency_per_task=10)
    workload = ProductionWorkload(profile=((0, 20), (3600, 20)), duration_ms=200, memory_mb=1024, fleet=fleet)
    wall = by_name(workload)["cost vs a container fleet"]
    assert wall.limit == pytest.approx(crossover_rate(0.2, 1024, fleet, peak_to_mean=1.0))
    assert wall.hit == (20 > wall.limit)


def test_when_cold_p99_passes_the_objective_during_a_ramp_then_the_tail_wall_is_hit():
    found = by_name(ProductionWorkload.ramp(10, 2000, 60, duration_ms=200, init_ms=900, latency_objective_ms=800))
    assert found["cold starts at the tail"].hit
    steady = by_name(
        ProductionWorkload(profile=((0, 100), (600, 100)), duration_ms=200, init_ms=900, latency_objective_ms=800)
    )
    assert not steady["cold starts at the tail"].hit  # warm at a steady rate: no new environments


def test_a_small_steady_workload_hits_no_wall_but_cost_and_the_table_says_so():
    workload = ProductionWorkload(profile=((0, 0.5), (600, 0.5)), duration_ms=100)
    assert first_wall(workload) is None
    table = walls_table(walls(workload))
    assert table.splitlines()[0].startswith("wall") and "concurrency" in table


def test_a_profile_out_of_order_is_refused_with_a_clear_message():
    with pytest.raises(ValueError, match="time order"):
        ProductionWorkload(profile=((10, 1), (0, 1)), duration_ms=100)
    assert math.isfinite(by_name(ProductionWorkload.ramp(0, 10, 10, duration_ms=100))["concurrency"].needed)


def test_a_workload_file_gives_the_same_walls_as_the_dataclass(tmp_path):
    path = tmp_path / "shop.toml"
    path.write_text(
        "[workload]\nprofile = [[0, 0], [100, 2000], [110, 2000]]\nduration_ms = 1000\n"
        "db_connections_per_env = 1\ndb_max_connections = 500\n"
    )
    from lambdalab.sim.walls import load_workload

    workload = load_workload(path)
    assert first_wall(workload).name == "database connections"
    assert first_wall(workload).at_s == pytest.approx(26.0)  # 500 environments at t = 25 s
    path.write_text("[workload]\nprofile = [[0, 1], [10, 1]]\nduration = 5\n")
    with pytest.raises(ValueError, match="unknown workload keys \\['duration'\\]"):
        load_workload(path)


def test_the_plot_marks_the_first_wall_and_the_explorer_builds_its_sliders():
    import matplotlib

    matplotlib.use("Agg")
    from lambdalab.sim.walls import explore_walls, plot_walls

    figure = plot_walls(ProductionWorkload.ramp(0, 2000, 100, duration_ms=1000))
    assert any("first wall: concurrency at 51 s" in t.get_text() for t in figure.axes[0].texts)
    box = explore_walls(peak_rps=3000)
    sliders = box.children[0].children + box.children[1].children
    assert len(sliders) == 8 and sliders[0].value == pytest.approx(3000)
