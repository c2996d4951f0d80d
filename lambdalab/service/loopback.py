"""The loopback guard: nothing this process makes may point an AWS client, or a listener, off this machine.

Kept apart from the sandbox so every layer that opens a socket or builds a client (the sandbox itself, the
HTTP front doors of the triggers) checks addresses the same way without importing the sandbox.
"""

from __future__ import annotations

import ipaddress
import urllib.parse

#: The names a loopback client may use; ``NO_PROXY`` lists them so a proxy never sees sandbox traffic.
LOOPBACK_NO_PROXY = ("127.0.0.1", "localhost", "::1")


class NotLoopbackError(ValueError):
    """Raised when something would point an AWS client away from this machine."""


def ensure_loopback(host: str, what: str = "the sandbox") -> None:
    """Refuse, with the reason and the fix, any host that is not a loopback address."""
    name = host.strip("[]")
    if name == "localhost":
        return
    try:
        if ipaddress.ip_address(name).is_loopback:
            return
    except ValueError:
        pass
    raise NotLoopbackError(
        f"lambdalab refused to point {what} at {host!r}: only loopback addresses (127.0.0.1, ::1, "
        "localhost) are allowed, so nothing in this course can reach real AWS or another machine. "
        "Start the sandbox without a host, or with host='127.0.0.1'."
    )


def install_guard() -> None:
    """Make botocore refuse to send any request to a non-loopback host, whatever client sends it."""
    from botocore import httpsession

    send = httpsession.URLLib3Session.send
    if getattr(send, "_lambdalab_guard", False):
        return

    def guarded_send(self: httpsession.URLLib3Session, request: object) -> object:
        host = urllib.parse.urlsplit(request.url).hostname or ""
        ensure_loopback(host, what=f"an AWS request ({request.method} {request.url})")
        return send(self, request)

    guarded_send._lambdalab_guard = True  # type: ignore[attr-defined]
    httpsession.URLLib3Session.send = guarded_send  # type: ignore[method-assign]
