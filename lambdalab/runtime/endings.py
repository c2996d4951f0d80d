"""How an execution environment ends, in AWS's words: the error documents and log lines of a timeout, a
runtime that exited, or one that ran out of memory. Each wording is written once, here."""

from __future__ import annotations

import signal

TIMED_OUT = "Sandbox.Timedout"

_SIGNAL_WORDS = {
    signal.SIGSEGV: "segmentation fault (core dumped)",
    signal.SIGKILL: "killed",
    signal.SIGABRT: "aborted (core dumped)",
    signal.SIGTERM: "terminated",
    signal.SIGBUS: "bus error (core dumped)",
    signal.SIGFPE: "floating point exception (core dumped)",
    signal.SIGILL: "illegal instruction (core dumped)",
}


class Ended(Exception):
    """The environment died while we waited on it; carries AWS's error type and message tail, and the error
    document the runtime posted when it reported the failure itself (an init error)."""

    def __init__(self, error_type: str, detail: str, status: str = "error",
                 document: dict[str, object] | None = None) -> None:
        super().__init__(detail)
        self.error_type, self.detail, self.status, self.document = error_type, detail, status, document


def exit_words(returncode: int | None) -> str:
    """What Lambda says when the runtime process exits (``Runtime exited with error: signal: killed``)."""
    if returncode is None:
        return "Runtime exited without providing a reason"
    if returncode < 0:
        return f"Runtime exited with error: signal: {_SIGNAL_WORDS.get(-returncode, f'signal {-returncode}')}"
    return f"Runtime exited with error: exit status {returncode}"


def timeout_message(seconds: float) -> str:
    """``Task timed out after 3.00 seconds``: the log line's and the error's wording, for init and invoke."""
    return f"Task timed out after {seconds:.2f} seconds"


def error_document(request_id: str, error_type: str, detail: str) -> dict[str, object]:
    """The error an invocation returns when its environment ended under it."""
    return {"errorType": error_type, "errorMessage": f"RequestId: {request_id} Error: {detail}"}


def timeout_document(request_id: str, seconds: float) -> dict[str, object]:
    return error_document(request_id, TIMED_OUT, timeout_message(seconds))
