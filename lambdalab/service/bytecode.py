"""Bytecode a layer ships, so that a cold start does not compile what the layer holds.

An execution environment may not write ``__pycache__`` (on AWS the function's and layers' folders are
read-only; here the runtime runs with ``-B``), so a ``.py`` file without bytecode beside it is compiled at
every cold start. Timestamp bytecode, what ``pip`` writes, does not survive a zip: the zip's timestamps have
two-second steps, so an odd second's ``.pyc`` no longer matches its source. Checked-hash bytecode (PEP 552)
holds the source's hash instead, and is refused if the source changed. Lesson 04 measures the difference.
"""

from __future__ import annotations

import importlib.util
import marshal
import zipfile


def checked_hash_bytecode(source: bytes, filename: str) -> bytes | None:
    """``source`` as a checked-hash ``.pyc`` (PEP 552) for this Python, or None if it does not compile.

    Checked-hash bytecode is valid whatever the source file's timestamp (a zip keeps none that matches), and
    is refused if the source changed. A file that does not compile is left as source, as ``compileall`` does.
    """
    try:
        code = compile(source, filename, "exec", dont_inherit=True)
    except (SyntaxError, ValueError):
        return None
    flags = (0b11).to_bytes(4, "little")  # hash-based, and checked against the source at import
    return importlib.util.MAGIC_NUMBER + flags + importlib.util.source_hash(source) + marshal.dumps(code)


def add_bytecode(archive: zipfile.ZipFile, name: str, source: bytes) -> None:
    """Write the checked-hash bytecode of ``source``, the module at ``name`` in ``archive``, where Python looks
    for it (``__pycache__/<module>.<cache tag>.pyc``); nothing if it does not compile. A fixed timestamp keeps
    the archive the same bytes from one build to the next."""
    bytecode = checked_hash_bytecode(source, name)
    if bytecode is not None:
        info = zipfile.ZipInfo(importlib.util.cache_from_source(name), date_time=(1980, 1, 1, 0, 0, 0))
        info.external_attr = 0o644 << 16
        archive.writestr(info, bytecode, zipfile.ZIP_DEFLATED)
