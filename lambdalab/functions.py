"""The notebook's way to deploy and invoke a function: ``lambdalab.deploy(...)`` and ``fn.invoke(...)``.

A deployed function is a real Lambda function of the sandbox: created through the Lambda API (so
``boto3.client("lambda")`` and ``aws lambda`` see it too), its code zipped as for AWS — editing the source
afterwards changes nothing until you deploy again — and every invocation, from here or from boto3, runs on
the same execution environments under the same concurrency limits. ``fn.invoke`` skips only the HTTP
round trip.
"""

from __future__ import annotations

import concurrent.futures
import json
import threading
from collections import deque
from collections.abc import Iterable, Mapping
from pathlib import Path

from lambdalab.aws_facts import DEFAULT_ACCOUNT_ID, function_arn
from lambdalab.aws_sandbox import Sandbox, sandbox
from lambdalab.runtime.config import FunctionConfig, InvalidParameterValueException, runtime_identifier
from lambdalab.runtime.environment import RuntimeClient
from lambdalab.runtime.results import Invocation, encode_event
from lambdalab.service import packages
from lambdalab.service.pool import DEFAULT_KEEP_ALIVE_S, EnvironmentSnapshot

EXECUTION_ROLE = f"arn:aws:iam::{DEFAULT_ACCOUNT_ID}:role/lambdalab-execution-role"
_KEPT_LOG_LINES = 5_000


class Function:
    """A deployed function: invoke it, read its logs and environments, change it, delete it."""

    def __init__(self, name: str, box: Sandbox) -> None:
        self.name = name
        self._box = box
        self._log_lines: deque[str] = deque(maxlen=_KEPT_LOG_LINES)

    @property
    def _service(self):  # noqa: ANN202 - the sandbox's LambdaService
        return self._box.lambda_service

    @property
    def config(self) -> FunctionConfig:
        """The configuration of ``$LATEST`` as the execution environments see it."""
        return self._service._config(self._service.resolve(self.name))[1]

    @property
    def keep_alive(self) -> float:
        return self._service.keep_alive.get(self.name, self._service.default_keep_alive)

    @property
    def arn(self) -> str:
        return function_arn(self.name, region=self._box.region, account=self._box.info.account_id)

    def invoke(self, event: object = None, *, qualifier: str | None = None,
               client_context: str | None = None) -> Invocation:
        """Invoke synchronously (``RequestResponse``): on a warm environment if one is idle, else cold.

        ``event`` is any JSON-serialisable value (or a JSON string / bytes); without one the handler gets
        ``{}``, as from an Invoke request with no payload. The result carries the
        payload or AWS's error document, the invocation's log lines and its REPORT figures. Raises
        ``lambdalab.TooManyRequests`` (with ``.reason``) when Lambda would throttle the call.
        """
        invocation = self._service.invoke(self.name, encode_event({} if event is None else event), qualifier=qualifier,
                                          client_context=client_context)
        self._log_lines.extend(invocation.logs.splitlines())
        return invocation

    def invoke_many(self, events: Iterable[object], *, concurrency: int = 4) -> list[Invocation]:
        """Invoke once per event, ``concurrency`` at a time, results in the events' order."""
        events = list(events)
        with concurrent.futures.ThreadPoolExecutor(max_workers=max(1, concurrency)) as pool:
            return list(pool.map(self.invoke, events))

    @property
    def environments(self) -> list[EnvironmentSnapshot]:
        """The live execution environments, as data (id, state, invocations served, idle time)."""
        return self._service.environments(self.name)

    def logs(self, last: int | None = None) -> str:
        """The log lines of this function's invocations made through this object, newest last."""
        lines = list(self._log_lines)
        return "\n".join(lines[-last:] if last else lines)

    def update(self, *, memory: int | None = None, timeout: float | None = None,
               environment: Mapping[str, str] | None = None, handler: str | None = None,
               keep_alive: float | None = None) -> Function:
        """Change the configuration (``UpdateFunctionConfiguration``). As on AWS, environments running the
        old configuration are retired, so the next invoke is a cold start."""
        changes: dict[str, object] = {}
        if memory is not None:
            changes["MemorySize"] = memory
        if timeout is not None:
            changes["Timeout"] = timeout
        if environment is not None:
            changes["Environment"] = {"Variables": dict(environment)}
        if handler is not None:
            changes["Handler"] = handler
        current = self.config
        _validate(self.name, changes.get("Handler", current.handler), changes.get("MemorySize", current.memory_size),
                  changes.get("Timeout", current.timeout), (changes.get("Environment") or {}).get(
                      "Variables", dict(current.environment)))
        if changes:
            self._box.client("lambda").update_function_configuration(FunctionName=self.name, **changes)
        if keep_alive is not None:
            self._service.keep_alive[self.name] = float(keep_alive)
            self._service.shutdown_function(self.name)
        return self

    def shutdown(self) -> None:
        """End every environment of this function (its next invoke is cold)."""
        self._service.shutdown_function(self.name)

    def delete(self) -> None:
        """End every environment and delete the function."""
        self._service.shutdown_function(self.name)
        try:
            self._box.client("lambda").delete_function(FunctionName=self.name)
        except Exception:  # noqa: BLE001 - already gone (a sandbox reset) is fine
            pass

    def __repr__(self) -> str:
        try:
            c = self.config
        except LookupError:
            return f"<Function {self.name} (deleted)>"
        return (f"<Function {c.function_name} handler={c.handler} memory={c.memory_size} MB "
                f"timeout={c.timeout:g} s environments={len(self.environments)}>")


