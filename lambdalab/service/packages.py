"""Deployment packages and layers: zips in, read-only folders out, AWS's size rules enforced.

AWS unpacks a function's zip into ``/var/task`` and each attached layer into ``/opt``, in the order the
layers are listed. Here each zip is unpacked once into a folder named by its SHA-256 — the same bytes,
the same folder — so a hundred cold starts of one version unpack nothing, and a new version or an updated
layer never disturbs an environment still running the old one.
"""

from __future__ import annotations

import hashlib
import io
import shutil
import tempfile
import threading
import zipfile
from pathlib import Path

from lambdalab.runtime.config import InvalidParameterValueException

MAX_UNZIPPED_BYTES = 262_144_000  # function + layers, "250 MB"
MAX_LAYERS = 5

_root: Path | None = None
_lock = threading.Lock()


def _cache_root() -> Path:
    global _root
    if _root is None:
        _root = Path(tempfile.mkdtemp(prefix="lambdalab-packages-"))
    return _root


def unzipped_size(zip_bytes: bytes) -> int:
    """The package's size once unpacked, read from the zip's directory without unpacking it."""
    try:
        with zipfile.ZipFile(io.BytesIO(zip_bytes)) as archive:
            return sum(info.file_size for info in archive.infolist())
    except zipfile.BadZipFile as exc:
        raise InvalidParameterValueException(
            f"Could not unzip uploaded file. Please check your file, then try to upload again. ({exc})"
        ) from None


def check_sizes(function_zip_size: int, layer_sizes: list[int]) -> None:
    """Refuse, as AWS does, more than five layers or more than 250 MB unpacked in all."""
    if len(layer_sizes) > MAX_LAYERS:
        raise InvalidParameterValueException(f"Cannot reference more than {MAX_LAYERS} layers.")
    total = function_zip_size + sum(layer_sizes)
    if total > MAX_UNZIPPED_BYTES:
        raise InvalidParameterValueException(
            f"Function code combined with layers exceeds the maximum allowed size of {MAX_UNZIPPED_BYTES} "
            f"bytes. The actual size is {total} bytes.")


def unpack(zip_bytes: bytes) -> Path:
    """The folder holding this zip's contents (unpacked on first use, shared afterwards)."""
    digest = hashlib.sha256(zip_bytes).hexdigest()
    target = _cache_root() / digest
    with _lock:
        if not target.is_dir():
            staging = Path(tempfile.mkdtemp(dir=_cache_root(), prefix=".unpack-"))
            try:
                with zipfile.ZipFile(io.BytesIO(zip_bytes)) as archive:
                    archive.extractall(staging)
                for info in zipfile.ZipFile(io.BytesIO(zip_bytes)).infolist():
                    mode = info.external_attr >> 16
                    if mode & 0o111:  # keep executables executable (a custom runtime's bootstrap)
                        (staging / info.filename).chmod(mode & 0o777)
                staging.rename(target)
            except zipfile.BadZipFile as exc:
                shutil.rmtree(staging, ignore_errors=True)
                raise InvalidParameterValueException(
                    f"Could not unzip uploaded file. Please check your file, then try to upload again. ({exc})"
                ) from None
    return target


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
