"""A DB instance created through the RDS API is a real PostgreSQL, with RDS's connection limit and life cycle."""

from __future__ import annotations

import time

import psutil
import pytest
from botocore.exceptions import ClientError
from db_helpers import PASSWORD, connect, create_instance, describe, parameter_group
from pg8000.exceptions import DatabaseError, InterfaceError

from lambdalab.databases.instance_classes import instance_class
from lambdalab.databases.parameters import evaluate

pytestmark = pytest.mark.runs_long  # about 14 s together: collected first (tests/conftest.py)


def test_when_a_postgres_instance_is_created_then_its_endpoint_serves_queries_as_the_master_user(rds):
    created = create_instance(rds)
    assert created["DBInstanceStatus"] == "creating"
    described = describe(rds, created["DBInstanceIdentifier"])
    assert described["DBInstanceStatus"] == "available"
    endpoint = described["Endpoint"]
    assert endpoint["Address"] == "127.0.0.1"
    assert 1024 < endpoint["Port"] < 32768
    connection = connect(endpoint["Address"], endpoint["Port"])
    connection.run("CREATE TABLE orders (id serial PRIMARY KEY, item text)")
    connection.run("INSERT INTO orders (item) VALUES (:item)", item="book")
    assert connection.run("SELECT current_user, current_database(), item FROM orders") == [["app", "orders", "book"]]
    connection.close()


def test_when_the_password_is_wrong_then_postgresql_refuses_the_login(rds):
    endpoint = describe(rds, create_instance(rds)["DBInstanceIdentifier"])["Endpoint"]
    with pytest.raises(DatabaseError, match="password authentication failed for user"):
        connect(endpoint["Address"], endpoint["Port"], password="not-the-password")


def test_when_no_parameter_group_is_given_then_max_connections_follows_rds_formula_for_the_class(rds):
    endpoint = describe(rds, create_instance(rds, instance_class="db.t3.small")["DBInstanceIdentifier"])["Endpoint"]
    connection = connect(endpoint["Address"], endpoint["Port"])
    shown = int(connection.run("SHOW max_connections")[0][0])
    connection.close()
    assert shown == instance_class("db.t3.small").default_max_connections == 198


def test_when_the_class_memory_is_computed_then_published_max_connections_values_come_out():
    measured = {"db.t2.small": 198, "db.t2.medium": 413, "db.t2.large": 856, "db.m4.large": 856, "db.r4.large": 1660}
    assert {name: instance_class(name).default_max_connections for name in measured} == measured
    assert instance_class("db.r6g.4xlarge").default_max_connections == 5000  # LEAST(…, 5000)
    assert instance_class("db.t3.micro").db_instance_class_memory < 1024**3


def test_when_a_formula_is_the_parameter_value_then_it_is_evaluated_like_rds():
    memory = instance_class("db.t2.medium").db_instance_class_memory
    assert evaluate("LEAST({DBInstanceClassMemory/9531392},5000)", {"DBInstanceClassMemory": memory}) == 413
    assert evaluate("{DBInstanceClassMemory*2/9531392}", {"DBInstanceClassMemory": memory}) == 826
    assert evaluate("40", {}) == 40


def test_when_the_class_is_unknown_then_rds_refuses_the_combination(rds):
    with pytest.raises(ClientError) as error:
        rds.create_db_instance(
            DBInstanceIdentifier="nope",
            Engine="postgres",
            DBInstanceClass="db.x9.huge",
            MasterUsername="app",
            MasterUserPassword=PASSWORD,
        )
    assert error.value.response["Error"]["Code"] == "InvalidParameterCombination"
    assert "DBInstanceClass=db.x9.huge" in error.value.response["Error"]["Message"]


def test_when_the_parameter_group_sets_max_connections_then_the_server_starts_with_it(rds):
    endpoint = describe(rds, create_instance(rds, group=parameter_group(rds, 17))["DBInstanceIdentifier"])["Endpoint"]
    connection = connect(endpoint["Address"], endpoint["Port"])
    assert connection.run("SHOW max_connections") == [["17"]]
    connection.close()