def _validate(name: str, handler: str, memory: int, timeout: float, environment: Mapping[str, str]) -> None:
    """Check a configuration with AWS's words before anything is created (FunctionConfig knows them)."""
    FunctionConfig(function_name=name, code_dir=Path("."), handler=handler, memory_size=memory, timeout=timeout,
                   environment=dict(environment))


def _package(code: str | None, files: Mapping[str, str | bytes] | None, path: str | Path | None,
             handler: str) -> bytes:
    """The deployment package (a zip) from exactly one source of code."""
    import textwrap

    if sum(x is not None for x in (code, files, path)) != 1:
        raise InvalidParameterValueException(
            "deploy() needs exactly one source of code: code='...' (a handler module's source), "
            "files={'app.py': '...'} or path='folder/'."
        )
    if path is not None:
        source = Path(path)
        if not source.is_dir():
            raise InvalidParameterValueException(
                f"Code folder {str(source)!r} does not exist (looked for it from the current directory "
                f"{Path.cwd().name!r}). Pass the folder that holds your handler module.")
        return packages.zip_folder(source)
    if code is not None:
        module = handler.rsplit(".", 1)[0] if "." in handler else "app"
        files = {module.replace(".", "/") + ".py": textwrap.dedent(code)}
    return packages.zip_files(dict(files or {}))


_lock = threading.Lock()


def deploy(name: str, code: str | None = None, *, path: str | Path | None = None,
           files: Mapping[str, str | bytes] | None = None, handler: str = "app.handler", memory: int = 128,
           timeout: float = 3, environment: Mapping[str, str] | None = None,
           keep_alive: float = DEFAULT_KEEP_ALIVE_S, layers: Iterable[str] = (),
           runtime_client: RuntimeClient | str | None = None) -> Function:
    """Deploy a function to the local Lambda and return it, replacing any function of the same name.

    Give the code one way: ``code`` (the source of the handler's module), ``files`` (name → source) or
    ``path`` (a folder, like the one you would zip for AWS). ``memory`` is in MB (128–10,240), ``timeout``
    in seconds (up to 900), ``keep_alive`` how long an idle environment stays warm, in seconds; ``layers``
    are layer version ARNs.
    """
    box = sandbox()
    environment = dict(environment or {})
    _validate(name, handler, memory, timeout, environment)
    zip_bytes = _package(code, files, path, handler)
    client = box.client("lambda")
    service = box.lambda_service
    with _lock:
        service.shutdown_function(name)
        try:
            client.delete_function(FunctionName=name)
        except client.exceptions.ResourceNotFoundException:
            pass
        service.keep_alive[name] = float(keep_alive)
        if runtime_client is not None:
            service.runtime_clients[name] = RuntimeClient(runtime_client)
        else:
            service.runtime_clients.pop(name, None)
        _ensure_execution_role(box)
        client.create_function(FunctionName=name, Runtime=runtime_identifier(), Role=EXECUTION_ROLE,
                               Handler=handler, Code={"ZipFile": zip_bytes}, MemorySize=memory,
                               Timeout=int(timeout), Environment={"Variables": environment},
                               Layers=list(layers))
    return Function(name, box)


_TRUST_POLICY = json.dumps({"Version": "2012-10-17", "Statement": [{
    "Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole"}]})


def _ensure_execution_role(box: Sandbox) -> None:
    """Every Lambda function needs an execution role; the notebook API makes one the first time."""
    iam = box.client("iam")
    try:
        iam.get_role(RoleName=EXECUTION_ROLE.rsplit("/", 1)[1])
    except iam.exceptions.NoSuchEntityException:
        iam.create_role(RoleName=EXECUTION_ROLE.rsplit("/", 1)[1], AssumeRolePolicyDocument=_TRUST_POLICY,
                        Description="Execution role for functions deployed with lambdalab.deploy")


def get_function(name: str) -> Function:
    """The deployed function of that name, or AWS's ResourceNotFoundException wording."""
    box = sandbox()
    box.lambda_service.resolve(name)
    return Function(name, box)


def list_functions() -> list[Function]:
    box = sandbox()
    return [Function(fn.function_name, box) for fn in box.lambda_service.backend.list_functions()]


def flush_logs(timeout: float = 10.0) -> bool:
    """Wait until every log line and metric so far (Lambda's, and the triggers' own such as API Gateway's)
    has reached the sandbox's CloudWatch."""
    box = sandbox()
    flushed = box.lambda_service.flush(timeout)
    for trigger in box.triggers:
        flush = getattr(trigger, "flush", None)
        if flush is not None:
            flushed = flush(timeout) and flushed
    return flushed
