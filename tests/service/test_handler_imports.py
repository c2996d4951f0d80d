"""A handler imports what AWS's Python runtime gives — the standard library, the bundled SDK, its own package
and its layers — and nothing else the course installed; Powertools comes from AWS's public layer."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

import lambdalab
from lambdalab import POWERTOOLS_LAYER_ARN
from lambdalab.functions import EXECUTION_ROLE
from lambdalab.runtime.environment import RuntimeClient
from lambdalab.service.packages import zip_files as zipped

CLIENTS = [c for c in RuntimeClient if c is not RuntimeClient.AWSLAMBDARIC or RuntimeClient.default() is c]


def create(lam, name: str, files: dict[str, str | bytes], **kwargs) -> None:
    lambdalab.deploy(name, code="def handler(e, c):\n    return 1\n")  # creates the execution role
    lam.delete_function(FunctionName=name)
    lam.create_function(
        FunctionName=name,
        Runtime="python3.12",
        Role=EXECUTION_ROLE,
        Handler="app.handler",
        Code={"ZipFile": zipped(files)},
        **kwargs,
    )


def invoke(lam, name: str) -> tuple[dict, object]:
    response = lam.invoke(FunctionName=name, Payload=b"{}")
    return response, json.loads(response["Payload"].read())


@pytest.mark.parametrize("module", ["requests", "numpy", "yaml", "lambdalab", "aws_lambda_powertools"])
def test_when_an_unpackaged_function_imports_a_course_package_then_aws_import_module_error(lam, module):
    create(lam, "imports-missing", {"app.py": f"import {module}\ndef handler(e, c):\n    return 1\n"})
    response, error = invoke(lam, "imports-missing")
    assert response["FunctionError"] == "Unhandled"
    assert error["errorType"] == "Runtime.ImportModuleError"
    assert error["errorMessage"] == f"Unable to import module 'app': No module named '{module}'"


@pytest.mark.parametrize("client", CLIENTS, ids=[c.value for c in CLIENTS])
def test_when_a_handler_imports_the_runtime_client_or_its_libraries_then_they_are_not_there(box, client):
    source = """
import importlib
def handler(event, context):
    found = {}
    for name in ("awslambdaric", "simplejson", "runtime_client", "lambdalab", "bootstrap", "client"):
        try:
            importlib.import_module(name)
            found[name] = True
        except ImportError:
            found[name] = False
    return found
"""
    found = lambdalab.deploy("imports-client", code=source, runtime_client=client).invoke().payload
    assert found == dict.fromkeys(found, False) and len(found) == 6


def test_when_a_handler_imports_the_sdk_the_runtime_bundles_then_every_piece_is_there(box):
    source = """
import boto3, botocore, jmespath, s3transfer, urllib3, dateutil, six
def handler(event, context):
    return boto3.client("s3").list_buckets()["Buckets"]
"""
    result = lambdalab.deploy("imports-sdk", code=source).invoke()
    assert result.error is None and result.payload == []


def test_when_the_package_bundles_its_own_copy_of_an_sdk_library_then_the_package_wins(lam):
    create(
        lam,
        "imports-bundled",
        {"app.py": "import six\ndef handler(e, c):\n    return six.WHO\n", "six.py": "WHO = 'bundled'\n"},
    )
    assert invoke(lam, "imports-bundled")[1] == "bundled"


def test_when_a_module_is_in_the_package_and_in_a_layer_then_the_package_wins(lam):
    layer = lam.publish_layer_version(
        LayerName="shadow", Content={"ZipFile": zipped({"python/which.py": "X = 'layer'\n"})}
    )
    create(
        lam,
        "imports-order",
        {"app.py": "import which\ndef handler(e, c):\n    return which.X\n", "which.py": "X = 'package'\n"},
        Layers=[layer["LayerVersionArn"]],
    )
    assert invoke(lam, "imports-order")[1] == "package"


POWERTOOLS_HANDLER = """
from aws_lambda_powertools import Logger
from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response

