"""The sandbox's database engine: every running PostgreSQL server and RDS Proxy, and their life cycle.

It starts nothing until the first ``create_db_instance`` (a sandbox that never uses RDS pays nothing), then
makes one template cluster and serves each DB instance from a copy of it. The sandbox owns it: a reset or
a stop ends every server and proxy and removes their data, and so does the end of the Python process, so
nothing survives the sandbox.
"""

from __future__ import annotations

import atexit
import re
import shutil
import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from lambdalab.databases import binaries, ports
from lambdalab.databases.metrics import RdsMetrics
from lambdalab.databases.postgres import ADMIN_USER, Cluster, PostgresServer
from lambdalab.databases.server_user import ServerUser, make_workspace, reachable_install, server_user

if TYPE_CHECKING:  # the proxy brings asyncio and SCRAM (asn1crypto): imported when a proxy starts
    from lambdalab.databases.proxy.server import DbProxy, EventLoopThread

LOOPBACK = "127.0.0.1"
INSTANCE_METRICS_PERIOD_S = 60
_BACKEND_TITLE = re.compile(r"^postgres: \S+ \S+ 127\.0\.0\.1\(\d+\)")


@dataclass(frozen=True)
class InstanceSpec:
    """What a DB instance's server needs from the RDS API: who logs in, which database, how many connections."""

    identifier: str
    master_username: str
    master_password: str
    db_name: str | None
    max_connections: int


@dataclass(frozen=True)
class Endpoint:
    address: str
    port: int


class DatabaseInstance:
    """One DB instance's server and what it was last started with."""

    def __init__(self, spec: InstanceSpec, server: PostgresServer, admin_password: str) -> None:
        self.spec = spec
        self.server = server
        self.applied_max_connections = spec.max_connections
        self._admin_password = admin_password
        self._bootstrapped = False

    @property
    def endpoint(self) -> Endpoint:
        return Endpoint(LOOPBACK, self.server.port)

    def start(self, max_connections: int | None = None) -> None:
        if max_connections is not None:
            self.applied_max_connections = max_connections
        self.server.configure({"max_connections": str(self.applied_max_connections)})
        self.server.start()
        if not self._bootstrapped:  # the first successful start creates the master user and database
            _create_master_user(self, self._admin_password)
            self._bootstrapped = True

    def stop(self) -> None:
        self.server.stop()

    def reboot(self, max_connections: int | None = None) -> None:
        self.server.stop()
        self.start(max_connections)


class DatabaseEngine:
    """Owns the workspace, the template cluster, the DB instances' servers and the proxies."""

    def __init__(self, client_factory: Callable[[str], object] | None = None) -> None:
        self._client_factory = client_factory
        self._loop: EventLoopThread | None = None
        self._metrics: RdsMetrics | None = None
        self._lock = threading.RLock()
        self._user: ServerUser | None = None
        self._workspace: Path | None = None
        self._cluster: Cluster | None = None
        self.instances: dict[str, DatabaseInstance] = {}
        self.proxies: dict[str, DbProxy] = {}
        self._sampler_stop = threading.Event()
        self._atexit = False

    # --- DB instances ---------------------------------------------------------------------------
    def create_instance(self, spec: InstanceSpec) -> DatabaseInstance:
        with self._lock:
            cluster = self._ensure_cluster()
            self.delete_instance(spec.identifier)
            data_dir = self._workspace / "instances" / spec.identifier.replace("/", "_") / "data"
            used = {instance.server.port for instance in self.instances.values()}
            server = PostgresServer(cluster, data_dir, ports.free_port(LOOPBACK, avoid=used))
            cluster.copy_to(data_dir)
            instance = DatabaseInstance(spec, server, cluster.admin_password)
            self.instances[spec.identifier] = instance
        instance.start()
        return instance

    def instance(self, identifier: str) -> DatabaseInstance | None:
        return self.instances.get(identifier)

    def delete_instance(self, identifier: str) -> None:
        with self._lock:
            instance = self.instances.pop(identifier, None)
        if instance is None:
            return
        for proxy in list(self.proxies.values()):
            proxy.forget_target(identifier)
        instance.stop()
        shutil.rmtree(instance.server.data_dir.parent, ignore_errors=True)

    @property
    def workspace(self) -> Path | None:
        """The temporary folder holding the template cluster and every instance's data (None until first use)."""
        return self._workspace

    @property
    def admin_password(self) -> str:
        return self._ensure_cluster().admin_password

    # --- proxies --------------------------------------------------------------------------------
    def start_proxy(self, key: str, name: str, idle_client_timeout_s: float = 1800) -> DbProxy:
        """Start the proxy ``name`` listening (without a target until one is registered)."""
        from lambdalab.databases.proxy.server import DbProxy, EventLoopThread

        with self._lock:
            self.remove_proxy(key)
            if self._loop is None:
                self._loop = EventLoopThread()
            proxy = DbProxy(name, self._loop, self._ensure_metrics(), idle_client_timeout_s)
            proxy.start()
            self.proxies[key] = proxy
            return proxy

    def flush_metrics(self, timeout: float = 10.0) -> bool:
        """Wait until the data points written so far (instances' and proxies') are in CloudWatch."""
        return self._metrics.flush(timeout) if self._metrics is not None else True

    def publish_instance_metrics(self) -> dict[str, int]:
        """Publish each running instance's ``DatabaseConnections`` now (RDS does it every minute)."""
        metrics = self._ensure_metrics()
        published: dict[str, int] = {}
        for instance in list(self.instances.values()):
            if not instance.server.running:
                continue
            try:
                count = client_connections(instance)
            except Exception:  # noqa: BLE001 - a server stopping under us has no number this minute
                continue
            name = instance.spec.identifier.rsplit("/", 1)[-1]
            if metrics is not None:
                metrics.gauges(("DBInstanceIdentifier", name), {"DatabaseConnections": count}, only_changes=False)
            published[name] = count
        return published

    def _ensure_metrics(self) -> RdsMetrics | None:
        with self._lock:
            if self._metrics is None and self._client_factory is not None:
                self._metrics = RdsMetrics(lambda: self._client_factory("cloudwatch"))
            return self._metrics

    def _sample_every_minute(self) -> None:
        while not self._sampler_stop.wait(INSTANCE_METRICS_PERIOD_S):
            if self.instances:
                self.publish_instance_metrics()

    def remove_proxy(self, name: str) -> None:
        with self._lock:
            proxy = self.proxies.pop(name, None)
        if proxy is not None:
            proxy.stop()

    # --- life cycle -----------------------------------------------------------------------------
    def reset(self) -> None:
        """End every proxy and server and remove their data; the template stays for the next instance."""
        for name in list(self.proxies):
            self.remove_proxy(name)
        for identifier in list(self.instances):
            self.delete_instance(identifier)

    def stop(self) -> None:
        """Reset, then remove the workspace: nothing of the engine is left on disk or in the process table."""
        self.reset()
        with self._lock:
            workspace, self._workspace, self._cluster = self._workspace, None, None
            loop, self._loop = self._loop, None
        self._sampler_stop.set()
        if loop is not None:
            loop.close()
        if workspace is not None:
            shutil.rmtree(workspace, ignore_errors=True)

    def server_pids(self) -> list[int]:
        return [pid for instance in self.instances.values() if (pid := instance.server.pid)]

    def _ensure_cluster(self) -> Cluster:
        with self._lock:
            if self._cluster is None:
                self._user = server_user()
                self._workspace = make_workspace(self._user)
                install = reachable_install(self._user, binaries.install_dir(), self._workspace)
                self._cluster = Cluster.initdb(install, self._user, self._workspace)
                if not self._atexit:
                    atexit.register(self.stop)
                    self._atexit = True
                self._sampler_stop.clear()
                threading.Thread(
                    target=self._sample_every_minute, name="lambdalab-rds-instance-metrics", daemon=True
                ).start()
            return self._cluster


