"""Deployment packages are unpacked safely and AWS's 250 MB unzipped limit holds on every path.

AWS refuses a package that unpacks beyond 262,144,000 bytes with ``InvalidParameterValueException:
Unzipped size must be smaller than 262144000 bytes`` (seen in many public issues, checked December 2026);
here the bytes are counted while decompressing, so a zip whose headers understate its contents is refused
too. No entry may leave the package's folder, and nothing outside it is ever chmod-ed.
"""

from __future__ import annotations

import io
import os
import stat
import struct
import zipfile
from pathlib import Path

import boto3
import pytest
from botocore.exceptions import ClientError

import lambdalab
from lambdalab.aws_facts import MAX_UNZIPPED_CODE_BYTES
from lambdalab.functions import EXECUTION_ROLE as ROLE
from lambdalab.functions import _ensure_execution_role
from lambdalab.runtime.config import InvalidParameterValueException
from lambdalab.service import packages

HANDLER = "def handler(event, context):\n    return 'ok'\n"
LIMIT_MESSAGE = "Unzipped size must be smaller than 262144000 bytes"


def bomb_zip(size: int = MAX_UNZIPPED_CODE_BYTES + 1) -> bytes:
    """A small zip (≈ 250 KB) that unpacks to ``size`` bytes of zeros, plus a handler."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as archive:
        archive.writestr("app.py", HANDLER)
        with archive.open("zeros.bin", "w", force_zip64=True) as sink:
            chunk = bytes(1 << 20)
            left = size
            while left:
                sink.write(chunk[: min(left, len(chunk))])
                left -= min(left, len(chunk))
    return buffer.getvalue()


def lying_zip(real: int = MAX_UNZIPPED_CODE_BYTES + 1, claimed: int = 1000) -> bytes:
    """The bomb, with both headers claiming ``claimed`` bytes: summing headers would let it through."""
    # Without zip64 extras (the entry is small enough for 32-bit fields once we lie about it), the local
    # header's size is at offset 22 and the central directory's at offset 24.
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as archive:
        archive.writestr("app.py", HANDLER)
        info = zipfile.ZipInfo("zeros.bin")
        info.compress_type = zipfile.ZIP_DEFLATED
        with archive.open(info, "w") as sink:
            for _ in range(real // (1 << 20)):
                sink.write(bytes(1 << 20))
            sink.write(bytes(real % (1 << 20)))
    data = bytearray(buffer.getvalue())
    for signature, offset in ((b"PK\x03\x04", 22), (b"PK\x01\x02", 24)):
        start = 0
        while (start := data.find(signature, start)) != -1:
            name_len = struct.unpack_from("<H", data, start + (26 if signature == b"PK\x03\x04" else 28))[0]
            name_at = start + (30 if signature == b"PK\x03\x04" else 46)
            if bytes(data[name_at : name_at + name_len]) == b"zeros.bin":
                struct.pack_into("<I", data, start + offset, claimed)
            start += 4
    patched = bytes(data)
    assert sum(i.file_size for i in zipfile.ZipFile(io.BytesIO(patched)).infolist()) < 2000
    return patched


def entry(name: str, content: bytes | str, mode: int = 0o100777, link: bool = False) -> tuple:
    return name, content, (stat.S_IFLNK | 0o777) if link else mode


def make_zip(entries: list[tuple]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, content, mode in entries:
            info = zipfile.ZipInfo(name)
            info.create_system = 3
            info.external_attr = mode << 16
            archive.writestr(info, content)
    return buffer.getvalue()


@pytest.fixture(scope="module")
def bomb() -> bytes:
    return bomb_zip()


def refused(call, *args, **kwargs) -> str:
    with pytest.raises(ClientError) as error:
        call(*args, **kwargs)
    assert error.value.response["Error"]["Code"] == "InvalidParameterValueException"
    assert error.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400
    return error.value.response["Error"]["Message"]


def create(lam, name: str, code: dict):
    _ensure_execution_role(lambdalab.sandbox())
    return lam.create_function(FunctionName=name, Runtime="python3.12", Role=ROLE, Handler="app.handler", Code=code)


def small_package() -> bytes:
    return make_zip([entry("app.py", HANDLER, 0o100644)])


def test_when_create_function_gets_a_package_over_250_mb_unzipped_then_aws_message(lam, bomb):
    assert LIMIT_MESSAGE in refused(create, lam, "big-create", {"ZipFile": bomb})


def test_when_update_function_code_gets_a_package_over_250_mb_unzipped_then_aws_message(lam, bomb):
    create(lam, "big-update", {"ZipFile": small_package()})

    assert LIMIT_MESSAGE in refused(lam.update_function_code, FunctionName="big-update", ZipFile=bomb)
    assert lam.invoke(FunctionName="big-update", Payload=b"{}")["Payload"].read() == b'"ok"'


def test_when_the_code_comes_from_s3_then_the_limit_holds_for_create_and_update(lam, bomb, box):
    s3 = boto3.client("s3")
    s3.create_bucket(Bucket="code-bucket")
    s3.put_object(Bucket="code-bucket", Key="bomb.zip", Body=bomb)
    s3.put_object(Bucket="code-bucket", Key="small.zip", Body=small_package())

    assert LIMIT_MESSAGE in refused(create, lam, "big-s3", {"S3Bucket": "code-bucket", "S3Key": "bomb.zip"})
    create(lam, "small-s3", {"S3Bucket": "code-bucket", "S3Key": "small.zip"})
    assert LIMIT_MESSAGE in refused(
        lam.update_function_code, FunctionName="small-s3", S3Bucket="code-bucket", S3Key="bomb.zip"
    )


def test_when_a_layer_is_over_250_mb_unzipped_then_publishing_it_is_refused(lam, bomb):
    assert LIMIT_MESSAGE in refused(lam.publish_layer_version, LayerName="big", Content={"ZipFile": bomb})


def test_when_the_zip_headers_understate_the_contents_then_the_real_bytes_decide(lam):
    message = refused(create, lam, "liar", {"ZipFile": lying_zip()})

    assert LIMIT_MESSAGE in message or "Could not unzip uploaded file" in message


def test_a_package_just_under_the_limit_is_accepted(lam):
    assert packages.unzipped_size(bomb_zip(MAX_UNZIPPED_CODE_BYTES - 10_000)) == (
        MAX_UNZIPPED_CODE_BYTES - 10_000 + len(HANDLER)
    )


@pytest.fixture
def victims(tmp_path: Path) -> list[Path]:
    files = []
    for name in ("victim-a", "victim-b"):
        path = tmp_path / name
        path.write_text("the learner's own file\n")
        path.chmod(0o600)
        files.append(path)
    return files


def escaping_zip(victims: list[Path]) -> bytes:
    climb = "../" * 40
    return make_zip(
        [
            entry("app.py", HANDLER),
            entry(str(victims[0]), "#!/bin/sh\nreplaced\n"),  # an absolute name
            entry(climb + str(victims[1]).lstrip("/"), "#!/bin/sh\nreplaced\n"),  # a climbing name
        ]
    )


def test_when_entries_name_paths_outside_the_package_then_no_file_outside_changes(lam, victims):
    message = refused(create, lam, "escape", {"ZipFile": escaping_zip(victims)})

    assert "outside the package" in message
    with pytest.raises(InvalidParameterValueException):
        packages.unpack(escaping_zip(victims))
    for victim in victims:
        assert stat.S_IMODE(victim.stat().st_mode) == 0o600
        assert victim.read_text() == "the learner's own file\n"


def test_when_a_symlink_points_inside_the_package_then_it_is_kept_as_a_symlink(lam, box):
    package = make_zip(
        [
            entry("real.py", "VALUE = 41 + 1\n", 0o100644),
            entry("alias.py", "real.py", link=True),
            entry(
                "app.py",
                "import os, alias\n"
                "def handler(event, context):\n    return [alias.VALUE, os.path.islink('alias.py')]\n",
                0o100644,
            ),
        ]
    )
    create(lam, "links-inside", {"ZipFile": package})

    assert lam.invoke(FunctionName="links-inside", Payload=b"{}")["Payload"].read() == b"[42, true]"
    folder = packages.unpack(package)
    assert (folder / "alias.py").is_symlink() and os.readlink(folder / "alias.py") == "real.py"


@pytest.mark.parametrize("target", ["/etc/passwd", "../../../../outside", "sub/../../x"])
def test_when_a_symlink_points_outside_the_package_then_the_package_is_refused(lam, target):
    package = make_zip([entry("app.py", HANDLER, 0o100644), entry("link", target, link=True)])

    assert "points outside the package" in refused(create, lam, "links-outside", {"ZipFile": package})


def test_when_a_file_would_be_written_through_a_symlink_then_it_is_refused(tmp_path, victims):
    package = make_zip([entry("dir", str(tmp_path), link=True), entry("dir/victim-a", "replaced")])

    with pytest.raises(InvalidParameterValueException):
        packages.unpack(package)
    assert victims[0].read_text() == "the learner's own file\n"


def test_executables_stay_executable_and_nothing_else_becomes_so():
    folder = packages.unpack(make_zip([entry("bootstrap", "#!/bin/sh\n", 0o100755), entry("data.txt", "x", 0o100644)]))

    assert os.access(folder / "bootstrap", os.X_OK)
    assert (
        not os.access(folder / "data.txt", os.X_OK)
        or os.geteuid() == 0
        and not ((folder / "data.txt").stat().st_mode & 0o111)
    )
