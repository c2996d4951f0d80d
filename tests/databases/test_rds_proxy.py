"""An RDS Proxy created through the RDS API pools, pins, times out and reports as RDS Proxy does."""

from __future__ import annotations

import datetime as dt
import threading

import pytest
from db_helpers import PASSWORD, connect, create_instance, describe, parameter_group, unique
from pg8000.exceptions import DatabaseError

pytestmark = pytest.mark.runs_long  # about 20 s together: collected first (tests/conftest.py)

MAX_CONNECTIONS = 20


@pytest.fixture
def proxy(rds, subnet):
    """A proxy in front of an instance with max_connections 20; MaxConnectionsPercent 25 → 5 connections."""
    instance = create_instance(rds, group=parameter_group(rds, MAX_CONNECTIONS))["DBInstanceIdentifier"]
    name = unique("proxy")
    rds.create_db_proxy(
        DBProxyName=name,
        EngineFamily="POSTGRESQL",
        RoleArn="arn:aws:iam::123456789012:role/proxy",
        Auth=[
            {
                "AuthScheme": "SECRETS",
                "IAMAuth": "DISABLED",
                "SecretArn": "arn:aws:secretsmanager:us-east-1:123456789012:secret:app",
            }
        ],
        VpcSubnetIds=[subnet],
    )
    rds.register_db_proxy_targets(DBProxyName=name, DBInstanceIdentifiers=[instance])
    rds.modify_db_proxy_target_group(
        DBProxyName=name,
        TargetGroupName="default",
        ConnectionPoolConfig={"MaxConnectionsPercent": 25, "ConnectionBorrowTimeout": 2},
    )
    host = rds.describe_db_proxies(DBProxyName=name)["DBProxies"][0]["Endpoint"]
    yield {"name": name, "instance": instance, "host": host}
    rds.delete_db_proxy(DBProxyName=name)


def through(proxy, box):
    return connect(proxy["host"], box.databases.proxies[_key(box, proxy)].port)


def _key(box, proxy) -> str:
    return next(key for key in box.databases.proxies if key.endswith("/" + proxy["name"]))


def server_sessions(rds, proxy) -> int:
    """Connections of the master user the database itself sees (pg_stat_activity), the admin's excluded."""
    endpoint = describe(rds, proxy["instance"])["Endpoint"]
    direct = connect(endpoint["Address"], endpoint["Port"])
    try:
        return direct.run("SELECT count(*) FROM pg_stat_activity WHERE usename = 'app'")[0][0] - 1
    finally:
        direct.close()


def test_when_a_proxy_is_described_then_its_endpoint_is_where_it_listens(rds, box, proxy):
    described = rds.describe_db_proxies(DBProxyName=proxy["name"])["DBProxies"][0]
    assert described["Status"] == "available"
    assert described["Endpoint"].startswith("127.")
    assert box.databases.proxies[_key(box, proxy)].host == described["Endpoint"]
    connection = through(proxy, box)
    assert connection.run("SELECT current_user") == [["app"]]
    connection.close()


def test_when_many_clients_query_through_the_proxy_then_they_share_few_database_connections(rds, box, proxy):
    clients = [through(proxy, box) for _ in range(30)]
    errors: list[Exception] = []

    def work(client) -> None:
        try:
            for _ in range(5):
                client.run("SELECT pg_sleep(0.005)")
        except Exception as error:  # noqa: BLE001 - collected and asserted below
            errors.append(error)

    threads = [threading.Thread(target=work, args=(client,)) for client in clients]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert 1 <= server_sessions(rds, proxy) <= 5  # 25 % of max_connections 20
    snapshot = box.databases.proxies[_key(box, proxy)].snapshot()
    assert snapshot["ClientConnections"] == 30
    assert snapshot["DatabaseConnections"] <= 5
    for client in clients:
        client.close()


def test_when_a_client_sets_a_session_variable_then_it_is_pinned_and_keeps_its_setting(rds, box, proxy):
    pinned, other = through(proxy, box), through(proxy, box)
    pinned.run("SET application_name = 'pinned-session'")
    for _ in range(3):
        other.run("SELECT 1")  # other transactions must not land on the pinned connection
        assert pinned.run("SHOW application_name") == [["pinned-session"]]
    assert other.run("SHOW application_name") != [["pinned-session"]]
    assert box.databases.proxies[_key(box, proxy)].snapshot()["DatabaseConnectionsCurrentlySessionPinned"] == 1
    pinned.close()
    other.run("SELECT 1")
    assert box.databases.proxies[_key(box, proxy)].snapshot()["DatabaseConnectionsCurrentlySessionPinned"] == 0
    other.close()


