"""CPU a request costs in moto's dispatch: moto's Flask app per service against lambdalab's ``Dispatcher``.

Run: ``python benchmarks/bench_moto_dispatch.py [--requests 200] [--repeat 9]``

Every AWS call the sandbox serves passes through moto's ``DomainDispatcherApplication``: it finds the
service's backend from the request's signature, then runs the service's Flask app, which matches the path
and calls moto's handler. ``lambdalab.service.moto_dispatch.Dispatcher`` remembers each host's backend and
calls the handler without Flask around it (see its docstring). Both serve the same signed requests over the
same moto state here, in this thread, the WSGI application called directly (no sockets, so the HTTP server's
own cost is left out of both); each repeat runs ``--requests`` of each kind through one then the other, and
what is compared is this thread's CPU time per request, as a ratio per repeat.

Results go to ``benchmarks/results/moto_dispatch.json``.
"""

from __future__ import annotations

import argparse
import json
import platform
import statistics
import time
from pathlib import Path
from typing import Any

from werkzeug.test import EnvironBuilder


class _Captured(Exception):
    def __init__(self, request: Any) -> None:
        self.request = request


def signed(box: Any, service: str, operation: str, **params: Any) -> Any:
    """The request boto3 would send for ``operation``, signed for the sandbox and not sent."""
    client = box.client(service)

    def capture(request: Any, **_: Any) -> None:
        raise _Captured(request)

    client.meta.events.register(f"before-send.{client.meta.service_model.service_name}.*", capture)
    try:
        getattr(client, operation)(**params)
    except _Captured as captured:
        return captured.request
    raise AssertionError(f"{operation} was not sent")


def environ_of(request: Any) -> dict[str, Any]:
    host, _, rest = request.url.split("://", 1)[1].partition("/")
    path, _, query = ("/" + rest).partition("?")
    body = request.body if isinstance(request.body, bytes) else (request.body or "").encode()
    headers = {k: v.decode() if isinstance(v, bytes) else v for k, v in request.headers.items()}
    return EnvironBuilder(
        path=path, method=request.method, base_url=f"http://{host}", query_string=query, headers=headers, data=body
    ).get_environ()


def serve(app: Any, request: Any) -> None:
    statuses: list[str] = []
    b"".join(app(environ_of(request), lambda status, headers, exc_info=None: statuses.append(status)))
    assert statuses[0][:1] in "23", statuses[0]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=200)
    parser.add_argument("--repeat", type=int, default=9)
    parser.add_argument("--out", type=Path, default=Path(__file__).parent / "results" / "moto_dispatch.json")
    args = parser.parse_args()

    from moto.core import responses
    from moto.moto_server.werkzeug_app import DomainDispatcherApplication, create_backend_app

    import lambdalab
    from lambdalab.service.moto_dispatch import Dispatcher, FunctionsOf

    box = lambdalab.sandbox()
    queue = box.client("sqs").create_queue(QueueName="bench-dispatch")["QueueUrl"]
    box.client("s3").create_bucket(Bucket="bench-dispatch")
    box.client("s3").put_object(Bucket="bench-dispatch", Key="k", Body=b"x" * 1024)
    kinds = {
        "sqs GetQueueUrl (JSON)": signed(box, "sqs", "get_queue_url", QueueName="bench-dispatch"),
        "sqs GetQueueAttributes (JSON)": signed(
            box, "sqs", "get_queue_attributes", QueueUrl=queue, AttributeNames=["QueueArn"]
        ),
        "s3 GetObject (REST-XML)": signed(box, "s3", "get_object", Bucket="bench-dispatch", Key="k"),
        "iam ListRoles (query)": signed(box, "iam", "list_roles"),
    }
    apps = {"moto": DomainDispatcherApplication(create_backend_app), "lambdalab": Dispatcher(create_backend_app)}
    #: The action lookup moto's handlers use while each app serves: moto's own, or lambdalab's.
    lookups = {"moto": FunctionsOf.__wrapped__, "lambdalab": FunctionsOf}  # type: ignore[attr-defined]
    for name, app in apps.items():  # each service's Flask app built, its model loaded, before the clock runs
        responses.method_names_from_class = lookups[name]
        for request in kinds.values():
            serve(app, request)

    ms: dict[str, dict[str, list[float]]] = {kind: {name: [] for name in apps} for kind in kinds}
    for _ in range(args.repeat):
        for kind, request in kinds.items():
            for name, app in apps.items():
                responses.method_names_from_class = lookups[name]
                started = time.thread_time()
                for _ in range(args.requests):
                    serve(app, request)
                ms[kind][name].append(1000 * (time.thread_time() - started) / args.requests)
    responses.method_names_from_class = FunctionsOf
    box.stop()

    summary: dict[str, Any] = {"requests": args.requests, "repeat": args.repeat, "kinds": {}}
    for kind, by_app in ms.items():
        ratios = [m / d for m, d in zip(by_app["moto"], by_app["lambdalab"], strict=True)]
        row = {
            "moto_ms_median": statistics.median(by_app["moto"]),
            "lambdalab_ms_median": statistics.median(by_app["lambdalab"]),
            "ratio_median": statistics.median(ratios),
            "ratios": ratios,
        }
        summary["kinds"][kind] = row
        print(
            f"{kind:<32} moto {row['moto_ms_median']:.3f} ms, lambdalab {row['lambdalab_ms_median']:.3f} ms "
            f"of CPU a request: {row['ratio_median']:.2f}x (repeats {min(ratios):.2f}-{max(ratios):.2f}x)"
        )
    summary["machine"] = {"python": platform.python_version(), "processor": platform.processor() or platform.machine()}
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(summary, indent=2) + "\n")


if __name__ == "__main__":
    main()
