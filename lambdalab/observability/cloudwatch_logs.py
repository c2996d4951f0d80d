"""What CloudWatch Logs does beyond storing events, installed in moto's CloudWatch Logs when it loads:
Logs Insights queries (:mod:`lambdalab.observability.insights`) and EMF → metrics
(:mod:`lambdalab.observability.emf_ingest`), whose metrics ListMetrics names once each
(:mod:`lambdalab.observability.metric_listing`). A sandbox that never logs pays nothing for the first two."""

from __future__ import annotations

_installed = False


def install() -> None:
    """Patch moto's CloudWatch Logs once it is imported (idempotent)."""
    global _installed
    if _installed:
        return
    _installed = True
    from lambdalab.observability import metric_listing

    metric_listing.install()  # moto's CloudWatch is loaded with the sandbox (its alarms)
    from lambdalab.databases.on_import import when_imported

    def patch_requests() -> None:
        from lambdalab.observability.insights import moto_logs

        moto_logs.install()

    def patch_backend() -> None:  # Lambda's log shipper calls the backend without a request (service/in_process)
        from lambdalab.observability import emf_ingest

        emf_ingest.install()

    when_imported("moto.logs.responses", patch_requests)
    when_imported("moto.logs.models", patch_backend)
