"""The notebook's way to deploy and invoke a function: ``lambdalab.deploy(...)`` and ``fn.invoke(...)``.

Deploying copies the code into a private folder, as uploading a zip does on AWS: editing the source
afterwards changes nothing until you deploy again. Every function runs against the local sandbox (which
``deploy`` starts if needed), so a handler's own ``boto3`` calls can never reach real AWS.
"""

from __future__ import annotations

import atexit
import concurrent.futures
import shutil
import tempfile
import textwrap
import threading
import uuid
from collections import deque
from collections.abc import Iterable, Mapping
from dataclasses import replace
from pathlib import Path

from lambdalab.runtime.config import FunctionConfig, InvalidParameterValueException
from lambdalab.runtime.environment import ExecutionEnvironment, RuntimeClient
from lambdalab.runtime.results import Invocation
from lambdalab.sandbox import Sandbox, sandbox
from lambdalab.service.logs import CloudWatchLogsShipper
from lambdalab.service.pool import DEFAULT_KEEP_ALIVE_S, EnvironmentPool, EnvironmentSnapshot

_KEPT_LOG_LINES = 5_000


class Function:
    """A deployed function: its configuration, its execution environments, and its recent logs."""

    def __init__(self, config: FunctionConfig, *, keep_alive: float, runtime_client: RuntimeClient | str | None,
                 box: Sandbox, package_dir: Path) -> None:
        self.config = config
        self.runtime_client = RuntimeClient(runtime_client) if runtime_client else RuntimeClient.default()
        self._box = box
        self._package_dir = package_dir
        self._log_lines: deque[str] = deque(maxlen=_KEPT_LOG_LINES)
        self._lock = threading.Lock()
        self.pool = EnvironmentPool(self._new_environment, keep_alive=keep_alive)

    @property
    def name(self) -> str:
        return self.config.function_name

    @property
    def keep_alive(self) -> float:
        return self.pool.keep_alive

    def _new_environment(self, initialization_type: str = "on-demand") -> ExecutionEnvironment:
        return ExecutionEnvironment(self.config, runtime_client=self.runtime_client,
                                    extra_environment=self._box.environment,
                                    initialization_type=initialization_type)

    def invoke(self, event: object = None, *, client_context: str | None = None) -> Invocation:
        """Invoke synchronously (``RequestResponse``): run on a warm environment if one is idle, else cold.

        ``event`` is any JSON-serialisable value (or a JSON string / bytes). The result carries the
        payload or AWS's error document, the invocation's log lines and its REPORT figures.
        """
        env = self.pool.acquire()
        try:
            invocation = env.invoke(event, request_id=str(uuid.uuid4()), client_context=client_context)
        finally:
            self.pool.release(env)
        self._log_lines.extend(invocation.logs.splitlines())
        _shipper(self._box).ship(self.config.log_group_name, invocation)
        return invocation

    def invoke_many(self, events: Iterable[object], *, concurrency: int = 4) -> list[Invocation]:
        """Invoke once per event, ``concurrency`` at a time, results in the events' order."""
        events = list(events)
        with concurrent.futures.ThreadPoolExecutor(max_workers=max(1, concurrency)) as pool:
            return list(pool.map(self.invoke, events))

    @property
    def environments(self) -> list[EnvironmentSnapshot]:
        """The live execution environments, as data (id, state, invocations served, idle time)."""
        return self.pool.snapshot()

    def logs(self, last: int | None = None) -> str:
        """This function's recent log lines (START / output / END / REPORT), newest last."""
        lines = list(self._log_lines)
        return "\n".join(lines[-last:] if last else lines)

    def update(self, *, memory: int | None = None, timeout: float | None = None,
               environment: Mapping[str, str] | None = None, handler: str | None = None,
               keep_alive: float | None = None) -> Function:
        """Change the configuration. As on AWS, the environments running the old one are retired, so
        the next invoke is a cold start."""
        changes: dict[str, object] = {}
        if memory is not None:
            changes["memory_size"] = memory
        if timeout is not None:
            changes["timeout"] = timeout
        if environment is not None:
            changes["environment"] = dict(environment)
        if handler is not None:
            changes["handler"] = handler
        new_config = replace(self.config, **changes)
        old_pool = self.pool
        self.config = new_config
        self.pool = EnvironmentPool(self._new_environment,
                                    keep_alive=keep_alive if keep_alive is not None else old_pool.keep_alive)
        old_pool.close()
        return self

    def shutdown(self) -> None:
        """End every environment of this function (its next invoke is cold)."""
        old_pool = self.pool
        self.pool = EnvironmentPool(self._new_environment, keep_alive=old_pool.keep_alive)
        old_pool.close()

    def delete(self) -> None:
        """End every environment and forget the function."""
        self.pool.close()
        with _registry_lock:
            if _registry.get(self.name) is self:
                del _registry[self.name]
        shutil.rmtree(self._package_dir, ignore_errors=True)

    def __repr__(self) -> str:
        c = self.config
        return (f"<Function {c.function_name} handler={c.handler} memory={c.memory_size} MB "
                f"timeout={c.timeout:g} s environments={self.pool.size}>")