logger = Logger(service="orders")
processor = BatchProcessor(event_type=EventType.SQS)

def record_handler(record):
    if record.body == "bad":
        raise ValueError("bad record")

def handler(event, context):
    return process_partial_response(event=event, record_handler=record_handler, processor=processor, context=context)
"""


def sqs_event(*bodies: str) -> dict:
    return {
        "Records": [
            {
                "messageId": m,
                "body": m,
                "eventSource": "aws:sqs",
                "receiptHandle": "r",
                "attributes": {},
                "messageAttributes": {},
                "md5OfBody": "",
                "eventSourceARN": "arn:aws:sqs:us-east-1:1:q",
                "awsRegion": "us-east-1",
            }
            for m in bodies
        ]
    }


def test_when_the_powertools_public_layer_is_attached_with_boto3_then_powertools_imports(lam):
    python = f"python{sys.version_info.major}{sys.version_info.minor}"
    assert POWERTOOLS_LAYER_ARN == (
        f"arn:aws:lambda:us-east-1:017000801446:layer:AWSLambdaPowertoolsPythonV3-{python}-x86_64:27"
    )
    create(lam, "powertools", {"app.py": POWERTOOLS_HANDLER}, Layers=[POWERTOOLS_LAYER_ARN])
    assert lam.get_function_configuration(FunctionName="powertools")["Layers"][0]["Arn"] == POWERTOOLS_LAYER_ARN
    response = lam.invoke(FunctionName="powertools", Payload=json.dumps(sqs_event("good", "bad")))
    assert json.loads(response["Payload"].read()) == {"batchItemFailures": [{"itemIdentifier": "bad"}]}


def test_when_the_powertools_layer_is_attached_with_the_notebook_api_then_it_imports_and_without_it_fails(box):
    with_layer = lambdalab.deploy("pt-notebook", code=POWERTOOLS_HANDLER, layers=[POWERTOOLS_LAYER_ARN])
    assert with_layer.invoke(sqs_event("good")).payload == {"batchItemFailures": []}
    # The failed init is retried inside the invoke, within the function's timeout: 30 s, not the default 3 s,
    # so that a process start slowed by a busy machine still ends in the import error, not a timeout.
    without = lambdalab.deploy("pt-notebook", code=POWERTOOLS_HANDLER, timeout=30).invoke(sqs_event("good"))
    assert without.error["errorType"] == "Runtime.ImportModuleError"
    assert without.error["errorMessage"] == "Unable to import module 'app': No module named 'aws_lambda_powertools'"


def test_when_the_powertools_layer_is_described_by_arn_then_it_answers_like_aws(lam):
    answer = lam.get_layer_version_by_arn(Arn=POWERTOOLS_LAYER_ARN)
    assert answer["LayerVersionArn"] == POWERTOOLS_LAYER_ARN
    assert answer["LayerArn"] == POWERTOOLS_LAYER_ARN.rsplit(":", 1)[0]
    assert answer["Version"] == 27
    assert answer["CompatibleArchitectures"] == ["x86_64"]
    assert answer["Content"]["CodeSize"] > 0 and answer["Content"]["CodeSha256"]
    older = lam.get_layer_version(LayerName=answer["LayerArn"], VersionNumber=3)
    assert older["LayerVersionArn"] == answer["LayerArn"] + ":3"
    arm = POWERTOOLS_LAYER_ARN.replace("x86_64", "arm64")
    assert lam.get_layer_version_by_arn(Arn=arm)["CompatibleArchitectures"] == ["arm64"]
    missing = POWERTOOLS_LAYER_ARN.rsplit(":", 1)[0] + ":999"
    with pytest.raises(lam.exceptions.ResourceNotFoundException, match=f"Layer version {missing} does not exist"):
        lam.get_layer_version_by_arn(Arn=missing)


def test_when_the_powertools_layer_makes_a_sixth_layer_then_aws_refuses_it(lam):
    own = lam.publish_layer_version(LayerName="own", Content={"ZipFile": zipped({"python/m.py": "x = 1\n"})})
    create(lam, "pt-limit", {"app.py": "def handler(e, c):\n    return 1\n"})
    with pytest.raises(lam.exceptions.InvalidParameterValueException, match="Cannot reference more than 5 layers"):
        lam.update_function_configuration(
            FunctionName="pt-limit", Layers=[own["LayerVersionArn"]] * 5 + [POWERTOOLS_LAYER_ARN]
        )


def test_when_a_handler_asks_for_installed_distributions_then_it_sees_only_the_runtimes_sdk(box):
    source = """