def test_when_only_plain_transactions_run_then_no_session_is_pinned(rds, box, proxy):
    client = through(proxy, box)
    client.run("BEGIN")
    client.run("SELECT 1")
    client.run("COMMIT")
    client.run("SELECT now()")
    assert box.databases.proxies[_key(box, proxy)].snapshot()["DatabaseConnectionsCurrentlySessionPinned"] == 0
    client.close()


def test_when_every_connection_is_busy_past_the_borrow_timeout_then_the_client_gets_rds_proxy_error(rds, box, proxy):
    holders = [through(proxy, box) for _ in range(5)]
    for holder in holders:
        holder.run("BEGIN")
        holder.run("SELECT 1")  # a transaction holds its connection
    waiting = through(proxy, box)
    with pytest.raises(DatabaseError) as error:
        waiting.run("SELECT 1")
    assert error.value.args[0]["M"] == "Timed-out waiting to acquire database connection."
    holders[0].run("COMMIT")
    assert waiting.run("SELECT 1") == [[1]]  # the client connection survived and can retry
    for client in [*holders, waiting]:
        client.close()


def test_when_the_proxy_works_then_its_metrics_are_in_cloudwatch_under_aws_rds(rds, box, proxy):
    clients = [through(proxy, box) for _ in range(3)]
    clients[0].run("SELECT pg_advisory_lock(7)")  # advisory locks pin
    for client in clients:
        client.run("SELECT 1")
    assert box.databases.flush_metrics()
    cloudwatch = box.client("cloudwatch")
    now = dt.datetime.now(dt.UTC)

    def maximum(metric: str) -> float:
        points = cloudwatch.get_metric_statistics(
            Namespace="AWS/RDS",
            MetricName=metric,
            Dimensions=[{"Name": "ProxyName", "Value": proxy["name"]}],
            StartTime=now - dt.timedelta(minutes=5),
            EndTime=now + dt.timedelta(minutes=1),
            Period=300,
            Statistics=["Maximum"],
        )["Datapoints"]
        return max(point["Maximum"] for point in points)

    assert maximum("ClientConnections") == 3
    assert 1 <= maximum("DatabaseConnections") <= 5
    assert maximum("DatabaseConnectionsCurrentlySessionPinned") == 1
    assert maximum("DatabaseConnectionsBorrowLatency") > 0
    for client in clients:
        client.close()


def test_when_the_proxy_is_deleted_then_it_stops_listening(rds, box, subnet):
    instance = create_instance(rds)["DBInstanceIdentifier"]
    name = unique("proxy")
    rds.create_db_proxy(
        DBProxyName=name,
        EngineFamily="POSTGRESQL",
        RoleArn="arn:aws:iam::123456789012:role/proxy",
        Auth=[{"AuthScheme": "SECRETS", "SecretArn": "arn:aws:secretsmanager:us-east-1:1:secret:a"}],
        VpcSubnetIds=[subnet],
    )
    rds.register_db_proxy_targets(DBProxyName=name, DBInstanceIdentifiers=[instance])
    proxy = {"name": name, "host": rds.describe_db_proxies(DBProxyName=name)["DBProxies"][0]["Endpoint"]}
    port = box.databases.proxies[_key(box, proxy)].port
    connect(proxy["host"], port).close()
    rds.delete_db_proxy(DBProxyName=name)
    from pg8000.exceptions import InterfaceError

    with pytest.raises(InterfaceError):
        connect(proxy["host"], port)


def test_when_a_client_asks_for_tls_then_the_proxy_and_the_instance_decline_and_it_goes_on_in_plain_text(rds, box,
                                                                                                        proxy):
    endpoint = describe(rds, proxy["instance"])["Endpoint"]
    proxy_port = box.databases.proxies[_key(box, proxy)].port
    for host, port in ((proxy["host"], proxy_port), (endpoint["Address"], endpoint["Port"])):
        client = connect(host, port, ask_for_tls=True)  # pg8000's default: SSLRequest first
        try:
            assert client.run("SELECT 1") == [[1]]
        finally:
            client.close()


