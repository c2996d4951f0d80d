"""Deployment packages and layers: zips in, read-only folders out, AWS's size rules enforced.

AWS unpacks a function's zip into ``/var/task`` and each attached layer into ``/opt``, in the order the
layers are listed. Here each zip is unpacked once into a folder named by its SHA-256 — the same bytes,
the same folder — so a hundred cold starts of one version unpack nothing, and a new version or an updated
layer never disturbs an environment still running the old one.
"""

from __future__ import annotations

import atexit
import hashlib
import io
import os
import posixpath
import shutil
import stat
import tempfile
import threading
import zipfile
from dataclasses import dataclass
from pathlib import Path

from lambdalab.aws_facts import MAX_UNZIPPED_CODE_BYTES
from lambdalab.runtime import temp_dirs
from lambdalab.runtime.config import InvalidParameterValueException

MAX_LAYERS = 5

_root: Path | None = None
_lock = threading.Lock()
_unpack_lock = threading.Lock()
_inspected: dict[str, PackageContents] = {}  # by SHA-256, so a package is read once (bounded below)


def _cache_root() -> Path:
    """The process's one folder of unpacked packages, made on first use; called under ``_unpack_lock``.

    A burst's first invokes all unpack at once, and two folders would give one package two paths — a
    different configuration to the service, which then retires the environments the burst just started.
    """
    global _root
    if _root is None:
        _root = temp_dirs.make("lambdalab-packages-")
        # Unpacked code (a learner's, when grading) must not outlive the process that unpacked it.
        atexit.register(shutil.rmtree, _root, ignore_errors=True)
    return _root


class _TooLarge(Exception):
    pass


@dataclass(frozen=True)
class PackageContents:
    """What a zip really holds, counted by decompressing it: files, folders, links and real bytes."""

    files: tuple[tuple[zipfile.ZipInfo, str], ...]
    folders: tuple[str, ...]
    links: tuple[tuple[str, str], ...]  # (name, target)
    unzipped_bytes: int


def _unzip_error(detail: object) -> InvalidParameterValueException:
    return InvalidParameterValueException(
        f"Could not unzip uploaded file. Please check your file, then try to upload again. ({detail})"
    )


def _too_large() -> InvalidParameterValueException:
    return InvalidParameterValueException(f"Unzipped size must be smaller than {MAX_UNZIPPED_CODE_BYTES} bytes")


def _is_link(info: zipfile.ZipInfo) -> bool:
    return info.create_system == 3 and stat.S_ISLNK(info.external_attr >> 16)


def _member_name(name: str) -> str:
    """The entry's path inside the package, or refusal: nothing may leave the package's folder."""
    posix = name.replace("\\", "/")
    parts = [p for p in posix.split("/") if p not in ("", ".")]
    drive = bool(parts) and len(parts[0]) == 2 and parts[0][1] == ":"
    if posix.startswith("/") or drive or ".." in parts or "\x00" in posix:
        raise InvalidParameterValueException(
            f"Could not unzip uploaded file: the entry {name[:200]!r} would be written outside the package "
            "(absolute paths and '..' are not allowed). Zip the folder's contents with relative paths."
        )
    return "/".join(parts)


def _stream(archive: zipfile.ZipFile, info: zipfile.ZipInfo, budget: int, sink: object = None) -> int:
    """Decompress one entry, counting the bytes it really produces (headers can lie); ``sink`` gets them."""
    produced = 0
    with archive.open(info) as member:
        while chunk := member.read(1 << 20):
            produced += len(chunk)
            if produced > budget:
                raise _TooLarge
            if sink is not None:
                sink.write(chunk)
    return produced


def inspect(zip_bytes: bytes, limit: int = MAX_UNZIPPED_CODE_BYTES) -> PackageContents:
    """Read a package entirely, refusing what AWS refuses and what would escape its folder.

    The size is what decompressing really yields — never the sizes the zip's headers declare — so a zip
    whose headers understate its contents is caught, whichever path (CreateFunction, UpdateFunctionCode,
    code from S3, a layer) brought it in.
    """
    digest = hashlib.sha256(zip_bytes).hexdigest()
    cached = _inspected.get(digest)
    if cached is not None and cached.unzipped_bytes <= limit:
        return cached
    files, folders, links, total = [], [], [], 0
    try:
        with zipfile.ZipFile(io.BytesIO(zip_bytes)) as archive:
            for info in archive.infolist():
                name = _member_name(info.filename)
                if not name:
                    continue
                if info.is_dir():
                    folders.append(name)
                elif _is_link(info):
                    target = archive.read(info)[:4096].decode("utf-8", errors="replace")
                    links.append((name, target))
                else:
                    total += _stream(archive, info, limit - total)
                    files.append((info, name))
    except _TooLarge:
        raise _too_large() from None
    except (zipfile.BadZipFile, zipfile.LargeZipFile, EOFError, NotImplementedError, ValueError, OSError) as exc:
        raise _unzip_error(exc) from None
    for name, target in links:
        _link_target(name, target)
    contents = PackageContents(tuple(files), tuple(folders), tuple(links), total)
    with _lock:
        _inspected[digest] = contents
        while len(_inspected) > 256:
            _inspected.pop(next(iter(_inspected)))
    return contents


