"""CPU a reply costs the sandbox with moto's ``AttributePicker`` and with lambdalab's, which remembers names.

Run: ``python benchmarks/bench_moto_serialize.py [--requests 200] [--repeat 7]``

``lambdalab.service.moto_serialize`` remembers, per member of each reply shape, the names under which moto
looks for the member's value, instead of building six alias providers for every member of every reply.
Here the sandbox's own WSGI application (gateway, dispatcher, moto's handler and serializer; no sockets)
serves the same signed requests with one picker, then the other, in this thread; what is compared is this
thread's CPU time per request, as a ratio per repeat. ``SendMessageBatch`` of ten messages is what an SQS
mapping's producer sends; the others are replies with many members.

Results go to ``benchmarks/results/moto_serialize.json``.
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path
from typing import Any

from bench_moto_dispatch import serve, signed
from side_by_side import ratios, write_results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=200)
    parser.add_argument("--repeat", type=int, default=7)
    parser.add_argument("--out", type=Path, default=Path(__file__).parent / "results" / "moto_serialize.json")
    args = parser.parse_args()

    from moto.core import serialize

    import lambdalab
    from lambdalab.service.moto_patching import original
    from lambdalab.service.moto_serialize import remembering_call

    box = lambdalab.sandbox()  # installs lambdalab's picker
    pickers = {"moto": original(serialize.AttributePicker, "__call__"), "lambdalab": remembering_call}
    url = box.client("sqs").create_queue(QueueName="bench-serialize")["QueueUrl"]
    ec2 = box.client("ec2")
    vpc = ec2.create_vpc(CidrBlock="10.8.0.0/16")["Vpc"]["VpcId"]
    for n in range(10):
        ec2.create_subnet(VpcId=vpc, CidrBlock=f"10.8.{n}.0/24")
    kinds = {
        "sqs SendMessageBatch, 10 messages (JSON)": signed(box, "sqs", "send_message_batch", QueueUrl=url, Entries=[
            {"Id": str(n), "MessageBody": json.dumps({"order": n})} for n in range(10)
        ]),
        "ec2 DescribeSubnets, 16 subnets (EC2 query)": signed(box, "ec2", "describe_subnets"),
        "iam ListRoles (query XML)": signed(box, "iam", "list_roles"),
    }
    app = box._server.gateway
    ms: dict[str, dict[str, list[float]]] = {kind: {name: [] for name in pickers} for kind in kinds}
    for _ in range(args.repeat):
        for kind, request in kinds.items():
            for name, picker in pickers.items():
                serialize.AttributePicker.__call__ = picker
                serve(app, request)
                started = time.thread_time()
                for _ in range(args.requests):
                    serve(app, request)
                ms[kind][name].append(1000 * (time.thread_time() - started) / args.requests)
    serialize.AttributePicker.__call__ = remembering_call
    box.stop()

    summary: dict[str, Any] = {"requests": args.requests, "repeat": args.repeat, "kinds": {}}
    for kind, by_picker in ms.items():
        row = summary["kinds"][kind] = ratios(by_picker["moto"], by_picker["lambdalab"])
        print(f"{kind:<45} moto {row['before_median']:.3f} ms, lambdalab {row['after_median']:.3f} ms of CPU a "
              f"request: {row['ratio_median']:.2f}x (repeats {row['ratio_min']:.2f}-{row['ratio_max']:.2f}x)")
    write_results(args.out, summary)

if __name__ == "__main__":
    main()
