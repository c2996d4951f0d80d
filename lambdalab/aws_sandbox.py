"""The local AWS sandbox: moto's server on 127.0.0.1, and a process that can only talk to it.

One call (:func:`sandbox`) starts it, or returns the one already running. Before it returns, the
process's environment points every AWS SDK at the sandbox — endpoint, fake credentials, region — so a
plain ``boto3.client("s3")`` made afterwards just works, and the same variables are handed to every
execution environment. Real credentials, profiles and per-service endpoints that sit in the environment
are set aside, and a guard in botocore's HTTP layer refuses any request to an address that is not
loopback, so no client this process makes — even one created before the sandbox started — can reach
real AWS.
"""

from __future__ import annotations

import atexit
import logging
import os
import shutil
import sys
import threading
import time
import urllib.parse
import urllib.request
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING, TypeVar

from lambdalab.aws_facts import DEFAULT_ACCOUNT_ID, DEFAULT_REGION
from lambdalab.runtime import temp_dirs
from lambdalab.service.loopback import LOOPBACK_NO_PROXY, NotLoopbackError, ensure_loopback, install_guard

if TYPE_CHECKING:
    from lambdalab.service.async_invoke import AsyncInvoker

__all__ = ["NotLoopbackError", "Sandbox", "SandboxInfo", "current", "ensure_loopback", "running", "sandbox",
           "serve_forever"]

T = TypeVar("T")

FAKE_ACCESS_KEY_ID = "testing"
FAKE_SECRET_ACCESS_KEY = "testing"
FAKE_SESSION_TOKEN = "testing"

#: For the command-line tools a learner points at the sandbox, not for functions: the AWS SAM CLI polls
#: stacks every 0.5 s (its default is 5 s) and sends no telemetry.
TOOL_ENVIRONMENT = {"SAM_CLI_POLL_DELAY": "0.5", "SAM_CLI_TELEMETRY": "0"}

# Variables that would let an SDK find real credentials or a non-local endpoint.
_SET_ASIDE = (
    "AWS_PROFILE", "AWS_DEFAULT_PROFILE", "AWS_SESSION_TOKEN", "AWS_SECURITY_TOKEN",
    "AWS_ROLE_ARN", "AWS_WEB_IDENTITY_TOKEN_FILE", "AWS_ROLE_SESSION_NAME",
    "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI", "AWS_CONTAINER_CREDENTIALS_FULL_URI",
    "AWS_CONTAINER_AUTHORIZATION_TOKEN", "AWS_IGNORE_CONFIGURED_ENDPOINT_URLS", "AWS_CA_BUNDLE",
)


@dataclass(frozen=True)
class SandboxInfo:
    """Where the sandbox listens and what it pretends to be."""

    host: str
    port: int
    region: str = DEFAULT_REGION
    account_id: str = DEFAULT_ACCOUNT_ID

    @property
    def endpoint_url(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.port}"


def _no_proxy(*current: str) -> str:
    """The loopback names first, then whatever was already listed, each once: applying the sandbox's
    environment any number of times gives the same value (it used to grow on every ``sandbox()``)."""
    names = dict.fromkeys(LOOPBACK_NO_PROXY)
    for value in current:
        names.update(dict.fromkeys(part.strip() for part in value.split(",") if part.strip()))
    return ",".join(names)