def _link_target(name: str, target: str) -> str:
    """A link's target, if it stays inside the package. AWS keeps any symbolic link as it is; the
    sandbox keeps only links that point inside the package, since outside is the learner's own disk."""
    resolved = posixpath.normpath(posixpath.join(posixpath.dirname(name), target))
    if target.startswith("/") or resolved == ".." or resolved.startswith("../") or "\x00" in target:
        raise InvalidParameterValueException(
            f"Could not unzip uploaded file: the symbolic link {name[:200]!r} points outside the package "
            f"({target[:200]!r}). The sandbox keeps only links to files inside the package; replace the link "
            "with the file itself."
        )
    return target


def unzipped_size(zip_bytes: bytes) -> int:
    """The package's size once unpacked, counted by decompressing it (a single package may not exceed
    250 MB unpacked: AWS's ``Unzipped size must be smaller than 262144000 bytes``)."""
    return inspect(zip_bytes).unzipped_bytes


def check_sizes(function_zip_size: int, layer_sizes: list[int]) -> None:
    """Refuse, as AWS does, more than five layers or more than 250 MB unpacked in all."""
    if len(layer_sizes) > MAX_LAYERS:
        raise InvalidParameterValueException(f"Cannot reference more than {MAX_LAYERS} layers.")
    total = function_zip_size + sum(layer_sizes)
    if total > MAX_UNZIPPED_CODE_BYTES:
        raise InvalidParameterValueException(
            f"Function code combined with layers exceeds the maximum allowed size of {MAX_UNZIPPED_CODE_BYTES} "
            f"bytes. The actual size is {total} bytes."
        )


def unpack(zip_bytes: bytes) -> Path:
    """The folder holding this zip's contents (unpacked on first use, shared afterwards).

    Every entry lands inside the folder or the zip is refused; permissions are applied to the files just
    written (never to a path the entry names); links are created last, so no file is ever written
    through one.
    """
    digest = hashlib.sha256(zip_bytes).hexdigest()
    with _unpack_lock:
        target = _cache_root() / digest
        if target.is_dir():
            return target
        contents = inspect(zip_bytes)
        staging = Path(tempfile.mkdtemp(dir=_cache_root(), prefix=".unpack-"))
        try:
            _write(zip_bytes, contents, staging)
            staging.rename(target)
        except BaseException:
            shutil.rmtree(staging, ignore_errors=True)
            raise
    return target


def _write(zip_bytes: bytes, contents: PackageContents, staging: Path) -> None:
    root = staging.resolve()
    for name in contents.folders:
        (root / name).mkdir(parents=True, exist_ok=True)
    budget = MAX_UNZIPPED_CODE_BYTES
    try:
        with zipfile.ZipFile(io.BytesIO(zip_bytes)) as archive:
            for info, name in contents.files:
                path = root / name
                path.parent.mkdir(parents=True, exist_ok=True)
                if not path.parent.resolve().is_relative_to(root):
                    raise _unzip_error(f"{name[:200]!r} leaves the package")
                # O_NOFOLLOW | O_EXCL: a name already taken (a duplicate entry) is replaced, never followed.
                path.unlink(missing_ok=True)
                fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0), 0o644)
                with os.fdopen(fd, "wb") as sink:
                    budget -= _stream(archive, info, budget, sink)
                    mode = info.external_attr >> 16
                    if mode & 0o111:  # keep executables executable (a custom runtime's bootstrap)
                        os.fchmod(sink.fileno(), (mode & 0o777) | 0o400)
    except _TooLarge:
        raise _too_large() from None
    except (zipfile.BadZipFile, EOFError, OSError) as exc:
        raise _unzip_error(exc) from None
    for name, link_target in contents.links:
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        if os.path.lexists(path):
            raise _unzip_error(f"{name[:200]!r} is both a symbolic link and a file or folder")
        path.symlink_to(link_target)


def zip_folder(folder: Path) -> bytes:
    """A deployment package of a folder, as ``zip -r`` would make it (files only, sorted, no caches)."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for path in sorted(folder.rglob("*")):
            if path.is_file() and "__pycache__" not in path.parts and ".ipynb_checkpoints" not in path.parts:
                info = zipfile.ZipInfo(path.relative_to(folder).as_posix(), date_time=(1980, 1, 1, 0, 0, 0))
                info.external_attr = (path.stat().st_mode & 0o777) << 16
                info.compress_type = zipfile.ZIP_DEFLATED
                archive.writestr(info, path.read_bytes())
    return buffer.getvalue()


def zip_files(files: dict[str, str | bytes]) -> bytes:
    """A deployment package from in-memory files (name → source)."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name in sorted(files):
            content = files[name]
            info = zipfile.ZipInfo(name, date_time=(1980, 1, 1, 0, 0, 0))
            info.external_attr = 0o644 << 16
            info.compress_type = zipfile.ZIP_DEFLATED
            archive.writestr(info, content.encode() if isinstance(content, str) else content)
    return buffer.getvalue()