def test_when_the_password_is_wrong_then_the_proxy_refuses_the_login(rds, box, proxy):
    with pytest.raises(DatabaseError, match="password authentication failed"):
        connect(proxy["host"], box.databases.proxies[_key(box, proxy)].port, password=PASSWORD + "x")


def test_when_a_client_prepares_a_statement_then_it_is_pinned_and_the_statement_keeps_working(rds, box, proxy):
    client, other = through(proxy, box), through(proxy, box)
    statement = client.prepare("SELECT CAST(:v AS int) * 2")  # a named statement in the extended protocol
    for value in range(3):
        other.run("SELECT 1")
        assert statement.run(v=value) == [[value * 2]]
    assert box.databases.proxies[_key(box, proxy)].snapshot()["DatabaseConnectionsCurrentlySessionPinned"] == 1
    for connection in (client, other):
        connection.close()


def test_when_a_client_creates_a_temporary_table_then_later_transactions_still_see_it(rds, box, proxy):
    client, other = through(proxy, box), through(proxy, box)
    client.run("CREATE TEMP TABLE scratch (n int)")
    other.run("SELECT 1")
    client.run("INSERT INTO scratch VALUES (1)")
    assert client.run("SELECT count(*) FROM scratch") == [[1]]
    for connection in (client, other):
        connection.close()


def test_when_a_client_stays_idle_past_idle_client_timeout_then_the_proxy_closes_its_connection(rds, box, subnet):
    import time

    from pg8000.exceptions import InterfaceError

    instance = create_instance(rds)["DBInstanceIdentifier"]
    name = unique("proxy")
    rds.create_db_proxy(
        DBProxyName=name,
        EngineFamily="POSTGRESQL",
        RoleArn="arn:aws:iam::123456789012:role/proxy",
        Auth=[{"AuthScheme": "SECRETS", "SecretArn": "arn:aws:secretsmanager:us-east-1:1:secret:a"}],
        VpcSubnetIds=[subnet],
        IdleClientTimeout=1,
    )
    rds.register_db_proxy_targets(DBProxyName=name, DBInstanceIdentifiers=[instance])
    proxy = {"name": name, "host": rds.describe_db_proxies(DBProxyName=name)["DBProxies"][0]["Endpoint"]}
    client = through(proxy, box)
    assert client.run("SELECT 1") == [[1]]
    time.sleep(3)
    with pytest.raises(InterfaceError):
        client.run("SELECT 1")
    rds.delete_db_proxy(DBProxyName=name)


def test_when_many_clients_run_parameterised_queries_then_each_keeps_its_unnamed_statement(rds, box, proxy):
    # pg8000 parses, describes and executes an unnamed statement in three round trips (three Syncs): the
    # connection must stay lent to the client until the statement has run, or another client's Parse
    # replaces it ("unnamed prepared statement does not exist").
    # Twenty clients take turns on five connections; on a loaded machine a turn can take longer than the
    # fixture's 2 s borrow timeout, which is not what this test is about: AWS's default, 120 s.
    rds.modify_db_proxy_target_group(DBProxyName=proxy["name"], TargetGroupName="default",
                                     ConnectionPoolConfig={"ConnectionBorrowTimeout": 120})
    clients = [through(proxy, box) for _ in range(20)]
    errors: list[Exception] = []
    results: list[int] = []

    def work(client, n) -> None:
        try:
            for i in range(20):
                results.append(client.run("SELECT CAST(:v AS int)", v=n * 100 + i)[0][0])
        except Exception as error:  # noqa: BLE001 - collected and asserted below
            errors.append(error)

    threads = [threading.Thread(target=work, args=(client, n)) for n, client in enumerate(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert sorted(results) == sorted(n * 100 + i for n in range(20) for i in range(20))
    assert box.databases.proxies[_key(box, proxy)].snapshot()["DatabaseConnectionsCurrentlySessionPinned"] == 0
    for client in clients:
        client.close()


def test_when_a_parameterised_statement_fails_then_the_connection_goes_back_to_the_pool(rds, box, proxy):
    client, others = through(proxy, box), [through(proxy, box) for _ in range(5)]
    with pytest.raises(DatabaseError):
        client.run("SELECT CAST(:v AS int) FROM no_such_table", v=1)
    for other in others:  # the pool of 5 must be whole again for five other clients
        other.run("BEGIN")
        other.run("SELECT CAST(:v AS int)", v=2)
    for other in others:
        other.run("COMMIT")
    for connection in [client, *others]:
        connection.close()
