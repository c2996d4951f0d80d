"""Helpers for the database tests: DB instances and parameter groups made through boto3, and driver connections."""

from __future__ import annotations

import uuid

import pg8000.native

PASSWORD = "lesson-07-password"


def unique(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


def parameter_group(rds, max_connections: int) -> str:
    name = unique("pg")
    rds.create_db_parameter_group(
        DBParameterGroupName=name, DBParameterGroupFamily="postgres18", Description=f"max_connections {max_connections}"
    )
    rds.modify_db_parameter_group(
        DBParameterGroupName=name,
        Parameters=[
            {
                "ParameterName": "max_connections",
                "ParameterValue": str(max_connections),
                "ApplyMethod": "pending-reboot",
            }
        ],
    )
    return name


def create_instance(rds, *, instance_class: str = "db.t3.micro", group: str | None = None) -> dict:
    extra = {"DBParameterGroupName": group} if group else {}
    return rds.create_db_instance(
        DBInstanceIdentifier=unique("db"),
        Engine="postgres",
        DBInstanceClass=instance_class,
        MasterUsername="app",
        MasterUserPassword=PASSWORD,
        DBName="orders",
        AllocatedStorage=20,
        **extra,
    )["DBInstance"]


def describe(rds, identifier: str) -> dict:
    return rds.describe_db_instances(DBInstanceIdentifier=identifier)["DBInstances"][0]


def connect(host: str, port: int, user: str = "app", password: str = PASSWORD, *,
            ask_for_tls: bool = False) -> pg8000.native.Connection:
    """A connection in plain text, unless ``ask_for_tls``: pg8000's default first asks the server for TLS,
    building a certificate store to do so (about 35 ms of CPU a connection), and goes on in plain text when
    the server declines, as the sandbox's servers do. One test keeps that default (test_rds_proxy.py)."""
    return pg8000.native.Connection(user, host=host, port=port, password=password, database="orders", timeout=30,
                                    ssl_context=None if ask_for_tls else False)