def admin_connection(instance: DatabaseInstance, admin_password: str) -> Any:
    """A connection as ``rdsadmin`` (RDS's own superuser), plain TCP: the sandbox's own housekeeping."""
    import pg8000.native

    return pg8000.native.Connection(
        ADMIN_USER,
        host=LOOPBACK,
        port=instance.server.port,
        password=admin_password,
        database="postgres",
        timeout=30,
        ssl_context=False,
    )


def client_connections(instance: DatabaseInstance) -> int:
    """Client connections to the instance now: its backend processes serving a TCP client.

    Read from the process table (PostgreSQL titles each backend ``postgres: user database host(port) state``)
    rather than by connecting, so that counting never takes one of the slots being counted.
    """
    import psutil

    if instance.server.pid is None:
        return 0
    try:
        children = psutil.Process(instance.server.pid).children()
    except psutil.NoSuchProcess:
        return 0
    count = 0
    for child in children:
        try:
            title = " ".join(child.cmdline())
        except (psutil.NoSuchProcess, psutil.AccessDenied):
            continue
        if _BACKEND_TITLE.match(title):
            count += 1
    return count


def change_master_password(instance: DatabaseInstance, password: str, admin_password: str) -> None:
    """``ModifyDBInstance`` with ``MasterUserPassword``: the role's password changes at once, as on RDS."""
    import pg8000.native

    connection = admin_connection(instance, admin_password)
    try:
        connection.run(
            f"ALTER ROLE {pg8000.native.identifier(instance.spec.master_username)} "
            f"PASSWORD {pg8000.native.literal(password)}"
        )
    finally:
        connection.close()


def _create_master_user(instance: DatabaseInstance, admin_password: str) -> None:
    """RDS's arrangement: rds_superuser (monitoring, signalling, the 2 slots RDS reserves for it), the master
    user in it, and its database."""
    import pg8000.native

    spec = instance.spec
    connection = admin_connection(instance, admin_password)
    try:
        ident, literal = pg8000.native.identifier, pg8000.native.literal
        connection.run("CREATE ROLE rds_superuser NOLOGIN")
        connection.run(
            "GRANT pg_monitor, pg_signal_backend, pg_read_all_settings, pg_use_reserved_connections TO rds_superuser"
        )
        connection.run(
            f"CREATE ROLE {ident(spec.master_username)} LOGIN CREATEDB CREATEROLE "
            f"PASSWORD {literal(spec.master_password)} IN ROLE rds_superuser"
        )
        connection.run(f"GRANT CREATE ON SCHEMA public TO {ident(spec.master_username)}")
        if spec.db_name and spec.db_name != "postgres":
            connection.run(f"CREATE DATABASE {ident(spec.db_name)} OWNER {ident(spec.master_username)}")
    finally:
        connection.close()
