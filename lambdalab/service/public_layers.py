"""Layers AWS publishes for everyone, served from what is installed here: Powertools for AWS Lambda (Python).

AWS's Python runtime does not include Powertools; on AWS a function gets it by attaching the public layer
AWS publishes from account 017000801446, ``arn:aws:lambda:{region}:017000801446:layer:
AWSLambdaPowertoolsPythonV3-{python_version}-{x86_64|arm64}:{version}``
(https://docs.aws.amazon.com/powertools/python/latest/getting-started/install/, checked December 2026, which
lists version 27). The sandbox answers that ARN — in the sandbox's region, either architecture, any version up to
:data:`POWERTOOLS_LAYER_VERSION` — with a layer built from the installed ``aws_lambda_powertools`` and the
libraries it uses (its ``[all]`` extras that are installed; never the SDK the runtime already bundles).
Attached like any layer, it counts in the five-layer limit and puts ``aws_lambda_powertools`` on the
handler's path; without it, ``import aws_lambda_powertools`` fails as on AWS.

Like AWS's, the layer carries its bytecode, compiled for the runtime's Python with checked hashes, so an
environment (which may not write ``__pycache__``) imports it without compiling it at every cold start. AWS's
layer pipeline fails a release whose layer recompiles any source file at import, and tests that checked-hash
bytecode survives the zip round trip where timestamp bytecode does not
(``layer_v3/layer/canary/bytecode_monitor.py`` in github.com/aws-powertools/powertools-lambda-python, read
December 2026).
"""

from __future__ import annotations

import base64
import functools
import hashlib
import importlib.metadata
import io
import os
import re
import sys
import tempfile
import threading
import zipfile
from pathlib import Path

from lambdalab.aws_facts import DEFAULT_REGION
from lambdalab.runtime.handler_imports import RUNTIME_SDK
from lambdalab.service.bytecode import add_bytecode

POWERTOOLS_ACCOUNT = "017000801446"
POWERTOOLS_LAYER_VERSION = 27  # the version Powertools' installation page lists (checked December 2026)
_POWERTOOLS_ARN = re.compile(
    rf"^arn:aws:lambda:(?P<region>[a-z]{{2}}(?:-[a-z]+)+-\d):{POWERTOOLS_ACCOUNT}:layer:"
    r"AWSLambdaPowertoolsPythonV3-(?P<python>python3\d+)-(?P<architecture>x86_64|arm64):(?P<version>\d+)$"
)
_SKIP = {name.lower().replace("_", "-") for name in RUNTIME_SDK}
_lock = threading.Lock()


def python_tag() -> str:
    """``python311`` for Python 3.11: how Powertools' layer names spell the runtime."""
    return f"python{sys.version_info.major}{sys.version_info.minor}"


def powertools_layer_arn(region: str = DEFAULT_REGION, architecture: str = "x86_64") -> str:
    """The ARN of AWS's public Powertools layer for this Python, in ``region``."""
    return (
        f"arn:aws:lambda:{region}:{POWERTOOLS_ACCOUNT}:layer:AWSLambdaPowertoolsPythonV3-{python_tag()}-"
        f"{architecture}:{POWERTOOLS_LAYER_VERSION}"
    )


POWERTOOLS_LAYER_ARN = powertools_layer_arn()


def is_powertools_arn(arn: str) -> bool:
    """Whether ``arn`` names a version of AWS's public Powertools layer (existing or not)."""
    return bool(_POWERTOOLS_ARN.match(arn or ""))


def layer_version(arn: str) -> object | None:
    """moto's LayerVersion for a public layer ARN, or None when AWS publishes no such version."""
    match = _POWERTOOLS_ARN.match(arn or "")
    if match is None or not 1 <= int(match["version"]) <= POWERTOOLS_LAYER_VERSION:
        return None
    return _powertools_version(match["region"], match["python"], match["architecture"], int(match["version"]))


@functools.cache
def _powertools_version(region: str, python: str, architecture: str, version: int) -> object:
    from moto.awslambda.models import Layer, LayerVersion

    minor = python.removeprefix("python3")
    runtime = f"python3.{minor}"
    spec = {
        "LayerName": f"AWSLambdaPowertoolsPythonV3-{python}-{architecture}",
        "Content": {"ZipFile": base64.b64encode(powertools_zip())},
        "Description": f"Powertools for AWS Lambda (Python) [{architecture} - Python 3.{minor}] with extra "
        f"dependencies version {importlib.metadata.version('aws-lambda-powertools')} (served by lambdalab "
        "from the installed package)",
        "CompatibleRuntimes": [runtime],
        "CompatibleArchitectures": [architecture],
        "LicenseInfo": "MIT-0",
    }
    layer_version = LayerVersion(spec, account_id=POWERTOOLS_ACCOUNT, region=region)
    layer_version.attach(Layer(layer_version), version)
    return layer_version


