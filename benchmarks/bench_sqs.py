"""End-to-end SQS → Lambda throughput: messages a second through one event source mapping.

Run: ``python benchmarks/bench_sqs.py [--messages 2000] [--batch-size 10] [--repeat 3]``

What is timed is the whole path a message takes on the sandbox: ``SendMessageBatch`` into a queue through
boto3, the mapping's pollers receiving it (long polling moto's SQS backend in process, see
``lambdalab/triggers/sqs/in_process.py``), a synchronous invocation of a trivial handler on a real execution
environment with a batch of ``--batch-size`` records, and the ``DeleteMessageBatch`` of the records that
succeeded. Each repeat measures it twice:

- **end to end**: the mapping runs while the messages are sent; the clock starts before the first send and
  stops when the queue is empty (nothing visible, nothing in flight) and every message's delivery ended in
  a delete (sent → handler ran → deleted);
- **drain**: the queue is filled while the mapping is disabled, then the mapping is enabled; the clock
  starts at the enable, so this is the pollers' rate alone.

The rate is messages / elapsed wall seconds (goal: at least 1,000 messages a second end to end). Results go
to ``benchmarks/results/sqs.json``.
"""

from __future__ import annotations

import argparse
import json
import platform
import statistics
import time
from pathlib import Path

HANDLER = """
import json

def handler(event, context):
    total = sum(len(record["body"]) for record in event["Records"])
    return {"batchItemFailures": [], "bytes": total}
"""


def run_once(box, lam, sqs, *, messages: int, batch_size: int, live: bool) -> dict[str, float]:
    from lambdalab.triggers import sqs as sqs_trigger

    name = f"bench-{int(time.time() * 1000)}"
    url = sqs.create_queue(QueueName=name, Attributes={"VisibilityTimeout": "60"})["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    window = {} if batch_size <= 10 else {"MaximumBatchingWindowInSeconds": 1}
    uuid = lam.create_event_source_mapping(
        EventSourceArn=arn,
        FunctionName="bench-sqs",
        BatchSize=batch_size,
        FunctionResponseTypes=["ReportBatchItemFailures"],
        Enabled=live,
        **window,
    )["UUID"]
    started = time.perf_counter()
    for start in range(0, messages, 10):
        sqs.send_message_batch(
            QueueUrl=url,
            Entries=[
                {"Id": str(i), "MessageBody": json.dumps({"n": start + i})} for i in range(min(10, messages - start))
            ],
        )
    sent = time.perf_counter()
    if not live:
        lam.update_event_source_mapping(UUID=uuid, Enabled=True)
        started = time.perf_counter()
    assert sqs_trigger.wait_until_empty(url, timeout=600), "the queue did not drain"
    elapsed = time.perf_counter() - started
    deliveries = sqs_trigger.deliveries(uuid)
    poller = sqs_trigger.current().poller(uuid)
    lam.delete_event_source_mapping(UUID=uuid)
    deleted = sum(1 for d in deliveries if d.outcome == "deleted")
    assert deleted == messages, f"{deleted} of {messages} messages were deleted after their handler ran"
    return {
        "messages": messages,
        "deleted": deleted,
        "elapsed_s": elapsed,
        "send_s": sent - started if live else 0.0,
        "messages_per_s": messages / elapsed,
        "batches": len({d.request_id for d in deliveries}),
        "peak_concurrent_batches": poller.peak_concurrency if poller else 0,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=2000)
    parser.add_argument("--batch-size", type=int, default=10)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--out", type=Path, default=Path(__file__).parent / "results" / "sqs.json")
    args = parser.parse_args()

    import lambdalab

    box = lambdalab.sandbox()
    lambdalab.deploy("bench-sqs", code=HANDLER, timeout=10)
    lam, sqs = box.client("lambda"), box.client("sqs")
    run_once(box, lam, sqs, messages=100, batch_size=args.batch_size, live=True)  # warm the environments
    runs: dict[str, list[dict[str, float]]] = {"end_to_end": [], "drain": []}
    for _ in range(args.repeat):  # interleaved, so a busy spell on the machine hits both alike
        runs["end_to_end"].append(
            run_once(box, lam, sqs, messages=args.messages, batch_size=args.batch_size, live=True)
        )
        runs["drain"].append(run_once(box, lam, sqs, messages=args.messages, batch_size=args.batch_size, live=False))
    summary: dict[str, object] = {"batch_size": args.batch_size, "messages": args.messages}
    for mode, mode_runs in runs.items():
        rates = [r["messages_per_s"] for r in mode_runs]
        summary[f"{mode}_messages_per_s_median"] = statistics.median(rates)
        summary[f"{mode}_messages_per_s_runs"] = rates
        for run in mode_runs:
            print(
                f"{mode:<10} {run['messages']} messages in {run['elapsed_s']:.2f} s = "
                f"{run['messages_per_s']:.0f} msg/s ({run['batches']} batches, up to "
                f"{run['peak_concurrent_batches']} at once)"
            )
    summary["runs"] = runs
    summary["machine"] = {
        "python": platform.python_version(),
        "processor": platform.processor() or platform.machine(),
        "cpus": __import__("os").cpu_count(),
    }
    end_to_end = summary["end_to_end_messages_per_s_median"]
    print(
        f"median end to end (sent -> handler ran -> deleted): {end_to_end:.0f} messages/s, drain: "
        f"{summary['drain_messages_per_s_median']:.0f} messages/s, batch size {args.batch_size} "
        f"({'meets' if end_to_end >= 1000 else 'MISSES'} the 1,000 messages/s goal)"
    )
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(summary, indent=2) + "\n")
    box.stop()


if __name__ == "__main__":
    main()
