"""Which statements pin a session, following AWS's list for RDS for PostgreSQL (rds-proxy-pinning.html)."""

from __future__ import annotations

import pytest

from lambdalab.databases.proxy.pinning import EXCLUDE_VARIABLE_SETS, pin_reason


@pytest.mark.parametrize(
    ("sql", "reason"),
    [
        ("SET search_path TO app", "SET"),
        ("set session statement_timeout = 1000", "SET"),
        ("CREATE TEMP TABLE scratch (id int)", "temporary object"),
        ("CREATE TEMPORARY SEQUENCE s", "temporary object"),
        ("CREATE TEMP VIEW v AS SELECT 1", "temporary object"),
        ("DECLARE c CURSOR WITH HOLD FOR SELECT 1", "DECLARE CURSOR"),
        ("DISCARD ALL", "DISCARD"),
        ("LISTEN orders", "LISTEN"),
        ("LOAD 'auto_explain'", "LOAD"),
        ("PREPARE q AS SELECT 1", "PREPARE"),
        ("SELECT nextval('orders_id_seq')", "sequence function"),
        ("SELECT setval('orders_id_seq', 10)", "sequence function"),
        ("SELECT pg_advisory_lock(42)", "advisory lock"),
        ("SELECT pg_try_advisory_lock(42)", "advisory lock"),
        ("SELECT set_config('app.user', 'x', false)", "set_config"),
        ("SELECT 1; SET TIME ZONE 'UTC'", "SET"),
        ("SELECT '" + "x" * 17_000 + "'", "statement over 16 KB"),
    ],
)
def test_when_a_statement_changes_session_state_then_it_pins(sql, reason):
    assert pin_reason(sql) == reason


@pytest.mark.parametrize(
    "sql",
    [
        "SELECT * FROM orders WHERE id = $1",
        "INSERT INTO orders (item) VALUES ('settings')",
        "BEGIN",
        "COMMIT",
        "ROLLBACK",
        "SET LOCAL statement_timeout = 1000",
        "SET TRANSACTION ISOLATION LEVEL SERIALIZABLE",
        "-- SET search_path TO x\nSELECT 1",
        "UPDATE orders SET item = 'x' WHERE id = 1",
    ],
)
def test_when_a_statement_leaves_session_state_alone_then_it_does_not_pin(sql):
    assert pin_reason(sql) is None


def test_when_the_protocol_names_a_prepared_statement_then_it_pins():
    assert pin_reason("SELECT 1", named_statement=True) == "prepared statement"


def test_when_variable_sets_are_excluded_then_set_does_not_pin_but_the_rest_still_does():
    assert pin_reason("SET search_path TO app", filters=(EXCLUDE_VARIABLE_SETS,)) is None
    assert pin_reason("CREATE TEMP TABLE t (id int)", filters=(EXCLUDE_VARIABLE_SETS,)) == "temporary object"
