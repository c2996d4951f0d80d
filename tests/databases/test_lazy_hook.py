"""A sandbox that never uses RDS never pays for it: moto's RDS is patched when it is first imported."""

from __future__ import annotations

import subprocess
import sys
import textwrap

from lambdalab.databases.on_import import when_imported


def test_when_a_watched_module_is_imported_then_the_callback_runs_once_with_the_module_complete(tmp_path, monkeypatch):
    (tmp_path / "lazy_pkg").mkdir()
    (tmp_path / "lazy_pkg" / "__init__.py").write_text("")
    (tmp_path / "lazy_pkg" / "heavy.py").write_text("VALUE = 42\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    seen: list[int] = []

    def callback() -> None:
        from lazy_pkg.heavy import VALUE

        seen.append(VALUE)

    when_imported("lazy_pkg.heavy", callback)
    assert seen == []
    import lazy_pkg.heavy  # noqa: F401

    assert seen == [42]
    when_imported("lazy_pkg.heavy", callback)  # already imported: at once
    assert seen == [42, 42]


def test_when_the_sandbox_starts_then_moto_rds_is_not_imported_until_the_first_rds_call():
    # The first call is a describe: it loads moto's RDS (and so the patches) without starting a PostgreSQL
    # server, which the tests of create_db_instance pay for.
    script = textwrap.dedent("""
        import sys
        import boto3
        import lambdalab

        box = lambdalab.sandbox()
        before = "moto.rds.models" in sys.modules
        instances = boto3.client("rds").describe_db_instances()["DBInstances"]
        after = "moto.rds.models" in sys.modules
        from moto.rds.models import DBInstance, RDSBackend
        from lambdalab.service.moto_patching import is_replaced

        patched = is_replaced(RDSBackend, "create_db_instance"), is_replaced(DBInstance, "address")
        print(before, after, instances, *patched)
        box.stop()
    """)
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=240)
    assert done.returncode == 0, done.stderr[-3000:]
    assert done.stdout.split() == ["False", "True", "[]", "True", "True"]