class Sandbox:
    """A running moto server and the environment that points SDKs at it."""

    def __init__(self, host: str = "127.0.0.1", port: int = 0, region: str = DEFAULT_REGION) -> None:
        ensure_loopback(host)
        from lambdalab.service.botocore_data import share_data_loader

        share_data_loader()  # before moto's import: it builds sessions of its own to list Regions
        from lambdalab.service import moto_hook, public_layers, stopping
        from lambdalab.service.lambda_api import LambdaGateway
        from lambdalab.service.lambda_service import LambdaService

        # werkzeug logs every request at INFO; a notebook should show the learner's output, not that.
        logging.getLogger("werkzeug").setLevel(logging.ERROR)
        # One boto3 session for every client this sandbox makes: a session is not free even with botocore's
        # data shared (botocore_data.py): it registers botocore's 127 built-in event handlers when it is made.
        self._boto_session: object | None = None
        self._boto_session_lock = threading.Lock()
        self._config_dir = temp_dirs.make("lambdalab-aws-")
        atexit.register(shutil.rmtree, self._config_dir, ignore_errors=True)
        self.lambda_service = LambdaService(environment=lambda: self.environment, client_factory=self.client,
                                            account_id=DEFAULT_ACCOUNT_ID, region=region)
        moto_hook.install(self.lambda_service)
        public_layers.install()
        # No execution environment outlives the kernel that started it, whether it exits or is signalled.
        atexit.register(self.lambda_service.reset, force=True)
        stopping.on_stop_signal(lambda: self.lambda_service.reset(force=True))
        self._server = _MotoServer(host, port, lambda moto_app: LambdaGateway(moto_app, self.lambda_service))
        #: The Lambda gateway in front of moto, where triggers register the calls they answer.
        self.gateway: LambdaGateway = self._server.gateway
        bound_host, bound_port = self._server.address
        self.info = SandboxInfo(host=host if bound_host in ("0.0.0.0", "::") else bound_host,
                                port=bound_port, region=region)
        self.started_at = time.time()
        self.apply_environment()
        install_guard()
        from lambdalab.service.sandbox_clock import SandboxClock
        from lambdalab.triggers import start_all

        #: The sandbox's clock: schedules, events' times and alarms run on it (``lambdalab.clock`` moves it).
        self.clock = SandboxClock()
        self.lambda_service.metrics.clock = self.clock  # Lambda's metrics land in the minute alarms judge

        self.triggers = start_all(self)
        from lambdalab.databases import attach

        self.databases = attach(self)  # a real PostgreSQL per RDS DB instance, started on first use
        from lambdalab.observability import AlarmEvaluator

        self.alarms = AlarmEvaluator()  # CloudWatch alarms evaluated every minute of the sandbox clock
        self.alarms.start(self)
        from lambdalab.observability import cloudwatch_logs

        cloudwatch_logs.install()  # Logs Insights queries over the log groups; EMF log lines become metrics

    def trigger(self, kind: type[T]) -> T:
        """The running trigger of this type (e.g. ``box.trigger(SqsTrigger)``), as the sandbox started it."""
        for trigger in self.triggers:
            if isinstance(trigger, kind):
                return trigger
        raise LookupError(f"the sandbox runs no {kind.__name__} (lambdalab.triggers.TRIGGERS lacks it)")

    def configure_lambda(self, *, concurrent_executions: int | None = None, scaling_rate: int | None = None,
                         scaling_period_s: float | None = None) -> None:
        """Change the account's Lambda limits (AWS: a Service Quotas request; here: one call).

        ``concurrent_executions`` is the account concurrency (1,000 on a new AWS account);
        ``scaling_rate`` new environments per function every ``scaling_period_s`` seconds (1,000 per 10 s
        since Nov 2023). Small numbers make throttling visible on a laptop.
        """
        from lambdalab.service.concurrency import AccountSettings

        current = self.lambda_service.governor.settings
        self.lambda_service.configure(AccountSettings(
            concurrent_executions=concurrent_executions or current.concurrent_executions,
            scaling_rate=scaling_rate or current.scaling_rate,
            scaling_period_s=scaling_period_s or current.scaling_period_s))

    @property
    def async_invocations(self) -> AsyncInvoker:
        """Lambda's asynchronous queue: ``drain()`` waits for it, ``set_retry_delays(...)`` paces its retries."""
        return self.lambda_service.async_invocations

    @property
    def endpoint_url(self) -> str:
        return self.info.endpoint_url

    @property
    def region(self) -> str:
        return self.info.region

    @property
    def environment(self) -> dict[str, str]:
        """The variables that point an SDK or the AWS CLI at the sandbox (also given to every function)."""
        no_proxy = _no_proxy(os.environ.get("NO_PROXY", ""), os.environ.get("no_proxy", ""))
        return {
            "AWS_ENDPOINT_URL": self.endpoint_url,
            "AWS_ACCESS_KEY_ID": FAKE_ACCESS_KEY_ID,
            "AWS_SECRET_ACCESS_KEY": FAKE_SECRET_ACCESS_KEY,
            "AWS_SESSION_TOKEN": FAKE_SESSION_TOKEN,
            "AWS_DEFAULT_REGION": self.region,
            "AWS_REGION": self.region,
            "AWS_CONFIG_FILE": str(self._config_dir / "config"),
            "AWS_SHARED_CREDENTIALS_FILE": str(self._config_dir / "credentials"),
            "AWS_EC2_METADATA_DISABLED": "true",
            "NO_PROXY": no_proxy,
            "no_proxy": no_proxy,
        }

    def apply_environment(self) -> None:
        """Point this process's SDKs at the sandbox, setting aside anything that points elsewhere."""
        for key in list(os.environ):
            if key in _SET_ASIDE or (key.startswith("AWS_ENDPOINT_URL_")):
                os.environ.pop(key, None)
        os.environ.update(self.environment)
        os.environ.update(TOOL_ENVIRONMENT)
        # A notebook's "!aws ..." must find the AWS CLI installed beside this interpreter (the course's
        # .venv), even when the kernel was started without that folder on PATH.
        scripts = os.path.dirname(sys.executable)
        if scripts not in os.environ.get("PATH", "").split(os.pathsep):
            os.environ["PATH"] = os.pathsep.join(filter(None, [scripts, os.environ.get("PATH")]))
        # boto3's default session caches credentials and region from before; start it afresh.
        if "boto3" in sys.modules:
            sys.modules["boto3"].DEFAULT_SESSION = None

    def client(self, service: str, **kwargs: object) -> object:
        """A boto3 client for the sandbox, with the endpoint and fake credentials given explicitly."""
        import boto3

        kwargs.setdefault("endpoint_url", self.endpoint_url)
        kwargs.setdefault("region_name", self.region)
        kwargs.setdefault("aws_access_key_id", FAKE_ACCESS_KEY_ID)
        kwargs.setdefault("aws_secret_access_key", FAKE_SECRET_ACCESS_KEY)
        kwargs.setdefault("aws_session_token", FAKE_SESSION_TOKEN)
        ensure_loopback(urllib.parse.urlsplit(str(kwargs["endpoint_url"])).hostname or "", "a boto3 client")
        with self._boto_session_lock:  # a boto3 Session is not thread-safe; the clients it makes are
            if self._boto_session is None:
                self._boto_session = boto3.session.Session()
            return self._boto_session.client(service, **kwargs)  # type: ignore[attr-defined]

    def reset(self) -> None:
        """Forget every bucket, queue, table, log group and function: a clean slate between exercises.

        Account settings go back to AWS's defaults too.
        """
        from lambdalab.service.concurrency import AccountSettings

        self.async_invocations.clear()
        for trigger in self.triggers:
            trigger.reset()
        self.databases.reset()
        self.alarms.reset()
        self.lambda_service.reset()
        self.lambda_service.configure(AccountSettings())
        request = urllib.request.Request(f"{self.endpoint_url}/moto-api/reset", method="POST", data=b"")
        with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310 - loopback only
            response.read()

    def stop(self) -> None:
        for trigger in self.triggers:
            trigger.stop()
        self.databases.stop()
        self.alarms.stop()
        self.lambda_service.reset(force=True)
        self._server.stop()

    def exports(self, shell: str = "sh") -> str:
        """The ``export`` lines a terminal needs for boto3 and the AWS CLI to use this sandbox."""
        env = {k: v for k, v in {**self.environment, **TOOL_ENVIRONMENT}.items() if k != "no_proxy"}
        if shell == "powershell":
            return "\n".join(f'$env:{k} = "{v}"' for k, v in env.items())
        return "\n".join(f"export {k}={v}" for k, v in env.items())

    def __repr__(self) -> str:
        return f"<lambdalab sandbox at {self.endpoint_url}, region {self.region}>"

    def _repr_pretty_(self, printer: object, cycle: bool) -> None:
        printer.text(repr(self))


