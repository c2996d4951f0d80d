"""moto's RDS, taught to run what it describes: a PostgreSQL server per DB instance, a proxy per DB proxy.

moto keeps RDS's metadata faithfully enough for boto3 and the AWS CLI, but a DB instance there is a record
with a made-up endpoint. These narrow replacements (installed once, originals kept, see
:mod:`lambdalab.service.moto_patching`) make the record real:

- ``create_db_instance`` (engine ``postgres``) starts a server with the instance class's ``max_connections``
  or its parameter group's; the endpoint becomes 127.0.0.1 and the server's port; the answer says
  ``creating`` and the next describe ``available``, because the server is ready when the call returns;
- ``stop``/``start``/``reboot``/``delete_db_instance`` stop, start, restart and remove it; a reboot applies
  the parameter group's static parameters (``max_connections``), as RDS does;
- ``modify_db_parameter_group`` refuses ``ApplyMethod=immediate`` for a static parameter, with RDS's error,
  and the instance reports ``pending-reboot`` until it is rebooted;
- ``register_db_proxy_targets`` starts the proxy in front of the instance, ``describe_db_proxies`` shows its
  address, ``modify_db_proxy_target_group`` changes its pool, ``delete_db_proxy`` stops it.
"""

from __future__ import annotations

import json
from typing import Any

from lambdalab.databases import parameters
from lambdalab.databases.engine import LOOPBACK, DatabaseEngine, InstanceSpec
from lambdalab.databases.instance_classes import UnknownInstanceClass, instance_class
from lambdalab.databases.on_import import when_imported
from lambdalab.databases.postgres import ServerFailedToStart
from lambdalab.service.moto_patching import original, replace

_engine: DatabaseEngine | None = None
_hooked = False
_SETTLES_TO = "_lambdalab_settles_to"


def install(engine: DatabaseEngine) -> None:
    """Point moto's RDS at ``engine`` (the last sandbox's engine wins); patch moto when it loads its RDS."""
    global _engine, _hooked
    _engine = engine
    from lambdalab.databases.proxy import moto_proxy

    moto_proxy.bind(engine)
    if not _hooked:
        _hooked = True
        when_imported("moto.rds.models", _patch)


def _patch() -> None:
    from moto.rds.models import DBInstance, RDSBackend

    replace(RDSBackend, "create_db_instance", _create_db_instance)
    replace(RDSBackend, "describe_db_instances", _describe_db_instances)
    replace(RDSBackend, "stop_db_instance", _stop_db_instance)
    replace(RDSBackend, "start_db_instance", _start_db_instance)
    replace(RDSBackend, "reboot_db_instance", _reboot_db_instance)
    replace(RDSBackend, "modify_db_instance", _modify_db_instance)
    replace(RDSBackend, "delete_db_instance", _delete_db_instance)
    replace(RDSBackend, "modify_db_parameter_group", _modify_db_parameter_group)
    replace(DBInstance, "address", property(_address))
    replace(DBInstance, "db_parameter_group_status_list", property(_parameter_group_status_list))
    from lambdalab.databases.proxy import moto_proxy

    moto_proxy.patch()


def engine() -> DatabaseEngine:
    if _engine is None:
        raise RuntimeError("the sandbox's database engine is not installed")
    return _engine


def _key(database: Any) -> str:
    return f"{database.account_id}/{database.region}/{database.db_instance_identifier}"


def served(database: Any) -> bool:
    return _engine is not None and _engine.instance(_key(database)) is not None


def instance_for(database: Any) -> Any:
    return engine().instance(_key(database))


# --- DB instances -----------------------------------------------------------------------------
def _create_db_instance(backend: Any, db_kwargs: dict[str, Any]) -> Any:
    from moto.rds.exceptions import InvalidParameterCombination, InvalidParameterValue
    from moto.rds.models import RDSBackend

    is_postgres = str(db_kwargs.get("engine", "")).lower() == "postgres" and not db_kwargs.get("db_cluster_identifier")
    if is_postgres:
        try:
            instance_class(str(db_kwargs.get("db_instance_class")))
        except UnknownInstanceClass as exc:
            raise InvalidParameterCombination(str(exc)) from None
        if not db_kwargs.get("master_username"):
            raise InvalidParameterValue("The parameter MasterUsername must be provided and must not be blank.")
        if not db_kwargs.get("master_user_password") and not db_kwargs.get("manage_master_user_password"):
            raise InvalidParameterValue("The parameter MasterUserPassword must be provided and must not be blank.")
        if not db_kwargs.get("engine_version"):
            from lambdalab.databases.binaries import install_dir, server_version

            db_kwargs = {**db_kwargs, "engine_version": server_version(install_dir())}
    database = original(RDSBackend, "create_db_instance")(backend, db_kwargs)
    if not is_postgres:
        return database
    spec = InstanceSpec(
        identifier=_key(database),
        master_username=database.master_username,
        master_password=_master_password(database),
        db_name=database.db_name,
        max_connections=_max_connections(database),
    )
    try:
        instance = engine().create_instance(spec)
    except ServerFailedToStart:
        # RDS's answer to parameters the engine cannot start with; fix the group and reboot.
        database.status = "incompatible-parameters"
        database.port = engine().instance(spec.identifier).endpoint.port
        return database
    database.port = instance.endpoint.port
    _announce(database, "creating", "available")
    return database


def _describe_db_instances(backend: Any, *args: Any, **kwargs: Any) -> Any:
    from moto.rds.models import RDSBackend

    databases = original(RDSBackend, "describe_db_instances")(backend, *args, **kwargs)
    for database in databases:
        settles_to = getattr(database, _SETTLES_TO, None)
        if settles_to is not None and database.status != settles_to:
            database.status = settles_to
            setattr(database, _SETTLES_TO, None)
    return databases