_registry: dict[str, Function] = {}
_registry_lock = threading.Lock()
_shippers: dict[int, CloudWatchLogsShipper] = {}


def _shipper(box: Sandbox) -> CloudWatchLogsShipper:
    key = id(box)
    if key not in _shippers:
        _shippers[key] = CloudWatchLogsShipper(lambda: box.client("logs"))
        box.on_reset(_shippers[key].forget)
    return _shippers[key]


def flush_logs(timeout: float = 10.0) -> bool:
    """Wait until every log line so far has reached the sandbox's CloudWatch Logs."""
    return all(s.flush(timeout) for s in list(_shippers.values()))


def _delete_all() -> None:
    with _registry_lock:
        functions = list(_registry.values())
    for fn in functions:
        fn.delete()


atexit.register(_delete_all)  # no execution environment outlives the kernel that started it


def _package(name: str, code: str | None, files: Mapping[str, str | bytes] | None, path: str | Path | None,
             handler: str) -> Path:
    """Copy the function's code into a fresh folder (the unpacked 'deployment package')."""
    given = [x is not None for x in (code, files, path)]
    if sum(given) != 1:
        raise InvalidParameterValueException(
            "deploy() needs exactly one source of code: code='...' (a handler module's source), "
            "files={'app.py': '...'} or path='folder/'."
        )
    target = Path(tempfile.mkdtemp(prefix=f"lambdalab-{name}-"))
    if path is not None:
        source = Path(path)
        if not source.is_dir():
            shutil.rmtree(target, ignore_errors=True)
            raise InvalidParameterValueException(
                f"Code folder {str(source)!r} does not exist (looked for it from the current directory "
                f"{Path.cwd().name!r}). Pass the folder that holds your handler module.")
        shutil.copytree(source, target, dirs_exist_ok=True,
                        ignore=shutil.ignore_patterns("__pycache__", ".ipynb_checkpoints"))
    else:
        if code is not None:
            module = handler.rsplit(".", 1)[0] if "." in handler else "app"
            files = {module.replace(".", "/") + ".py": textwrap.dedent(code)}
        for relative, content in (files or {}).items():
            destination = target / relative
            destination.parent.mkdir(parents=True, exist_ok=True)
            if isinstance(content, bytes):
                destination.write_bytes(content)
            else:
                destination.write_text(content)
    return target


def deploy(name: str, code: str | None = None, *, path: str | Path | None = None,
           files: Mapping[str, str | bytes] | None = None, handler: str = "app.handler", memory: int = 128,
           timeout: float = 3, environment: Mapping[str, str] | None = None,
           keep_alive: float = DEFAULT_KEEP_ALIVE_S, runtime_client: RuntimeClient | str | None = None) -> Function:
    """Deploy a function to the local Lambda and return it, replacing any function of the same name.

    Give the code one way: ``code`` (the source of the handler's module), ``files`` (name → source) or
    ``path`` (a folder, like the one you would zip for AWS). ``memory`` is in MB (128–10,240), ``timeout``
    in seconds (up to 900), ``keep_alive`` how long an idle environment stays warm, in seconds.
    """
    box = sandbox()
    package_dir = _package(name, code, files, path, handler)
    try:
        config = FunctionConfig(function_name=name, code_dir=package_dir, handler=handler, memory_size=memory,
                                timeout=timeout, environment=dict(environment or {}), region=box.region)
    except Exception:
        shutil.rmtree(package_dir, ignore_errors=True)
        raise
    fn = Function(config, keep_alive=keep_alive, runtime_client=runtime_client, box=box, package_dir=package_dir)
    with _registry_lock:
        previous = _registry.get(name)
        _registry[name] = fn
        if not getattr(box, "_lambdalab_functions_hooked", False):
            box.on_reset(_delete_all)
            box._lambdalab_functions_hooked = True  # type: ignore[attr-defined]
    if previous is not None:
        previous.delete()
    return fn


def get_function(name: str) -> Function:
    """The deployed function of that name, or AWS's ResourceNotFoundException wording."""
    with _registry_lock:
        if name in _registry:
            return _registry[name]
    raise LookupError(f"Function not found: arn:aws:lambda:{sandbox().region}:123456789012:function:{name} "
                      "(ResourceNotFoundException). Deploy it first with lambdalab.deploy(...).")


def list_functions() -> list[Function]:
    with _registry_lock:
        return list(_registry.values())