def test_when_a_static_parameter_is_applied_immediately_then_rds_refuses(rds):
    group = parameter_group(rds, 30)
    with pytest.raises(ClientError) as error:
        rds.modify_db_parameter_group(
            DBParameterGroupName=group,
            Parameters=[{"ParameterName": "max_connections", "ParameterValue": "25", "ApplyMethod": "immediate"}],
        )
    assert error.value.response["Error"]["Code"] == "InvalidParameterCombination"
    assert error.value.response["Error"]["Message"] == "cannot use immediate apply method for static parameter"


def test_when_the_parameter_group_changes_then_max_connections_changes_only_after_a_reboot(rds):
    identifier = create_instance(rds)["DBInstanceIdentifier"]
    rds.modify_db_instance(DBInstanceIdentifier=identifier, DBParameterGroupName=parameter_group(rds, 21))
    described = describe(rds, identifier)
    assert described["DBParameterGroups"][0]["ParameterApplyStatus"] == "pending-reboot"
    endpoint = described["Endpoint"]
    before = connect(endpoint["Address"], endpoint["Port"])
    assert before.run("SHOW max_connections") == [[str(instance_class("db.t3.micro").default_max_connections)]]

    assert rds.reboot_db_instance(DBInstanceIdentifier=identifier)["DBInstance"]["DBInstanceStatus"] == "rebooting"
    with pytest.raises((InterfaceError, DatabaseError)):
        before.run("SELECT 1")  # a reboot ends every session
    described = describe(rds, identifier)
    assert (described["DBInstanceStatus"], described["DBParameterGroups"][0]["ParameterApplyStatus"]) == (
        "available",
        "in-sync",
    )
    after = connect(endpoint["Address"], endpoint["Port"])
    assert after.run("SHOW max_connections") == [["21"]]
    after.close()


def test_when_clients_exceed_max_connections_then_postgresql_refuses_with_its_own_error(rds):
    endpoint = describe(rds, create_instance(rds, group=parameter_group(rds, 12))["DBInstanceIdentifier"])["Endpoint"]
    opened, refusal = [], None
    try:
        for _ in range(30):
            opened.append(connect(endpoint["Address"], endpoint["Port"]))
    except DatabaseError as error:
        refusal = error.args[0]
    finally:
        for connection in opened:
            connection.close()
    # 12 slots, 3 reserved for superusers (RDS keeps them for rdsadmin): the master user gets 9.
    assert len(opened) == 9
    assert refusal["S"] == "FATAL" and refusal["C"] == "53300"
    assert refusal["M"] == "remaining connection slots are reserved for roles with the SUPERUSER attribute"


def test_when_an_instance_is_stopped_then_nothing_listens_until_it_is_started_again(rds, box):
    identifier = create_instance(rds)["DBInstanceIdentifier"]
    endpoint = describe(rds, identifier)["Endpoint"]
    assert rds.stop_db_instance(DBInstanceIdentifier=identifier)["DBInstance"]["DBInstanceStatus"] == "stopping"
    assert describe(rds, identifier)["DBInstanceStatus"] == "stopped"
    with pytest.raises(InterfaceError):
        connect(endpoint["Address"], endpoint["Port"])
    assert rds.start_db_instance(DBInstanceIdentifier=identifier)["DBInstance"]["DBInstanceStatus"] == "starting"
    assert describe(rds, identifier)["DBInstanceStatus"] == "available"
    connection = connect(endpoint["Address"], endpoint["Port"])
    assert connection.run("SELECT 1") == [[1]]
    connection.close()


def test_when_an_instance_is_deleted_then_its_server_process_ends(rds, box):
    identifier = create_instance(rds)["DBInstanceIdentifier"]
    pids_before = set(box.databases.server_pids())
    rds.delete_db_instance(DBInstanceIdentifier=identifier, SkipFinalSnapshot=True)
    ended = pids_before - set(box.databases.server_pids())
    assert len(ended) == 1
    assert not any(psutil.pid_exists(pid) and psutil.Process(pid).status() != psutil.STATUS_ZOMBIE for pid in ended)
    with pytest.raises(ClientError, match="DBInstanceNotFound"):
        describe(rds, identifier)


def test_when_the_sandbox_resets_then_no_postgres_process_is_left(rds, box):
    create_instance(rds)
    create_instance(rds)
    pids = box.databases.server_pids()
    assert len(pids) >= 2
    box.reset()
    assert box.databases.server_pids() == []
    assert [pid for pid in pids if psutil.pid_exists(pid)] == []
    assert rds.describe_db_instances()["DBInstances"] == []