def _stop_db_instance(backend: Any, db_instance_identifier: str, *args: Any, **kwargs: Any) -> Any:
    from moto.rds.models import RDSBackend

    database = original(RDSBackend, "stop_db_instance")(backend, db_instance_identifier, *args, **kwargs)
    if (instance := _served_instance(database)) is not None:
        for proxy in engine().proxies.values():
            proxy.target_stopped(instance.spec.identifier)
        instance.stop()
        _announce(database, "stopping", "stopped")
    return database


def _start_db_instance(backend: Any, db_instance_identifier: str) -> Any:
    from moto.rds.models import RDSBackend

    database = original(RDSBackend, "start_db_instance")(backend, db_instance_identifier)
    if (instance := _served_instance(database)) is not None:
        _restart(database, instance, starting=True)
    return database


def _reboot_db_instance(backend: Any, db_instance_identifier: str, *args: Any, **kwargs: Any) -> Any:
    from moto.rds.exceptions import InvalidDBInstanceStateError
    from moto.rds.models import RDSBackend

    database = original(RDSBackend, "reboot_db_instance")(backend, db_instance_identifier, *args, **kwargs)
    if (instance := _served_instance(database)) is not None:
        if database.status not in ("available", "incompatible-parameters") and not instance.server.running:
            raise InvalidDBInstanceStateError(db_instance_identifier, "reboot")
        _restart(database, instance, starting=False)
    return database


def _modify_db_instance(backend: Any, db_instance_identifier: str, db_kwargs: dict[str, Any]) -> Any:
    from moto.rds.models import RDSBackend

    database = original(RDSBackend, "modify_db_instance")(backend, db_instance_identifier, db_kwargs)
    instance = _served_instance(database)
    if instance is not None and db_kwargs.get("master_user_password") and instance.server.running:
        from lambdalab.databases.engine import change_master_password

        change_master_password(instance, str(db_kwargs["master_user_password"]), engine().admin_password)
        for proxy in engine().proxies.values():
            if proxy.target == instance.spec.identifier:
                proxy.verified_logins.clear()
    if instance is not None and db_kwargs.get("db_instance_class") and db_kwargs.get("apply_immediately"):
        _restart(database, instance, starting=False)  # a class change restarts the instance on RDS too
    return database


def _delete_db_instance(backend: Any, db_instance_identifier: str, *args: Any, **kwargs: Any) -> Any:
    from moto.rds.models import RDSBackend

    database = original(RDSBackend, "delete_db_instance")(backend, db_instance_identifier, *args, **kwargs)
    if _engine is not None:
        _engine.delete_instance(_key(database))
    return database


def _restart(database: Any, instance: Any, *, starting: bool) -> None:
    for proxy in engine().proxies.values():
        proxy.target_stopped(instance.spec.identifier)
    try:
        instance.reboot(_max_connections(database))
    except ServerFailedToStart:
        database.status = "incompatible-parameters"
        return
    for proxy in engine().proxies.values():
        proxy.target_started(instance.spec.identifier, instance.applied_max_connections)
    _announce(database, "starting" if starting else "rebooting", "available")


def _served_instance(database: Any) -> Any:
    return engine().instance(_key(database)) if _engine is not None else None


def _announce(database: Any, now: str, then: str) -> None:
    """This answer shows ``now`` (RDS's transitional status); the next describe shows ``then``."""
    database.status = now
    setattr(database, _SETTLES_TO, then)


def _master_password(database: Any) -> str:
    if getattr(database, "_master_user_password", None):  # moto's property refuses to return it
        return str(database._master_user_password)
    secret = database.master_user_secret.secret
    return str(json.loads(secret.secret_string)["password"])


def _max_connections(database: Any) -> int:
    """The parameter group's ``max_connections`` (integer or formula), else RDS's default for the class."""
    cls = instance_class(str(database.db_instance_class))
    default = cls.default_max_connections
    try:
        groups = database.db_parameter_groups()
    except Exception:  # noqa: BLE001 - a missing group was refused by moto already
        return default
    for group in groups:
        value = group.parameters.get("max_connections", {}).get("ParameterValue")
        if value not in (None, ""):
            try:
                return parameters.evaluate(value, {"DBInstanceClassMemory": cls.db_instance_class_memory})
            except parameters.InvalidParameterExpression:
                return default
    return default


# --- parameter groups -------------------------------------------------------------------------
def _modify_db_parameter_group(backend: Any, db_parameter_group_name: str, db_parameter_group_parameters: Any) -> Any:
    from moto.rds.exceptions import InvalidParameterCombination
    from moto.rds.models import RDSBackend

    items = list(db_parameter_group_parameters)
    for item in items:
        name = item.get("ParameterName")
        if name in parameters.STATIC_PARAMETERS and item.get("ApplyMethod") == "immediate":
            raise InvalidParameterCombination("cannot use immediate apply method for static parameter")
    return original(RDSBackend, "modify_db_parameter_group")(backend, db_parameter_group_name, items)


def _parameter_group_status_list(database: Any) -> Any:
    groups = database.db_parameter_groups()
    instance = _served_instance(database)
    pending = instance is not None and instance.applied_max_connections != _max_connections(database)
    for group in groups:
        group.ParameterApplyStatus = "pending-reboot" if pending else "in-sync"
    return groups


def _address(database: Any) -> str:
    from moto.rds.models import DBInstance

    if served(database):
        return LOOPBACK
    return original(DBInstance, "address").fget(database)
