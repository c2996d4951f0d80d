"""CloudWatch Logs Insights on the sandbox's log groups: ``start_query`` and ``get_query_results`` through boto3.

:func:`install` patches moto's CloudWatch Logs once it is imported (the first log write or query), so a
sandbox that never logs pays nothing for it.
"""

from __future__ import annotations

_installed = False


def install() -> None:
    """Answer Insights queries on the sandbox (idempotent)."""
    global _installed
    if _installed:
        return
    _installed = True
    from lambdalab.databases.on_import import when_imported

    def patch() -> None:
        from lambdalab.observability.insights import moto_logs

        moto_logs.install()

    when_imported("moto.logs.responses", patch)
