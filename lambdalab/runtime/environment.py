"""One Lambda execution environment: a real process, its Runtime API, its limits and its logs.

An ``ExecutionEnvironment`` is what AWS calls a sandbox: created on a cold start, it runs the init phase
(the runtime starts, the handler's module is imported) once, then serves one invocation at a time until it
is shut down — because it sat idle too long, or because the function timed out, ran out of memory or
exited, each of which ends it here as it does on AWS, so the next invocation is cold.

The process starts as :mod:`.process_start` says, in its own session, so ending the environment also ends
anything the handler started (:mod:`.process_tree`). Its output goes to a file rather than a pipe
(:mod:`.log_file`), so every line lands in the right invocation's log without a reader thread. While an
invocation waits, :mod:`.watchdog` wakes it when the process exits, outgrows its memory or overstays; how it
ended is worded in :mod:`.endings`. This module runs the lifecycle and turns the runtime's answers into
invocations.
"""

from __future__ import annotations

import datetime as dt
import json
import math
import shutil
import signal
import subprocess
import threading
import time
import uuid
from collections.abc import Callable
from enum import StrEnum

import psutil

from lambdalab.runtime import memory, process_start, temp_dirs
from lambdalab.runtime.api_server import PendingInvocation, RuntimeAPIServer, StreamListener
from lambdalab.runtime.config import (
    INIT_TIMEOUT_S,
    MAX_RESPONSE_BYTES,
    PROVISIONED_INIT_TIMEOUT_S,
    FunctionConfig,
    runtime_identifier,
)
from lambdalab.runtime.endings import TIMED_OUT, Ended, error_document, exit_words, timeout_document, timeout_message
from lambdalab.runtime.log_file import LogFile
from lambdalab.runtime.process_start import (  # importable from here as before the split
    BOOTSTRAP_SCRIPT,
    CLIENT_SCRIPT,
    STREAMING_CLIENT_SCRIPT,
    RuntimeClient,
)
from lambdalab.runtime.process_tree import kill_tree
from lambdalab.runtime.results import Invocation, Report, encode_event
from lambdalab.runtime.watchdog import WATCHDOG

__all__ = [
    "BOOTSTRAP_SCRIPT",
    "CLIENT_SCRIPT",
    "STREAMING_CLIENT_SCRIPT",
    "EnvironmentState",
    "ExecutionEnvironment",
    "RuntimeClient",
    "launch_wrapper",
]

#: Set only by an instructor's grader (``lambdalab.grading.isolation``): given an environment and its
#: command, returns the command that starts it confined. ``None`` in notebooks, where the code is the
#: learner's own.
launch_wrapper: Callable[[ExecutionEnvironment, list[str]], list[str]] | None = None


class EnvironmentState(StrEnum):
    NEW = "new"
    INITIALIZING = "initializing"
    IDLE = "idle"
    BUSY = "busy"
    DEAD = "dead"


def _utc_stamp() -> str:
    return dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


