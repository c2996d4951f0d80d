"""moto's DB proxies, made to run: a listening proxy per ``create_db_proxy``, pointed at its registered target.

Replaced in ``moto.rds.models.RDSBackend``: ``create_db_proxy`` (starts the listener; the proxy's
``Endpoint`` becomes the address it listens on), ``register_db_proxy_targets`` /
``deregister_db_proxy_targets`` (put the pool in front of the instance, or take it away),
``modify_db_proxy_target_group`` (``MaxConnectionsPercent``, ``ConnectionBorrowTimeout``,
``SessionPinningFilters`` take effect at once) and ``delete_db_proxy`` (stops it).
"""

from __future__ import annotations

from typing import Any

from lambdalab.databases.engine import LOOPBACK, DatabaseEngine
from lambdalab.service.moto_patching import original, replace

_engine: DatabaseEngine | None = None


def bind(engine: DatabaseEngine) -> None:
    """Proxies created from now on belong to ``engine`` (the sandbox's)."""
    global _engine
    _engine = engine


def patch() -> None:
    """Install the DB proxy patches in moto's RDS (idempotent; called once moto has loaded it)."""
    from moto.rds.models import RDSBackend

    replace(RDSBackend, "create_db_proxy", _create_db_proxy)
    replace(RDSBackend, "register_db_proxy_targets", _register_db_proxy_targets)
    replace(RDSBackend, "deregister_db_proxy_targets", _deregister_db_proxy_targets)
    replace(RDSBackend, "modify_db_proxy_target_group", _modify_db_proxy_target_group)
    replace(RDSBackend, "delete_db_proxy", _delete_db_proxy)


def proxy_key(backend: Any, name: str) -> str:
    return f"{backend.account_id}/{backend.region_name}/{name}"


def _create_db_proxy(backend: Any, db_proxy_name: str, *args: Any, **kwargs: Any) -> Any:
    from moto.rds.models import RDSBackend

    record = original(RDSBackend, "create_db_proxy")(backend, db_proxy_name, *args, **kwargs)
    if record.engine_family != "POSTGRESQL" or _engine is None:
        return record
    proxy = _engine.start_proxy(
        proxy_key(backend, db_proxy_name),
        db_proxy_name,
        idle_client_timeout_s=float(record.idle_client_timeout or 1800),
    )
    record.endpoint = proxy.host
    return record


def _register_db_proxy_targets(
    backend: Any,
    db_proxy_name: str,
    target_group_name: str,
    db_cluster_identifiers: list[str],
    db_instance_identifiers: list[str],
) -> Any:
    from moto.rds.exceptions import DBInstanceNotFoundError, DBProxyNotFoundFault
    from moto.rds.models import RDSBackend

    if db_proxy_name not in backend.db_proxies:
        raise DBProxyNotFoundFault(db_proxy_name)
    for identifier in db_instance_identifiers or []:
        if identifier not in backend.databases:
            raise DBInstanceNotFoundError(identifier)
    targets = original(RDSBackend, "register_db_proxy_targets")(
        backend, db_proxy_name, target_group_name, db_cluster_identifiers, db_instance_identifiers
    )
    proxy = _engine.proxies.get(proxy_key(backend, db_proxy_name)) if _engine else None
    for target in targets:
        if target.type != "RDS_INSTANCE":
            continue
        database = backend.databases[target.rds_resource_id]
        instance_key = f"{backend.account_id}/{backend.region_name}/{target.rds_resource_id}"
        instance = _engine.instance(instance_key) if _engine else None
        if instance is None or proxy is None:
            continue
        target.endpoint = LOOPBACK
        target.port = instance.endpoint.port
        group = backend.db_proxies[db_proxy_name].proxy_target_groups[target_group_name or "default"]
        proxy.configure(
            max_connections_percent=int(group.max_connections),
            borrow_timeout_s=float(group.borrow_timeout),
            session_pinning_filters=list(group.session_pinning_filters),
        )
        proxy.set_target(instance_key, instance.endpoint.port, instance.applied_max_connections)
        database.port = instance.endpoint.port
    return targets


def _deregister_db_proxy_targets(
    backend: Any,
    db_proxy_name: str,
    target_group_name: str,
    db_cluster_identifiers: list[str],
    db_instance_identifiers: list[str],
) -> Any:
    from moto.rds.models import RDSBackend

    result = original(RDSBackend, "deregister_db_proxy_targets")(
        backend, db_proxy_name, target_group_name, db_cluster_identifiers, db_instance_identifiers
    )
    proxy = _engine.proxies.get(proxy_key(backend, db_proxy_name)) if _engine else None
    if proxy is not None:
        for identifier in db_instance_identifiers or []:
            proxy.forget_target(f"{backend.account_id}/{backend.region_name}/{identifier}")
    return result


def _modify_db_proxy_target_group(backend: Any, proxy_name: str, config: dict[str, Any]) -> Any:
    from moto.rds.models import RDSBackend

    group = original(RDSBackend, "modify_db_proxy_target_group")(backend, proxy_name, config)
    proxy = _engine.proxies.get(proxy_key(backend, proxy_name)) if _engine else None
    if proxy is not None:
        proxy.configure(
            max_connections_percent=int(group.max_connections),
            borrow_timeout_s=float(group.borrow_timeout),
            session_pinning_filters=list(group.session_pinning_filters),
        )
    return group


def _delete_db_proxy(backend: Any, proxy_name: str) -> Any:
    from moto.rds.exceptions import DBProxyNotFoundFault
    from moto.rds.models import RDSBackend

    if proxy_name not in backend.db_proxies:
        raise DBProxyNotFoundFault(proxy_name)
    record = original(RDSBackend, "delete_db_proxy")(backend, proxy_name)
    if _engine is not None:
        _engine.remove_proxy(proxy_key(backend, proxy_name))
    return record
