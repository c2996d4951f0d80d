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


def connect(host: str, port: int, user: str = "app", password: str = PASSWORD) -> pg8000.native.Connection:
    return pg8000.native.Connection(user, host=host, port=port, password=password, database="orders", timeout=30)
