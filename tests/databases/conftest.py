"""Fixtures for the database tests: one sandbox per module, boto3 clients, and DB instances made through RDS.

Creating a DB instance starts a real PostgreSQL (about half a second once the template cluster exists), so
a module shares its sandbox and the template; each test makes the instances it needs and the module's
reset removes them.
"""

from __future__ import annotations

import pytest
from botocore.config import Config

import lambdalab


@pytest.fixture(scope="module")
def box():
    sandbox = lambdalab.sandbox()
    yield sandbox
    sandbox.reset()


@pytest.fixture(scope="module")
def rds(box):
    return box.client("rds", config=Config(retries={"total_max_attempts": 1}))


@pytest.fixture(scope="module")
def subnet(box):
    ec2 = box.client("ec2")
    vpc = ec2.create_vpc(CidrBlock="10.7.0.0/16")["Vpc"]["VpcId"]
    return ec2.create_subnet(VpcId=vpc, CidrBlock="10.7.1.0/24")["Subnet"]["SubnetId"]
