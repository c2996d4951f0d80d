"""A function reaches the real database with pg8000 shipped as a layer, the way AWS users package a driver."""

from __future__ import annotations

import importlib.util
import io
import sys
import zipfile

from db_helpers import PASSWORD, create_instance, describe

import lambdalab
from lambdalab.databases import driver_layer

HANDLER = """
import os
import pg8000.native

connection = None  # opened at init, reused by warm invocations


def handler(event, context):
    global connection
    if connection is None:
        connection = pg8000.native.Connection(os.environ["DB_USER"], host=os.environ["DB_HOST"],
                                              port=int(os.environ["DB_PORT"]), password=os.environ["DB_PASSWORD"],
                                              database="orders")
    connection.run("CREATE TABLE IF NOT EXISTS visits (n int)")
    connection.run("INSERT INTO visits VALUES (:n)", n=event["n"])
    return {"driver": pg8000.__file__, "rows": connection.run("SELECT count(*) FROM visits")[0][0]}
"""


def test_when_the_layer_is_built_then_it_holds_pg8000_and_its_dependencies_under_python():
    names = zipfile.ZipFile(io.BytesIO(driver_layer())).namelist()
    assert all(name.startswith("python/") for name in names)
    top = {name.split("/")[1] for name in names}
    assert {"pg8000", "scramp", "asn1crypto"} <= top


def test_the_layer_carries_checked_hash_bytecode_for_this_python_beside_every_module():
    """Timestamp bytecode (what pip writes) does not survive a zip; checked-hash bytecode does, so a cold start
    imports the driver without compiling it (an environment may not write __pycache__)."""
    layer = zipfile.ZipFile(io.BytesIO(driver_layer()))
    names = set(layer.namelist())
    modules = {name for name in names if name.endswith(".py")}
    bytecode = {name for name in names if name.endswith(".pyc")}
    assert bytecode == {importlib.util.cache_from_source(name) for name in modules}
    for name in bytecode:
        header = layer.read(name)[:8]
        assert header[:4] == importlib.util.MAGIC_NUMBER and int.from_bytes(header[4:], "little") == 0b11, name


def test_when_a_function_uses_the_driver_layer_then_it_queries_the_real_database(rds, box):
    endpoint = describe(rds, create_instance(rds)["DBInstanceIdentifier"])["Endpoint"]
    lam = box.client("lambda")
    layer = lam.publish_layer_version(
        LayerName="pg8000", Content={"ZipFile": driver_layer()}, CompatibleRuntimes=["python3.12"]
    )["LayerVersionArn"]
    fn = lambdalab.deploy(
        "orders-writer",
        code=HANDLER,
        layers=[layer],
        timeout=30,
        environment={
            "DB_HOST": endpoint["Address"],
            "DB_PORT": str(endpoint["Port"]),
            "DB_USER": "app",
            "DB_PASSWORD": PASSWORD,
        },
    )
    first, second = fn.invoke({"n": 1}).payload, fn.invoke({"n": 2}).payload
    assert (first["rows"], second["rows"]) == (1, 2)
    assert not first["driver"].startswith(sys.prefix)  # imported from the layer, not the course's environment