class ExecutionEnvironment:
    """A Lambda execution environment backed by one subprocess.

    Not thread-safe for concurrent invokes by design: like AWS, an environment serves one request at a
    time. The service in front of it (a pool) decides which environment gets which request.
    """

    def __init__(
        self,
        config: FunctionConfig,
        *,
        runtime_client: RuntimeClient | str | None = None,
        extra_environment: dict[str, str] | None = None,
        initialization_type: str = "on-demand",
    ) -> None:
        self.config = config
        self.runtime_client = RuntimeClient(runtime_client) if runtime_client else RuntimeClient.default()
        self.extra_environment = dict(extra_environment or {})
        self.initialization_type = initialization_type
        self.environment_id = uuid.uuid4().hex
        today = dt.datetime.now(dt.UTC).strftime("%Y/%m/%d")
        self.log_stream_name = f"{today}/[{config.version}]{self.environment_id}"
        self.state = EnvironmentState.NEW
        self.invocation_count = 0
        self.created_at = time.monotonic()
        self.last_used_at = self.created_at
        self.init_duration_ms: float | None = None
        self.shutdown_after_use = False  # set by a pool that no longer wants it back
        self._pending_init_logs = ""
        self._api: RuntimeAPIServer | None = None
        self._process: subprocess.Popen[bytes] | None = None
        self._ps: psutil.Process | None = None
        self._peak_reader: memory.PeakReader | None = None
        self._log_dir = temp_dirs.make("lambdalab-env-")
        self._log_path = self._log_dir / "output.log"
        self._log = LogFile(self._log_path)
        self._tmp_dir = self._log_dir / "tmp"
        self._tmp_dir.mkdir()
        self._lock = threading.Lock()
        self._peak_seen = 0
        self._oom = False
        self._init_failure: Ended | None = None

    # --- lifecycle -----------------------------------------------------------------------------
    @property
    def pid(self) -> int | None:
        return self._process.pid if self._process else None

    @property
    def alive(self) -> bool:
        return self.state not in (EnvironmentState.DEAD,) and (self._process is None or self._process.poll() is None)

    def _child_environment(self, api_address: str) -> dict[str, str]:
        return process_start.child_environment(
            self.config,
            api_address=api_address,
            log_stream_name=self.log_stream_name,
            initialization_type=self.initialization_type,
            home=self._log_dir,
            tmp_dir=self._tmp_dir,
            runtime_client=self.runtime_client,
            extra_environment=self.extra_environment,
        )

    def _command(self) -> list[str]:
        return process_start.bootstrap_command()

    def start(self) -> None:
        """Run the init phase now (a provisioned environment does this ahead of any request).

        Raises nothing: an init failure is remembered and reported to the invocation that needed it. An
        environment whose init failed here is ended; only an on-demand invoke retries an init (below).
        """
        with self._lock:
            if self.state is EnvironmentState.NEW and not self._init_locked(self._init_limit()):
                self._terminate()

    def _init_limit(self) -> float:
        """How long the init phase may run: 10 s on demand; a provisioned environment's init is not
        waited on by any request, and AWS gives it 130 s or the function's timeout, whichever is longer."""
        if self.initialization_type == "on-demand":
            return INIT_TIMEOUT_S
        return max(PROVISIONED_INIT_TIMEOUT_S, float(self.config.timeout))

    def _init_locked(self, limit: float) -> bool:
        """Start the runtime process and wait, up to ``limit`` seconds, for it to ask for its first event.

        True when it did. Otherwise the failure is kept in ``_init_failure``, the process is ended (its
        output kept for the logs) and the environment stays INITIALIZING, so that an invoke may retry the
        init in a new process, as Lambda does.
        """
        self.state = EnvironmentState.INITIALIZING
        self._api = RuntimeAPIServer()
        self._peak_seen = 0
        started = time.perf_counter()
        command = self._command() if launch_wrapper is None else launch_wrapper(self, self._command())
        self._process = process_start.start_process(
            command, self.config.code_dir, self._child_environment(self._api.address), self._log_path
        )
        self._ps = psutil.Process(self._process.pid)
        self._peak_reader = memory.PeakReader(self._ps)
        try:
            api = self._api
            self._wait_for(lambda: api.first_next_at is not None or api.init_error is not None, limit, wake=api.ready)
            failure = self._init_error_from_runtime() if self._api.init_error is not None else None
        except Ended as ended:
            failure = ended
        self._init_failure = failure
        if failure is not None:
            self.init_duration_ms = (time.perf_counter() - started) * 1000.0
            self._peak_mb()
            self._pending_init_logs += self._read_new_logs()
            self._kill_tree()
            self._peak_reader.close()
            self._peak_reader = None
            self._api.close()
            self._api = None
            return False
        self.init_duration_ms = (self._api.first_next_at - started) * 1000.0
        self._peak_mb()
        self._pending_init_logs += self._read_new_logs()
        self.state = EnvironmentState.IDLE
        return True

    def _init_error_from_runtime(self) -> Ended:
        error = self._api.init_error
        try:
            document = json.loads(error.body)
        except ValueError:
            document = {"errorMessage": error.body.decode(errors="replace"), "errorType": error.error_type}
        return Ended(
            document.get("errorType") or error.error_type or "Runtime.Unknown",
            document.get("errorMessage", ""),
            document={k: document[k] for k in ("errorMessage", "errorType", "stackTrace") if k in document},
        )

    def shutdown(self) -> None:
        """End the environment and everything it started. Safe to call more than once."""
        with self._lock:
            self._terminate()

    def kill(self) -> None:
        """End the process tree now, even mid-invocation (the waiting caller sees Runtime.ExitError)."""
        if self._process is not None:
            self._kill_tree()

    def _terminate(self) -> None:
        self.state = EnvironmentState.DEAD
        if self._process is not None:
            self._kill_tree()
        if self._api is not None:
            self._api.close()
            self._api = None
        self._remove_logs()

    def _kill_tree(self) -> None:
        kill_tree(self._process, self._ps)

    def _remove_logs(self) -> None:
        self._log.close()
        if self._peak_reader is not None:
            self._peak_reader.close()
        # The whole folder: the handler's HOME and TMPDIR live in it, and may hold anything it wrote.
        shutil.rmtree(self._log_dir, ignore_errors=True)

    # --- waiting, with every way an environment can end ------------------------------------------
    def _wait_for(self, answered: Callable[[], bool], seconds: float, wake: threading.Event) -> None:
        """Wait until ``answered()`` holds, ending the environment the way Lambda would if it exits,
        outgrows its memory, or outlives ``seconds``.

        The wait is on ``wake`` alone, which the Runtime API sets when the runtime answers and the shared
        watchdog (:mod:`lambdalab.runtime.watchdog`) sets when the environment ends; an answer that came
        first wins. A quick warm invoke is answered before the watchdog looks at it even once.
        """
        deadline = time.perf_counter() + seconds
        with WATCHDOG.watching(self._process.pid, self._check, wake) as watch:
            while not answered():
                if watch.ended is not None:
                    raise watch.ended
                remaining = deadline - time.perf_counter()
                if remaining <= 0:
                    raise Ended(TIMED_OUT, "", status="timeout")
                wake.wait(remaining)

    def _check(self, descendants: list[int] | None) -> Ended | None:
        """The watchdog's look at this environment: why it ended, or None while it is fine. The whole
        process tree counts, as in Lambda's cgroup (``descendants`` when the watchdog scanned for them)."""
        returncode = self._process.poll()
        if returncode is not None:
            return Ended("Runtime.ExitError", exit_words(returncode))
        used = memory.rss_bytes(self._ps)
        if descendants:
            used += memory.total_rss_bytes(descendants)
        self._peak_seen = max(self._peak_seen, used)
        if used > self.config.memory_size * memory.MIB:
            self._oom = True
            self._kill_tree()
            return Ended("Runtime.OutOfMemory", exit_words(-signal.SIGKILL))
        self._trim_log_if_flooded()
        return None

    def _trim_log_if_flooded(self) -> None:
        self._log.trim_if_flooded()

    def _read_new_logs(self) -> str:
        return self._log.read_new(busy=self.state is EnvironmentState.BUSY)

    # --- invocation ------------------------------------------------------------------------------
    def invoke(
        self,
        event: bytes | str | object = None,
        *,
        request_id: str | None = None,
        client_context: str | None = None,
        on_stream: StreamListener | None = None,
        invoked_function_arn: str | None = None,
    ) -> Invocation:
        """Run one invocation; on a new environment, run the init phase first (a cold start).

        ``on_stream(content_type, chunk)`` receives a streamed response chunk by chunk while the handler
        runs; the returned Invocation holds the whole body either way. ``invoked_function_arn`` is the ARN the
        caller named (with its version or alias, if any): the handler reads it as
        ``context.invoked_function_arn``; without it, the function's unqualified ARN.
        """
        with self._lock:
            return self._invoke_locked(event, request_id or str(uuid.uuid4()), client_context, on_stream,
                                       invoked_function_arn)

    def _invoke_locked(
        self,
        event: object,
        request_id: str,
        client_context: str | None,
        on_stream: StreamListener | None = None,
        invoked_function_arn: str | None = None,
    ) -> Invocation:
        cfg = self.config
        payload = encode_event(event)
        self._oom = False
        init_logs = ""
        init_ms: float | None = None
        invoke_init_ms: float | None = None  # an init retried inside this invoke, part of its duration
        if self.state is EnvironmentState.NEW:
            ready = self._init_locked(self._init_limit())
            init_logs = self._init_start_line()
            if ready and self.initialization_type == "on-demand":
                init_ms = self.init_duration_ms
            if not ready:
                # Lambda reports the failed init phase, then runs the init again at the start of this
                # invoke, in a new process, bounded by the function's timeout (lambda-runtime-environment.html).
                init_logs += self._take_init_logs() + self._init_report("init")
                if not self._init_locked(float(cfg.timeout)):
                    init_logs += self._take_init_logs()
                    result = self._failed_init(request_id, init_logs)
                    self._terminate()
                    return result
                invoke_init_ms = self.init_duration_ms
            init_logs += self._take_init_logs()
        elif self._pending_init_logs:  # a provisioned environment's init output goes with its first call
            init_logs, self._pending_init_logs = self._pending_init_logs, ""
        if self.state is not EnvironmentState.IDLE:
            raise RuntimeError(f"environment {self.environment_id} is {self.state.value}, not idle")

        self.state = EnvironmentState.BUSY
        self.invocation_count += 1
        # The handler has what the retried init (if any) left of the timeout.
        time_left = cfg.timeout - (invoke_init_ms or 0.0) / 1000.0
        deadline_epoch_ms = int((time.time() + time_left) * 1000)
        pending = PendingInvocation(
            request_id=request_id,
            event=payload,
            deadline_ms=deadline_epoch_ms,
            invoked_function_arn=invoked_function_arn or cfg.function_arn,
            client_context=client_context,
            on_stream=on_stream,
            trace_id=f"Root=1-{int(time.time()):08x}-{uuid.uuid4().hex[:24]};Parent={uuid.uuid4().hex[:16]};"
            "Sampled=0;Lineage=1",
        )
        submitted = time.perf_counter()
        self._api.submit(pending)
        error: dict[str, object] | None = None
        status: str | None = None
        error_type: str | None = None
        tail = ""
        try:
            self._wait_for(lambda: pending.outcome is not None, time_left, wake=pending.done)
        except Ended as ended:
            self._api.forget(request_id)
            elapsed_ms = (time.perf_counter() - (pending.dispatched_at or submitted)) * 1000.0 + (invoke_init_ms or 0.0)
            if ended.status == "timeout":
                duration_ms = cfg.timeout * 1000.0
                error = timeout_document(request_id, cfg.timeout)
                tail = f"{_utc_stamp()} {request_id} {timeout_message(cfg.timeout)}\n"
                status = "timeout"
            else:
                duration_ms = elapsed_ms
                error = error_document(request_id, ended.error_type, ended.detail)
                tail = f"RequestId: {request_id} Error: {ended.detail}\n{ended.error_type}\n"
                status, error_type = "error", ended.error_type
            logs_body = self._read_new_logs()
            max_used = cfg.memory_size if self._oom else self._peak_mb()
            self._terminate()
            report = self._report(request_id, duration_ms, init_ms, max_used, status, error_type, invoke_init_ms)
            return self._result(request_id, None, error, init_logs, logs_body + tail, report)

        duration_ms = (pending.finished_at - pending.dispatched_at) * 1000.0 + (invoke_init_ms or 0.0)
        logs_body = self._read_new_logs()
        max_used = self._peak_mb()
        payload_out: object = None
        if pending.outcome == "error":
            try:
                error = json.loads(pending.body)
            except ValueError:
                error = {
                    "errorMessage": pending.body.decode(errors="replace"),
                    "errorType": pending.error_type or "Runtime.Unknown",
                }
        elif len(pending.body) > MAX_RESPONSE_BYTES and not pending.streamed:  # streams have their own limit
            error = {
                "errorMessage": "Response payload size exceeded maximum allowed payload size "
                f"({MAX_RESPONSE_BYTES} bytes).",
                "errorType": "Function.ResponseSizeTooLarge",
            }
        else:
            payload_out = self._decode(pending.body)
        self.state = EnvironmentState.IDLE
        self.last_used_at = time.monotonic()
        report = self._report(request_id, duration_ms, init_ms, max_used, None, None, invoke_init_ms)
        return self._result(request_id, payload_out, error, init_logs, logs_body, report, pending.body)

    @staticmethod
    def _decode(body: bytes) -> object:
        try:
            return json.loads(body)
        except ValueError:
            return body

    def _init_start_line(self) -> str:
        version = runtime_identifier().replace("python", "python:")
        arn = f"arn:aws:lambda:{self.config.region}::runtime:lambdalab-{self.runtime_client.value}"
        return f"INIT_START Runtime Version: {version}.lambdalab\tRuntime Version ARN: {arn}\n"

    def _take_init_logs(self) -> str:
        logs, self._pending_init_logs = self._pending_init_logs, ""
        return logs

    def _init_failure_status(self) -> tuple[str, str | None]:
        """``("timeout", None)`` or ``("error", error type)``: how the last init failed, in INIT_REPORT's words."""
        ended = self._init_failure
        return ("timeout", None) if ended.status == "timeout" else ("error", ended.error_type)

    def _init_report(self, phase: str) -> str:
        """``INIT_REPORT Init Duration: … ms\tPhase: init\tStatus: timeout``: the line a failed init leaves."""
        status, error_type = self._init_failure_status()
        return (f"INIT_REPORT Init Duration: {self._elapsed_init_ms():.2f} ms\tPhase: {phase}\t"
                f"Status: {status}" + (f"\tError Type: {error_type}" if error_type else "") + "\n")

    def _failed_init(self, request_id: str, init_logs: str) -> Invocation:
        """The invoke whose retried init failed too: the caller gets the init's error (or the function's
        timeout), and the invoke's REPORT counts the retried init as its duration, with no Init Duration."""
        ended = self._init_failure
        cfg = self.config
        status, error_type = self._init_failure_status()
        if status == "timeout":
            error = timeout_document(request_id, float(cfg.timeout))
            error_type = TIMED_OUT
        elif ended.document is not None:
            error = dict(ended.document)
        else:
            error = error_document(request_id, ended.error_type, ended.detail)
        report = Report(
            request_id=request_id,
            duration_ms=self._elapsed_init_ms(),
            billed_duration_ms=max(math.ceil(self._elapsed_init_ms()), 1),
            memory_size_mb=cfg.memory_size,
            max_memory_used_mb=cfg.memory_size
            if ended.error_type == "Runtime.OutOfMemory"
            else min(self._peak_mb(), cfg.memory_size),
            init_duration_ms=None,
            status=status,
            error_type=error_type if status == "error" else None,
            invoke_init_ms=self._elapsed_init_ms(),
        )
        return self._result(request_id, None, error, init_logs + self._init_report("invoke"), "", report)

    def _elapsed_init_ms(self) -> float:
        return self.init_duration_ms or 0.0

    def _peak_mb(self) -> int:
        """The high-water mark so far; remembered, because a dead process can no longer be asked."""
        if self._peak_reader is not None and self.state is not EnvironmentState.DEAD:
            self._peak_seen = max(self._peak_seen, self._peak_reader.peak_bytes())
        return math.ceil(self._peak_seen / memory.MIB)

    def _report(
        self,
        request_id: str,
        duration_ms: float,
        init_ms: float | None,
        max_used_mb: int,
        status: str | None,
        error_type: str | None,
        invoke_init_ms: float | None = None,
    ) -> Report:
        billed = math.ceil(duration_ms + (init_ms or 0.0))
        return Report(
            request_id=request_id,
            duration_ms=duration_ms,
            billed_duration_ms=max(billed, 1),
            memory_size_mb=self.config.memory_size,
            max_memory_used_mb=min(max_used_mb, self.config.memory_size),
            init_duration_ms=init_ms,
            status=status,
            error_type=error_type,
            invoke_init_ms=invoke_init_ms,
        )

    def _result(
        self,
        request_id: str,
        payload: object,
        error: dict[str, object] | None,
        init_logs: str,
        body_logs: str,
        report: Report,
        raw: bytes = b"",
    ) -> Invocation:
        version = self.config.version
        if body_logs and not body_logs.endswith("\n"):
            body_logs += "\n"
        logs = (
            f"{init_logs}START RequestId: {request_id} Version: {version}\n{body_logs}"
            f"END RequestId: {request_id}\n{report.line()}\n"
        )
        return Invocation(
            request_id=request_id,
            function_name=self.config.function_name,
            payload=payload,
            error=error,
            logs=logs,
            report=report,
            raw_payload=raw,
            environment_id=self.environment_id,
            log_stream_name=self.log_stream_name,
            executed_version=version,
        )