import importlib.metadata as metadata
def handler(event, context):
    def version(name):
        try:
            return metadata.version(name)
        except metadata.PackageNotFoundError:
            return None
    return {name: version(name) is not None for name in ("boto3", "botocore", "requests", "lambdalab", "moto")}
"""
    seen = lambdalab.deploy("imports-metadata", code=source).invoke().payload
    assert seen == {"boto3": True, "botocore": True, "requests": False, "lambdalab": False, "moto": False}


TRACKED_POWERTOOLS = '''
from importlib.machinery import SourceFileLoader

compiled = []
_source_to_code = SourceFileLoader.source_to_code


def _track(loader, data, path, *, _optimize=-1):
    compiled.append(path)
    return _source_to_code(loader, data, path, _optimize=_optimize)


SourceFileLoader.source_to_code = _track
from aws_lambda_powertools import Logger, Metrics, Tracer  # noqa: E402
from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType  # noqa: E402
SourceFileLoader.source_to_code = _source_to_code

import os  # noqa: E402
import aws_lambda_powertools  # noqa: E402

LAYER = os.path.dirname(os.path.dirname(aws_lambda_powertools.__file__))


def handler(event, context):
    return {"compiled_from_the_layer": [p for p in compiled if p.startswith(LAYER + os.sep)],
            "imported_from": os.path.basename(LAYER)}
'''


def test_the_powertools_layer_carries_its_bytecode_so_a_cold_start_compiles_none_of_it(box):
    """AWS's layer ships checked-hash bytecode; an environment may not write __pycache__, so without it every
    cold start would compile Powertools again (its pipeline fails a layer that does)."""
    answer = lambdalab.deploy("pt-bytecode", code=TRACKED_POWERTOOLS, layers=[POWERTOOLS_LAYER_ARN]).invoke({})
    assert answer.payload == {"compiled_from_the_layer": [], "imported_from": "python"}, answer.error


def test_checked_hash_bytecode_is_used_as_is_and_refused_once_its_source_changes(tmp_path):
    import importlib.util
    from importlib.machinery import SourceFileLoader

    from lambdalab.service.bytecode import checked_hash_bytecode

    source = tmp_path / "sample.py"
    source.write_bytes(b"value = 42\n")
    cached = Path(importlib.util.cache_from_source(str(source)))
    cached.parent.mkdir()
    cached.write_bytes(checked_hash_bytecode(source.read_bytes(), "python/sample.py"))
    assert checked_hash_bytecode(b"def broken(\n", "python/broken.py") is None

    def load() -> tuple[int, list[str]]:
        compiled: list[str] = []
        original = SourceFileLoader.source_to_code
        SourceFileLoader.source_to_code = lambda loader, data, path, **kw: compiled.append(path) or original(
            loader, data, path, **kw)
        try:
            loader = SourceFileLoader("sample", str(source))
            namespace: dict[str, object] = {}
            exec(loader.get_code("sample"), namespace)
        finally:
            SourceFileLoader.source_to_code = original
        return namespace["value"], compiled

    assert load() == (42, [])
    source.write_bytes(b"value = 43\n")  # same size: a timestamp check could miss it, a hash does not
    assert load() == (43, [str(source)])
