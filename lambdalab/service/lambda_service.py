"""Lambda's data plane for the sandbox: which environment serves a request, under which limit.

moto keeps every function's configuration (versions, aliases, code, layers, reserved concurrency, event
invoke configs) so that boto3 and the AWS CLI work unchanged; this service is what moto lacks — it runs
each invocation on a real execution environment, admits or throttles it by Lambda's concurrency rules,
keeps provisioned environments initialised ahead of traffic, and publishes the result as CloudWatch logs
and metrics. Every invocation path — ``lambdalab``'s notebook API, ``boto3``'s ``invoke``, the AWS CLI,
moto's own S3 and SQS integrations, lambdalab's triggers — ends in :meth:`LambdaService.invoke`.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import json
import random
import threading
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from lambdalab.aws_facts import function_arn
from lambdalab.runtime.api_server import StreamListener
from lambdalab.runtime.config import FunctionConfig
from lambdalab.runtime.environment import ExecutionEnvironment, RuntimeClient
from lambdalab.runtime.results import Invocation
from lambdalab.service import packages, retention
from lambdalab.service.concurrency import AccountSettings, ConcurrencyGovernor, TooManyRequests
from lambdalab.service.in_process_cloudwatch import InProcessCloudWatch, InProcessLogs
from lambdalab.service.logs import CloudWatchLogsShipper
from lambdalab.service.metrics import MetricsShipper
from lambdalab.service.pool import DEFAULT_KEEP_ALIVE_S, EnvironmentPool, PoolClosed

if TYPE_CHECKING:
    from lambdalab.service.async_invoke import AsyncInvoker

LATEST = "$LATEST"
#: How many times an invoke looks a retired pool up again before it gives up (a function reconfigured in a
#: tight loop by another thread); each look-up normally finds the current pool the first time.
_RETIRED_POOL_RETRIES = 3


#: The function whose concurrency slot the current request already took when it arrived (set by the HTTP
#: gateway for synchronous Invoke calls, consumed by :meth:`LambdaService.invoke`).
_arrival = threading.local()


@contextlib.contextmanager
def admitted_on_arrival(service: LambdaService, function_name: str) -> Iterator[None]:
    """Take the function's concurrency slot now, as the request arrives, or raise TooManyRequests.

    On AWS 300 simultaneous requests reach the admission check together; in the sandbox each one is parsed
    by moto first, which spreads a burst over seconds, so the concurrency decision must be made before
    that. The slot is handed to the invocation this thread runs next, or given back if none runs.
    """
    if service.governor.provisioned(function_name):
        yield  # provisioned environments take requests outside the on-demand count: the pool decides
        return
    service.admit_burst(function_name)
    _arrival.function = function_name
    try:
        yield
    finally:
        if getattr(_arrival, "function", None) is not None:  # never reached an invocation
            _arrival.function = None
            service.governor.release(function_name)


class ResourceNotFound(LookupError):
    """AWS's ``ResourceNotFoundException`` for a function, version or alias."""


@dataclass
class ProvisionedConcurrencyConfig:
    """One ``PutProvisionedConcurrencyConfig``: requested, allocated so far, and its status."""

    function_name: str
    qualifier: str
    version: str
    requested: int
    allocated: int = 0
    status: str = "IN_PROGRESS"
    status_reason: str | None = None
    last_modified: str = field(default_factory=lambda: dt.datetime.now(dt.UTC).strftime(
        "%Y-%m-%dT%H:%M:%S.%f")[:-3] + "+0000")

    def document(self) -> dict[str, object]:
        doc: dict[str, object] = {
            "RequestedProvisionedConcurrentExecutions": self.requested,
            "AvailableProvisionedConcurrentExecutions": self.allocated if self.status == "READY" else 0,
            "AllocatedProvisionedConcurrentExecutions": self.allocated,
            "Status": self.status, "LastModified": self.last_modified,
        }
        if self.status_reason:
            doc["StatusReason"] = self.status_reason
        return doc