#: Seconds a connection may stall while the sandbox reads a request (or wait idle between requests).
READ_TIMEOUT_S = 60.0
#: Connections the kernel may hold for the server before it accepts them. werkzeug listens with 128; a
#: burst of 500 concurrent invokes overflows that on a busy machine (Linux caps it at net.core.somaxconn).
LISTEN_BACKLOG = 1024


class _MotoServer:
    """moto's server, as ``ThreadedMotoServer`` runs it, with lambdalab's Lambda gateway in front."""

    def __init__(self, host: str, port: int, gateway: Callable[[Callable[..., Iterable[bytes]]], object]) -> None:
        from moto.moto_server.werkzeug_app import MotoRequestHandler, create_backend_app
        from werkzeug.serving import ThreadedWSGIServer

        from lambdalab.service import keep_alive, moto_dispatch, moto_serialize
        from lambdalab.service.browser_guard import BrowserGuard

        moto_dispatch.install()
        moto_serialize.install()

        class Server(ThreadedWSGIServer):
            request_queue_size = LISTEN_BACKLOG

        self.gateway = gateway(moto_dispatch.Dispatcher(create_backend_app))
        app = BrowserGuard(self.gateway)
        # Connections stay open between requests, as at AWS's endpoints. One that stalls mid-request (or
        # idles between requests) is closed after READ_TIMEOUT_S, so stalled sockets cannot pin one thread
        # each forever; stop() closes the rest.
        self._connections = keep_alive.OpenConnections()
        handler = keep_alive.keep_alive_handler(MotoRequestHandler, self._connections, timeout=READ_TIMEOUT_S)
        # What werkzeug's make_server(threaded=True) builds, with the longer backlog.
        self._server = Server(host, port, app, handler=handler)
        self._thread = threading.Thread(target=self._server.serve_forever, name="lambdalab-sandbox",
                                        daemon=True)
        self._thread.start()

    @property
    def address(self) -> tuple[str, int]:
        host, port = self._server.server_address[:2]
        return str(host), int(port)

    def stop(self) -> None:
        self._server.shutdown()
        self._thread.join()
        self._connections.close_all()