def _requirement_names(distribution: importlib.metadata.Distribution, extra: str | None) -> list[str]:
    """The distributions ``distribution`` requires here (markers evaluated), with ``extra``'s if given."""
    from packaging.requirements import InvalidRequirement, Requirement

    names = []
    for text in distribution.requires or ():
        try:
            requirement = Requirement(text)
        except InvalidRequirement:
            continue
        if requirement.marker is None or requirement.marker.evaluate({"extra": extra or ""}):
            names.append(requirement.name)
    return names


def powertools_distributions() -> list[importlib.metadata.Distribution]:
    """Powertools and what its ``[all]`` extra pulls in, as installed here, without the runtime's SDK."""
    found: dict[str, importlib.metadata.Distribution] = {}
    pending = [("aws-lambda-powertools", "all")]
    while pending:
        name, extra = pending.pop()
        key = name.lower().replace("_", "-")
        if key in found or key in _SKIP:
            continue
        try:
            distribution = importlib.metadata.distribution(name)
        except importlib.metadata.PackageNotFoundError:
            continue
        found[key] = distribution
        pending += [(required, None) for required in _requirement_names(distribution, extra)]
    return list(found.values())


@functools.cache
def powertools_zip() -> bytes:
    """The layer's archive: every installed file of those distributions under ``python/``.

    Built once per set of installed versions and kept in the temporary folder, so a new kernel or sandbox
    does not zip ~30 MB again.
    """
    distributions = sorted(powertools_distributions(), key=lambda d: d.metadata["Name"].lower())
    contents = [f"{d.metadata['Name']}=={d.version}" for d in distributions]
    key = hashlib.sha256(" ".join([*contents, sys.implementation.cache_tag, "checked-hash-pyc"]).encode())
    cached = Path(tempfile.gettempdir()) / "lambdalab-public-layers" / f"powertools-{key.hexdigest()[:16]}.zip"
    try:
        return cached.read_bytes()
    except OSError:
        pass
    archive = _zip_distributions(distributions)
    try:
        cached.parent.mkdir(parents=True, exist_ok=True)
        staging = cached.with_suffix(f".{os.getpid()}.tmp")
        staging.write_bytes(archive)
        os.replace(staging, cached)
    except OSError:
        pass  # a read-only temporary folder only costs the next process the time to zip again
    return archive


def _zip_distributions(distributions: list[importlib.metadata.Distribution]) -> bytes:
    with _lock:
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as archive:
            for distribution in distributions:
                for file in distribution.files or ():
                    if file.parts[0] == ".." or "__pycache__" in file.parts:
                        continue  # the bytecode installed here is this machine's: the layer's own is written below
                    source = Path(distribution.locate_file(file))
                    if source.is_file():
                        name = f"python/{file.as_posix()}"
                        data = source.read_bytes()
                        _add(archive, name, data, source.stat().st_mode)
                        if file.suffix == ".py":
                            add_bytecode(archive, name, data)
        return buffer.getvalue()


def _add(archive: zipfile.ZipFile, name: str, data: bytes, mode: int) -> None:
    info = zipfile.ZipInfo(name, date_time=(1980, 1, 1, 0, 0, 0))
    info.external_attr = (mode & 0o777) << 16
    info.compress_type = zipfile.ZIP_DEFLATED
    archive.writestr(info, data)


def install() -> None:
    """Make moto's Lambda backend find public layer versions by ARN, beside the account's own layers."""
    from moto.awslambda.models import LambdaBackend

    original = LambdaBackend.layers_versions_by_arn
    if getattr(original, "_lambdalab_public_layers", False):
        return

    def layers_versions_by_arn(self: LambdaBackend, layer_version_arn: str) -> object | None:
        if is_powertools_arn(layer_version_arn):  # a layer is attached in its own region only, as on AWS
            found = _POWERTOOLS_ARN.match(layer_version_arn)["region"] == self.region_name
            return layer_version(layer_version_arn) if found else None
        return original(self, layer_version_arn)

    layers_versions_by_arn._lambdalab_public_layers = True  # type: ignore[attr-defined]
    LambdaBackend.layers_versions_by_arn = layers_versions_by_arn  # type: ignore[method-assign]