@dataclass
class _VersionPool:
    fingerprint: str
    config: FunctionConfig
    pool: EnvironmentPool
    quick_key: tuple[object, ...] = ()


class LambdaService:
    """Runs invocations of the functions moto holds, as Lambda would."""

    def __init__(self, *, environment: Callable[[], dict[str, str]], client_factory: Callable[[str], object],
                 account_id: str, region: str) -> None:
        self._environment = environment
        self.account_id, self.region = account_id, region
        self.governor = ConcurrencyGovernor()
        self.runtime_client: RuntimeClient | None = None
        self.runtime_clients: dict[str, RuntimeClient | str] = {}  # per function, set by the notebook API
        self.default_keep_alive = DEFAULT_KEEP_ALIVE_S
        self.keep_alive: dict[str, float] = {}  # per function name, set by the notebook API
        self.dead_letter_targets: dict[str, str] = {}  # moto does not store DeadLetterConfig
        self._async_invocations: AsyncInvoker | None = None
        self._pools: dict[tuple[str, str], _VersionPool] = {}
        self._provisioned: dict[tuple[str, str], ProvisionedConcurrencyConfig] = {}
        self._lock = threading.RLock()
        # Lambda's logs and metrics go straight to moto's backends in this process (see in_process_cloudwatch)
        self.logs = CloudWatchLogsShipper(
            lambda: InProcessLogs(account_id, region),
            trim=lambda group, stream: retention.trim_log_stream(account_id, region, group, stream))
        self.metrics = MetricsShipper(lambda: InProcessCloudWatch(account_id, region),
                                      trim=lambda: retention.trim_metrics(account_id, region))
        self._client_factory = client_factory

    @property
    def async_invocations(self) -> AsyncInvoker:
        """Lambda's queue for asynchronous invocations (``InvocationType=Event``), started on first use."""
        with self._lock:
            if self._async_invocations is None:
                from lambdalab.service.async_invoke import AsyncInvoker  # it invokes through this service

                self._async_invocations = AsyncInvoker(self)
            return self._async_invocations

    # --- moto's view of the functions ----------------------------------------------------------
    @property
    def backend(self) -> object:
        from moto.awslambda.models import lambda_backends

        return lambda_backends[self.account_id][self.region]

    def resolve(self, function_name: str, qualifier: str | None = None) -> object:
        """moto's function object for a name or ARN and a version or alias, or ResourceNotFound."""
        try:
            fn = self.backend.get_function(function_name, qualifier)
        except Exception as exc:  # moto raises several types for unknown functions, aliases, versions
            raise ResourceNotFound(self._not_found(function_name, qualifier)) from exc
        if fn is None:
            raise ResourceNotFound(self._not_found(function_name, qualifier))
        return fn

    def _not_found(self, function_name: str, qualifier: str | None) -> str:
        arn = function_name if function_name.startswith("arn:") else function_arn(
            function_name, region=self.region, account=self.account_id)
        return f"Function not found: {arn}{':' + qualifier if qualifier else ''}"

    def _config(self, fn: object) -> tuple[str, FunctionConfig]:
        """The runtime's view of moto's function, and a fingerprint that changes when AWS would start
        fresh environments (new code, configuration or layers)."""
        layer_zips: list[bytes] = []
        for layer in fn.layers or []:
            version = self.backend.layers_versions_by_arn(layer["Arn"])
            if version is None:
                raise ResourceNotFound(f"Layer version {layer['Arn']} does not exist.")
            layer_zips.append(version.code_bytes)
        code_dir = packages.unpack(fn.code_bytes)
        layer_dirs = tuple(packages.unpack(z) for z in layer_zips)
        config = FunctionConfig(
            function_name=fn.function_name, code_dir=code_dir, handler=fn.handler or "app.handler",
            memory_size=int(fn.memory_size), timeout=float(fn.timeout),
            environment=dict(fn.environment_vars or {}), version=str(fn.version), layer_dirs=layer_dirs,
            region=self.region, account_id=self.account_id,
        )
        parts = [fn.code_sha_256, config.handler, str(config.memory_size), str(config.timeout),
                 json.dumps(dict(config.environment), sort_keys=True), *[str(p) for p in layer_dirs]]
        return hashlib.sha256("\x00".join(parts).encode()).hexdigest(), config

    def _version_pool(self, fn: object) -> _VersionPool:
        key = (fn.function_name, str(fn.version))
        quick = self._quick_key(fn)
        with self._lock:
            current = self._pools.get(key)
            if current is not None and current.quick_key == quick and not current.pool.closed:
                return current
        fingerprint, config = self._config(fn)
        with self._lock:
            current = self._pools.get(key)
            if current is not None and current.fingerprint == fingerprint and not current.pool.closed:
                current.quick_key = quick
                return current
            keep_alive = self.keep_alive.get(fn.function_name, self.default_keep_alive)
            pool = EnvironmentPool(lambda c=config: self._new_environment(c), keep_alive=keep_alive)
            fresh = _VersionPool(fingerprint, config, pool, quick_key=quick)
            self._pools[key] = fresh
        if current is not None:  # the old configuration's environments retire, as on AWS
            current.pool.close()
        return fresh

    @staticmethod
    def _quick_key(fn: object) -> tuple[object, ...]:
        """Everything that, changed, means new environments — cheap to compute on every invoke."""
        return (id(fn), fn.code_sha_256, fn.handler, fn.memory_size, fn.timeout,
                json.dumps(fn.environment_vars or {}, sort_keys=True),
                tuple(layer.get("Arn") for layer in fn.layers or []))

    def _new_environment(self, config: FunctionConfig, initialization_type: str = "on-demand"
                         ) -> ExecutionEnvironment:
        return ExecutionEnvironment(config, runtime_client=self.runtime_clients.get(config.function_name,
                                                                                   self.runtime_client),
                                    extra_environment=self._environment(),
                                    initialization_type=initialization_type)

    # --- invoking --------------------------------------------------------------------------------
    def invoke(self, function_name: str, payload: bytes, *, qualifier: str | None = None,
               client_context: str | None = None, on_stream: StreamListener | None = None) -> Invocation:
        """One synchronous invocation; raises :class:`TooManyRequests` when Lambda would throttle it.

        ``on_stream(content_type, chunk)`` receives a streaming runtime's response as it is produced (a
        RESPONSE_STREAM function URL passes it on to its client).
        """
        fn = self._route(self.resolve(function_name, qualifier), qualifier)
        name = fn.function_name
        # The ARN the caller named, qualifier and all: a weighted alias runs another version, but the handler
        # still sees the alias's ARN (AWS's context.invoked_function_arn).
        invoked = function_arn(name, qualifier, region=self.region, account=self.account_id)
        resource = f"{name}:{qualifier}" if qualifier and qualifier != LATEST else None
        versioned = self._version_pool(fn)
        admitted = False

        pre_admitted = getattr(_arrival, "function", None) == name
        if pre_admitted:  # the slot was taken when the request arrived; this invocation now owns it
            _arrival.function = None
            admitted = True

        def admit(new_environment: bool) -> None:
            nonlocal admitted
            try:
                if pre_admitted:  # the slot is ours; a new environment still spends the scaling allowance
                    if new_environment:
                        self.governor.take_scaling(name)
                    return
                self.governor.admit(name, new_environment=new_environment)
            except TooManyRequests:
                self.metrics.put("Throttles", 1, "Count", name, resource)
                raise
            admitted = True

        try:
            versioned, (env, provisioned) = self._acquire(versioned, admit, function_name, qualifier)
        except BaseException:
            if admitted:
                self.governor.release(name)
            raise
        try:
            self._publish_concurrency(name, resource, versioned, provisioned)
            invocation = env.invoke(payload, request_id=str(uuid.uuid4()), client_context=client_context,
                                    on_stream=on_stream, invoked_function_arn=invoked)
        finally:
            versioned.pool.release(env)
            if admitted:
                self.governor.release(name)
        self._publish(name, resource, invocation)
        return invocation

    def _acquire(self, versioned: _VersionPool, admit: Callable[[bool], None], function_name: str,
                 qualifier: str | None) -> tuple[_VersionPool, tuple[ExecutionEnvironment, bool]]:
        """An environment from the version's pool. A pool retired between routing and acquiring (the function
        deleted or reconfigured meanwhile) is looked up again: the request runs on the configuration current
        now, or gets ResourceNotFound, as on AWS, if the function is gone."""
        for _ in range(_RETIRED_POOL_RETRIES):
            try:
                return versioned, versioned.pool.acquire(admit)
            except PoolClosed:
                versioned = self._version_pool(self._route(self.resolve(function_name, qualifier), qualifier))
        raise ResourceNotFound(self._not_found(function_name, qualifier))

    def _route(self, fn: object, qualifier: str | None) -> object:
        """A weighted alias (``RoutingConfig.AdditionalVersionWeights``) sends each invocation to one of its
        versions at random, in proportion to the weights; the rest go to the alias's main version."""
        if not qualifier or qualifier == LATEST or qualifier.isdigit():
            return fn
        try:
            alias = self.backend.get_alias(qualifier, fn.function_name)
        except Exception:  # noqa: BLE001 - not an alias: nothing to route
            return fn
        weights = ((getattr(alias, "routing_config", None) or {}).get("AdditionalVersionWeights") or {})
        draw = random.random()
        for version, weight in weights.items():
            if draw < float(weight):
                return self.resolve(fn.function_name, str(version))
            draw -= float(weight)
        return fn

    def _publish_concurrency(self, name: str, resource: str | None, versioned: _VersionPool,
                             provisioned: bool) -> None:
        busy = self.governor.in_flight(name) + versioned.pool.busy_provisioned
        self.metrics.put("ConcurrentExecutions", busy, "Count", name)
        allocated = versioned.pool.provisioned_count
        if allocated:
            self.metrics.put("ProvisionedConcurrencyUtilization", versioned.pool.busy_provisioned / allocated,
                             "None", name, resource)
            self.metrics.put("ProvisionedConcurrentExecutions", versioned.pool.busy_provisioned, "Count",
                             name, resource)
            if not provisioned:
                self.metrics.put("ProvisionedConcurrencySpilloverInvocations", 1, "Count", name, resource)

    def _publish(self, name: str, resource: str | None, invocation: Invocation) -> None:
        self.logs.ship(f"/aws/lambda/{name}", invocation)
        self.metrics.put("Invocations", 1, "Count", name, resource)
        self.metrics.put("Duration", invocation.report.duration_ms, "Milliseconds", name, resource)
        if not invocation.ok:
            self.metrics.put("Errors", 1, "Count", name, resource)

    def admit_burst(self, function_name: str) -> None:
        """The arrival-time admission of :func:`admitted_on_arrival` (counts a Throttles data point)."""
        try:
            self.governor.admit(function_name, new_environment=False)
        except TooManyRequests:
            self.metrics.put("Throttles", 1, "Count", function_name)
            raise

    # --- concurrency configuration ---------------------------------------------------------------
    def configure(self, settings: AccountSettings) -> None:
        self.governor.configure(settings)

    def put_provisioned_concurrency(self, function_name: str, qualifier: str, requested: int
                                    ) -> ProvisionedConcurrencyConfig:
        """Allocate ``requested`` environments for a version or alias and initialise them in the
        background: the config is IN_PROGRESS until every environment has finished its init, then READY."""
        if qualifier in (None, "", LATEST):
            from lambdalab.runtime.config import InvalidParameterValueException

            raise InvalidParameterValueException(
                "Provisioned Concurrency Configs cannot be applied to unpublished function versions.")
        fn = self.resolve(function_name, qualifier)
        name = fn.function_name
        self.governor.provision(name, requested)
        versioned = self._version_pool(fn)
        config = ProvisionedConcurrencyConfig(name, qualifier, str(fn.version), requested)
        with self._lock:
            previous = self._provisioned.get((name, qualifier))
            self._provisioned[(name, qualifier)] = config
        if previous is not None:
            versioned.pool.remove_provisioned()
        threading.Thread(target=self._allocate, args=(config, versioned), daemon=True,
                         name=f"lambdalab-provision-{name}").start()
        return config

    def _allocate(self, config: ProvisionedConcurrencyConfig, versioned: _VersionPool) -> None:
        envs = [self._new_environment(versioned.config, "provisioned-concurrency") for _ in range(config.requested)]
        threads = [threading.Thread(target=env.start, daemon=True) for env in envs]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        failed = [env for env in envs if env.state.value == "dead"]
        for env in envs:
            if env not in failed:
                versioned.pool.add_provisioned(env)
        config.allocated = len(envs) - len(failed)
        if failed:
            config.status, config.status_reason = "FAILED", "FUNCTION_ERROR_INIT_FAILURE"
        else:
            config.status = "READY"

    def get_provisioned_concurrency(self, function_name: str, qualifier: str) -> ProvisionedConcurrencyConfig:
        fn = self.resolve(function_name)
        with self._lock:
            config = self._provisioned.get((fn.function_name, qualifier))
        if config is None:
            raise ResourceNotFound("No Provisioned Concurrency Config found for this function")
        return config

    def list_provisioned_concurrency(self, function_name: str) -> list[ProvisionedConcurrencyConfig]:
        fn = self.resolve(function_name)
        with self._lock:
            return [c for (name, _), c in self._provisioned.items() if name == fn.function_name]

    def delete_provisioned_concurrency(self, function_name: str, qualifier: str) -> None:
        config = self.get_provisioned_concurrency(function_name, qualifier)
        with self._lock:
            self._provisioned.pop((config.function_name, qualifier), None)
            versioned = self._pools.get((config.function_name, config.version))
        self.governor.provision(config.function_name, 0)
        if versioned is not None:
            versioned.pool.remove_provisioned()

    # --- lifecycle -------------------------------------------------------------------------------
    def shutdown_function(self, function_name: str) -> None:
        """End every environment of a function (all versions); its next invoke is cold."""
        with self._lock:
            keys = [k for k in self._pools if k[0] == function_name]
            pools = [self._pools.pop(k) for k in keys]
            for key in [k for k in self._provisioned if k[0] == function_name]:
                self._provisioned.pop(key)
        for versioned in pools:
            versioned.pool.close()

    def forget_function(self, function_name: str) -> None:
        """A deleted function: its environments end and its concurrency returns to the account."""
        name = function_name.rsplit(":", 1)[-1] if function_name.startswith("arn:") else function_name
        self.shutdown_function(name)
        self.governor.forget(name)
        with self._lock:
            self.keep_alive.pop(name, None)
            self.runtime_clients.pop(name, None)
            self.dead_letter_targets.pop(name, None)

    def environments(self, function_name: str) -> list[object]:
        with self._lock:
            pools = [v for k, v in self._pools.items() if k[0] == function_name]
        return [snap for v in pools for snap in v.pool.snapshot()]

    def reset(self, *, force: bool = False) -> None:
        """Forget every environment and setting (``force``: kill busy environments too)."""
        with self._lock:
            pools = list(self._pools.values())
            self._pools.clear()
            self._provisioned.clear()
            self.keep_alive.clear()
            self.runtime_clients.clear()
            if self._async_invocations is not None:
                self._async_invocations.set_retry_delays()
            self.dead_letter_targets.clear()
        for versioned in pools:
            versioned.pool.close(force=force)
        self.governor.clear()
        self.logs.forget()

    def flush(self, timeout: float = 10.0) -> bool:
        return self.logs.flush(timeout) and self.metrics.flush(timeout)