def test_when_the_master_password_is_modified_then_only_the_new_one_logs_in(rds):
    identifier = create_instance(rds)["DBInstanceIdentifier"]
    endpoint = describe(rds, identifier)["Endpoint"]
    rds.modify_db_instance(
        DBInstanceIdentifier=identifier, MasterUserPassword="a-new-password-7", ApplyImmediately=True
    )
    with pytest.raises(DatabaseError, match="password authentication failed"):
        connect(endpoint["Address"], endpoint["Port"])
    connect(endpoint["Address"], endpoint["Port"], password="a-new-password-7").close()


def test_when_max_connections_leaves_no_room_beside_reserved_slots_then_the_instance_has_incompatible_parameters(rds):
    group = parameter_group(rds, 3)
    identifier = create_instance(rds, group=group)["DBInstanceIdentifier"]
    described = describe(rds, identifier)
    assert described["DBInstanceStatus"] == "incompatible-parameters"

    rds.modify_db_parameter_group(
        DBParameterGroupName=group,
        Parameters=[{"ParameterName": "max_connections", "ParameterValue": "10", "ApplyMethod": "pending-reboot"}],
    )
    rds.reboot_db_instance(DBInstanceIdentifier=identifier)
    assert describe(rds, identifier)["DBInstanceStatus"] == "available"
    connection = connect(described["Endpoint"]["Address"], described["Endpoint"]["Port"])
    assert connection.run("SHOW max_connections") == [["10"]]
    connection.close()


def test_when_clients_are_connected_then_database_connections_is_published_for_the_instance(rds, box):
    import datetime as dt

    identifier = create_instance(rds)["DBInstanceIdentifier"]
    endpoint = describe(rds, identifier)["Endpoint"]
    clients = [connect(endpoint["Address"], endpoint["Port"]) for _ in range(4)]
    assert box.databases.publish_instance_metrics()[identifier] == 4
    for client in clients[:3]:
        client.close()
    # A closed client's server process ends a moment later (PostgreSQL counts it until then): publish, as
    # RDS does every minute, until the count has caught up; every value published lies between 4 and 1.
    deadline = time.monotonic() + 30
    while (published := box.databases.publish_instance_metrics()[identifier]) != 1 and time.monotonic() < deadline:
        time.sleep(0.1)
    assert published == 1
    assert box.databases.flush_metrics()
    now = dt.datetime.now(dt.UTC)
    points = box.client("cloudwatch").get_metric_statistics(
        Namespace="AWS/RDS",
        MetricName="DatabaseConnections",
        Dimensions=[{"Name": "DBInstanceIdentifier", "Value": identifier}],
        StartTime=now - dt.timedelta(minutes=5),
        EndTime=now + dt.timedelta(minutes=1),
        Period=300,
        Statistics=["Maximum", "Minimum"],
    )["Datapoints"]
    assert (points[0]["Maximum"], points[0]["Minimum"]) == (4, 1)
    clients[3].close()


def test_when_an_application_role_exhausts_the_instance_then_the_master_user_can_still_log_in_to_look(rds):
    # RDS: non-superusers get max_connections - superuser_reserved_connections (3)
    # - rds.rds_superuser_reserved_connections (2); rds_superuser members (the master user) may use those 2.
    endpoint = describe(rds, create_instance(rds, group=parameter_group(rds, 12))["DBInstanceIdentifier"])["Endpoint"]
    master = connect(endpoint["Address"], endpoint["Port"])
    master.run(f"CREATE ROLE orders_app LOGIN PASSWORD '{PASSWORD}'")
    master.close()
    opened, refusal = [], None
    try:
        for _ in range(30):
            opened.append(connect(endpoint["Address"], endpoint["Port"], user="orders_app"))
    except DatabaseError as error:
        refusal = error.args[0]
    try:
        assert len(opened) == 12 - 3 - 2
        assert refusal["S"] == "FATAL" and refusal["C"] == "53300"
        assert refusal["M"].startswith("remaining connection slots are reserved for roles with privileges of")
        looking = connect(endpoint["Address"], endpoint["Port"])
        held = looking.run("SELECT count(*) FROM pg_stat_activity WHERE usename = 'orders_app'")[0][0]
        looking.close()
        assert held == 7
    finally:
        for connection in opened:
            connection.close()
