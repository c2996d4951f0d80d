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

End to end is measured with the producer in two places. **In the sandbox's process**, as when a notebook
sends: the producer's boto3 work (signing, serialising, parsing: about half of the process's Python time,
measured with ``py-spy --gil``) shares one interpreter lock with the sandbox's server and pollers.
**In its own process**, as a producer runs in production (another service, another machine): it sends the
same batches through boto3 from a child process, started and ready before the clock starts.

Each run also reports the CPU the sandbox's process spent per batch, by thread: the HTTP server's request
threads, the mapping's pollers, the environments' Runtime API, log and metric shipping, the watchdog. The
sandbox is one Python process, so the sum per batch bounds the rate however many cores the machine has.

The rate is messages / elapsed wall seconds (goal: at least 1,000 messages a second end to end). Results go
to ``benchmarks/results/sqs.json``.
"""

from __future__ import annotations

import argparse
import collections
import json
import platform
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path

import psutil

HANDLER = """
import json

def handler(event, context):
    total = sum(len(record["body"]) for record in event["Records"])
    return {"batchItemFailures": [], "bytes": total}
"""


def _send(sqs, url: str, messages: int) -> None:
    for start in range(0, messages, 10):
        sqs.send_message_batch(
            QueueUrl=url,
            Entries=[
                {"Id": str(i), "MessageBody": json.dumps({"n": start + i})} for i in range(min(10, messages - start))
            ],
        )


def _produce(url: str, messages: int) -> None:
    """The producer in its own process (this script with ``--produce``): boto3 from the environment the sandbox
    exported, its imports and client made before it says it is ready, then the same sends on a line of input."""
    import boto3

    sqs = boto3.client("sqs")
    print("ready", flush=True)
    sys.stdin.readline()
    _send(sqs, url, messages)


def _send_from_own_process(url: str, messages: int) -> subprocess.Popen[str]:
    """Start the producer; returns once it is ready to send (imports and client made, off the clock)."""
    producer = subprocess.Popen(
        [sys.executable, __file__, "--produce", url, str(messages)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert producer.stdout.readline() == "ready\n", "the producer did not start"
    return producer


def _thread_cpu() -> dict[int, tuple[str, float]]:
    """CPU seconds so far of each of this process's threads, named by what runs it (a request thread by the
    class of its server, a worker by the class whose method it runs)."""
    owners = {}
    for thread in threading.enumerate():
        owner = getattr(getattr(thread, "_target", None), "__self__", None)
        owners[thread.native_id] = type(owner).__name__ if owner is not None else thread.name
    return {t.id: (owners.get(t.id, "other"), t.user_time + t.system_time) for t in psutil.Process().threads()}


def _cpu_by_thread(before: dict[int, tuple[str, float]], cpu_before: float, batches: int) -> dict[str, float]:
    """CPU ms per batch since ``before``, by thread owner; threads that ended meanwhile count as "ended"."""
    times = psutil.Process().cpu_times()
    by_owner: collections.Counter[str] = collections.Counter()
    for tid, (owner, spent) in _thread_cpu().items():
        by_owner[owner] += spent - before.get(tid, (owner, 0.0))[1]
    by_owner["ended"] = times.user + times.system - cpu_before - sum(by_owner.values())
    return {owner: round(1000 * spent / max(1, batches), 2) for owner, spent in by_owner.most_common() if spent > 0}


def run_once(
    box, lam, sqs, *, messages: int, batch_size: int, live: bool, own_process: bool = False
) -> dict[str, float]:
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
    producer = _send_from_own_process(url, messages) if own_process else None
    threads_before, cpu_before = _thread_cpu(), sum(psutil.Process().cpu_times()[:2])
    started = time.perf_counter()
    if producer is not None:
        producer.stdin.write("go\n")
        producer.stdin.close()
        assert producer.wait(timeout=600) == 0, "the producer failed"
    else:
        _send(sqs, url, messages)
    sent = time.perf_counter()
    if not live:
        lam.update_event_source_mapping(UUID=uuid, Enabled=True)
        threads_before, cpu_before = _thread_cpu(), sum(psutil.Process().cpu_times()[:2])
        started = time.perf_counter()
    assert sqs_trigger.wait_until_empty(url, timeout=600), "the queue did not drain"
    elapsed = time.perf_counter() - started
    deliveries = sqs_trigger.deliveries(uuid)
    batches = len({d.request_id for d in deliveries})
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
        "batches": batches,
        "peak_concurrent_batches": poller.peak_concurrency if poller else 0,
        "sandbox_cpu_ms_per_batch_by_thread": _cpu_by_thread(threads_before, cpu_before, batches),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=2000)
    parser.add_argument("--batch-size", type=int, default=10)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--out", type=Path, default=Path(__file__).parent / "results" / "sqs.json")
    parser.add_argument("--produce", nargs=2, metavar=("QUEUE_URL", "MESSAGES"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.produce:
        _produce(args.produce[0], int(args.produce[1]))
        return

    import lambdalab

    box = lambdalab.sandbox()
    lambdalab.deploy("bench-sqs", code=HANDLER, timeout=10)
    lam, sqs = box.client("lambda"), box.client("sqs")
    run_once(box, lam, sqs, messages=100, batch_size=args.batch_size, live=True)  # warm the environments
    runs: dict[str, list[dict[str, float]]] = {"end_to_end": [], "end_to_end_own_process": [], "drain": []}
    for _ in range(args.repeat):  # interleaved, so a busy spell on the machine hits all alike
        runs["end_to_end"].append(
            run_once(box, lam, sqs, messages=args.messages, batch_size=args.batch_size, live=True)
        )
        runs["end_to_end_own_process"].append(
            run_once(box, lam, sqs, messages=args.messages, batch_size=args.batch_size, live=True, own_process=True)
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
            cpu = run["sandbox_cpu_ms_per_batch_by_thread"]
            print(f"{'':<10} sandbox process CPU {sum(cpu.values()):.1f} ms a batch: "
                  + ", ".join(f"{owner} {ms}" for owner, ms in cpu.items()))
    summary["runs"] = runs
    summary["machine"] = {
        "python": platform.python_version(),
        "processor": platform.processor() or platform.machine(),
        "cpus": __import__("os").cpu_count(),
    }
    for mode, where in (("end_to_end", "in the sandbox's process"), ("end_to_end_own_process", "in its own process")):
        rate = summary[f"{mode}_messages_per_s_median"]
        print(
            f"median end to end (sent -> handler ran -> deleted), producer {where}: {rate:.0f} messages/s "
            f"({'meets' if rate >= 1000 else 'MISSES'} the 1,000 messages/s goal)"
        )
    print(f"median drain: {summary['drain_messages_per_s_median']:.0f} messages/s, batch size {args.batch_size}")
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(summary, indent=2) + "\n")
    box.stop()


if __name__ == "__main__":
    main()
