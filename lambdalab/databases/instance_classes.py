"""DB instance classes and the ``max_connections`` RDS for PostgreSQL gives each by default.

RDS sets PostgreSQL's ``max_connections`` to ``LEAST({DBInstanceClassMemory/9531392}, 5000)``
(https://docs.aws.amazon.com/AmazonRDS/latest/UserGuide/CHAP_Limits.html#RDS_Limits.MaxConnections,
checked December 2026). ``DBInstanceClassMemory`` is *not* the class's nominal memory: it is "the total
amount of memory for the DB instance class" minus "memory reserved for the operating system and the RDS
processes that manage the instance", so "always somewhat lower than the memory figures shown in the
instance class tables", and AWS publishes no exact value
(https://docs.aws.amazon.com/AmazonRDS/latest/UserGuide/USER_ParamValuesRef.html, checked December 2026).

The reservation here is calibrated on ``SHOW max_connections`` values people measured on real instances
(db.t2.small 198, db.t2.medium 413, db.t2.large / db.m4.large 856, db.r4.large 1660;
https://gist.github.com/guizmaii/1cacffef793c2ba9645083c3e18b3d8c, checked December 2026), interpolated
between those sizes and held at the nearest one outside them. It reproduces those four values exactly; for
other sizes it is an estimate, which is all anyone outside AWS has.
"""

from __future__ import annotations

from dataclasses import dataclass

GIB = 1024**3
MIB = 1024**2
BYTES_PER_CONNECTION = 9_531_392
MAX_CONNECTIONS_CAP = 5000

#: Nominal memory (GiB) of the DB instance classes a course uses, from AWS's hardware specifications
#: (https://docs.aws.amazon.com/AmazonRDS/latest/UserGuide/Concepts.DBInstanceClass.Summary.html).
NOMINAL_MEMORY_GIB: dict[str, float] = {
    **{f"db.{family}.micro": 1 for family in ("t2", "t3", "t4g")},
    **{f"db.{family}.small": 2 for family in ("t2", "t3", "t4g")},
    **{f"db.{family}.medium": 4 for family in ("t2", "t3", "t4g")},
    **{f"db.{family}.large": 8 for family in ("t2", "t3", "t4g")},
    **{f"db.{family}.xlarge": 16 for family in ("t2", "t3", "t4g")},
    **{f"db.{family}.2xlarge": 32 for family in ("t2", "t3", "t4g")},
    "db.m4.large": 8,
    "db.m4.xlarge": 16,
    "db.m4.2xlarge": 32,
    "db.m4.4xlarge": 64,
    **{
        f"db.{family}.{size}": gib
        for family in ("m5", "m6g", "m6i", "m7g", "m7i")
        for size, gib in (
            ("large", 8),
            ("xlarge", 16),
            ("2xlarge", 32),
            ("4xlarge", 64),
            ("8xlarge", 128),
            ("12xlarge", 192),
            ("16xlarge", 256),
            ("24xlarge", 384),
        )
    },
    "db.r4.large": 15.25,
    "db.r4.xlarge": 30.5,
    "db.r4.2xlarge": 61,
    "db.r4.4xlarge": 122,
    **{
        f"db.{family}.{size}": gib
        for family in ("r5", "r6g", "r6i", "r7g", "r7i")
        for size, gib in (
            ("large", 16),
            ("xlarge", 32),
            ("2xlarge", 64),
            ("4xlarge", 128),
            ("8xlarge", 256),
            ("12xlarge", 384),
            ("16xlarge", 512),
            ("24xlarge", 768),
        )
    },
}

# (nominal GiB, bytes reserved for the OS and RDS), solved from the measured max_connections above.
_RESERVED = (
    (2.0, 2 * GIB - 198 * BYTES_PER_CONNECTION),
    (4.0, 4 * GIB - 413 * BYTES_PER_CONNECTION),
    (8.0, 8 * GIB - 856 * BYTES_PER_CONNECTION),
    (15.25, int(15.25 * GIB) - 1660 * BYTES_PER_CONNECTION),
)


class UnknownInstanceClass(ValueError):
    """A DB instance class RDS for PostgreSQL does not offer (or this sandbox does not know)."""


@dataclass(frozen=True)
class InstanceClass:
    """A DB instance class: its name, nominal memory, and what RDS derives from it."""

    name: str
    memory_gib: float

    @property
    def db_instance_class_memory(self) -> int:
        """``DBInstanceClassMemory``: nominal memory less what the OS and RDS's own processes keep."""
        nominal = int(self.memory_gib * GIB)
        return nominal - _reserved_bytes(self.memory_gib)

    @property
    def default_max_connections(self) -> int:
        """``LEAST({DBInstanceClassMemory/9531392}, 5000)``, RDS for PostgreSQL's default."""
        return min(self.db_instance_class_memory // BYTES_PER_CONNECTION, MAX_CONNECTIONS_CAP)


def instance_class(name: str) -> InstanceClass:
    """The class called ``name`` (``db.t3.micro``…), or :class:`UnknownInstanceClass` saying which exist."""
    try:
        return InstanceClass(name, NOMINAL_MEMORY_GIB[name])
    except KeyError:
        raise UnknownInstanceClass(
            f"RDS does not support creating a DB instance with the following combination: "
            f"DBInstanceClass={name}, Engine=postgres. Known classes include db.t3.micro, db.t3.small, "
            f"db.t4g.medium, db.m6g.large and db.r6g.large."
        ) from None


def _reserved_bytes(memory_gib: float) -> int:
    points = _RESERVED
    if memory_gib <= points[0][0]:
        return points[0][1]
    if memory_gib >= points[-1][0]:
        return int(points[-1][1] * memory_gib / points[-1][0])
    for (low_gib, low), (high_gib, high) in zip(points, points[1:], strict=False):
        if low_gib <= memory_gib <= high_gib:
            return int(low + (high - low) * (memory_gib - low_gib) / (high_gib - low_gib))
    raise AssertionError("unreachable")