_current: Sandbox | None = None
_lock = threading.Lock()


def sandbox(*, host: str = "127.0.0.1", port: int = 0, region: str = DEFAULT_REGION) -> Sandbox:
    """Start the local AWS sandbox, or return the one this process already runs."""
    global _current
    ensure_loopback(host)
    with _lock:
        if _current is None:
            _current = Sandbox(host=host, port=port, region=region)
        else:
            _current.apply_environment()
        return _current


def current() -> Sandbox | None:
    """The running sandbox, if any (without starting one)."""
    return _current


@contextmanager
def running(**kwargs: object) -> Iterator[Sandbox]:
    """The sandbox, reset on the way out: for scripts and tests."""
    box = sandbox(**kwargs)
    try:
        yield box
    finally:
        box.reset()


def serve_forever(port: int | None = None, host: str = "127.0.0.1") -> None:
    """Run the sandbox in the foreground of a terminal, printing the variables to point clients at it.

    Ctrl-C, a closed terminal (SIGHUP) and SIGTERM all stop it the same way: every execution environment
    ends, and so does every process a handler started (see :mod:`lambdalab.service.stopping`).
    """
    from lambdalab.service import stopping

    stopping.become_subreaper()
    box: Sandbox | None = None
    with stopping.stop_requested() as requested:
        try:
            box = sandbox(host=host, port=port or 0)
            if not requested.is_set():
                print(f"lambdalab sandbox listening on {box.endpoint_url}  (Ctrl-C to stop)")
                print("\nIn another terminal, point boto3 and the AWS CLI at it:\n")
                print(box.exports())
                print()
                print(f"REST APIs answer at {box.endpoint_url}/restapis/<api-id>/<stage>/_user_request_/<path>; HTTP "
                      "APIs and function URLs at the ApiEndpoint / FunctionUrl that boto3 and the AWS CLI return.",
                      flush=True)
            while not requested.wait(1.0):
                pass
            _say("\nstopping the sandbox")
        finally:
            if box is not None:
                box.stop()
            stopping.end_descendants()


def _say(text: str) -> None:
    """Print, unless the terminal is gone (SIGHUP): stopping must go on either way."""
    try:
        print(text, flush=True)
    except OSError:
        pass
