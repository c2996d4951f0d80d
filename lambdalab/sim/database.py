"""A relational database behind the functions: a fixed number of connections, and who holds them.

Lambda scales out to hundreds of environments in seconds; a database does not scale its connection limit
at all. RDS sets ``max_connections`` from the instance's memory (docs/facts.md, "Databases"):

- PostgreSQL: LEAST(DBInstanceClassMemory / 9,531,392, 5,000)
- MySQL / MariaDB: DBInstanceClassMemory / 12,582,880

(``DBInstanceClassMemory`` is the instance's memory less what RDS reserves for itself, so real limits sit a
little below these formulas applied to the nominal memory.)

Who holds a connection depends on where the function opens it:

- ``"init"``: opened once, at module level, and kept: every *live* environment -- busy or idle, until its
  keep-alive ends -- holds one. Cheap per request, but the database sees the whole warm pool.
- ``"request"``: opened and closed inside the handler: only *busy* environments hold one, at the price
  of a connection set-up per request.

A pooling proxy (RDS Proxy) in front takes the functions' client connections and lends a database
connection only while a request runs; when all are lent, the request waits for one instead of being
refused. Its pool is ``MaxConnectionsPercent`` of ``max_connections`` (100 % by default). Not modelled:
``ConnectionBorrowTimeout`` (120 s by default; here waits are measured instead of cut), and session
pinning (SET, temporary tables...), which would turn the proxy back into one connection per client.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Literal

GIB = 1024**3
ConnectAt = Literal["init", "request"]
CONNECT_AT: tuple[ConnectAt, ...] = ("init", "request")

#: The error a database gives when it has no connection left (PostgreSQL's wording).
TOO_MANY_CONNECTIONS = "FATAL: sorry, too many clients already"


def rds_max_connections(memory_bytes: float, engine: str = "postgres") -> int:
    """RDS's default ``max_connections`` for an instance with ``memory_bytes`` of DBInstanceClassMemory."""
    if memory_bytes <= 0:
        raise ValueError(f"memory_bytes must be > 0, got {memory_bytes!r}")
    if engine == "postgres":
        return int(min(memory_bytes // 9_531_392, 5_000))
    if engine in ("mysql", "mariadb"):
        return int(memory_bytes // 12_582_880)
    raise ValueError(f"engine must be 'postgres', 'mysql' or 'mariadb', got {engine!r}")


@dataclass(frozen=True)
class RdsProxy:
    """A pooling proxy: lends one of ``pool_size(max_connections)`` connections per running request."""

    max_connections_percent: int = 100

    def __post_init__(self) -> None:
        if not 1 <= self.max_connections_percent <= 100:
            raise ValueError(f"MaxConnectionsPercent is 1-100, got {self.max_connections_percent}")

    def pool_size(self, max_connections: int) -> int:
        return max(1, math.floor(max_connections * self.max_connections_percent / 100))


@dataclass(frozen=True)
class Database:
    """One database instance with ``max_connections``, optionally behind a proxy that every function uses."""

    max_connections: int
    proxy: RdsProxy | None = None

    def __post_init__(self) -> None:
        if self.max_connections < 1:
            raise ValueError(f"max_connections must be >= 1, got {self.max_connections}")

    @classmethod
    def rds(cls, memory_gib: float, engine: str = "postgres", proxy: RdsProxy | None = None) -> Database:
        """An RDS instance sized by memory, e.g. ``Database.rds(8)`` for a db.m6g.large (8 GiB)."""
        return cls(rds_max_connections(memory_gib * GIB, engine), proxy)

    @property
    def pool_size(self) -> int | None:
        """Connections the proxy may open, or None without a proxy."""
        return None if self.proxy is None else self.proxy.pool_size(self.max_connections)
