"""The nbval sanitize file hides what changes between runs, and only that, as nbval applies it."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from nbval.plugin import get_sanitize_patterns

CONFIG = Path(__file__).resolve().parent / "nbval_sanitize.cfg"


def sanitize(text: str) -> str:
    """Exactly nbval's own loop (IPyNbCell.sanitize) over the file's patterns."""
    for regex, replace in get_sanitize_patterns(CONFIG.read_text()):
        text = re.sub(regex, replace, text)
    return text


@pytest.mark.parametrize(
    ("first", "second"),
    [
        (
            "REPORT RequestId: 8f5e2a4c-1b3d-4e6f-9a7b-0c1d2e3f4a5b\tDuration: 15.74 ms\t"
            "Billed Duration: 147 ms\tMemory Size: 128 MB\tMax Memory Used: 56 MB\tInit Duration: 13.49 ms\t",
            "REPORT RequestId: 0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d\tDuration: 2.01 ms\t"
            "Billed Duration: 3 ms\tMemory Size: 128 MB\tMax Memory Used: 41 MB\tInit Duration: 88.20 ms\t",
        ),
        (
            "START RequestId: 8f5e2a4c-1b3d-4e6f-9a7b-0c1d2e3f4a5b Version: $LATEST",
            "START RequestId: 11111111-2222-4333-8444-555555555555 Version: $LATEST",
        ),
        ("cold start took 123.4 ms", "cold start took 7ms"),
        ("at 2025-01-31T12:34:56.789+00:00", "at 2026-11-01 08:00:00Z"),
        ("<Function object at 0x7f3b2c1d5e50>", "<Function object at 0x7f00aa11bb22>"),
        ("code in /tmp/tmpab12cd_x/app.py", "code in /tmp/lambdalab-9f8e7d/app.py"),
        ("/tmp/pytest-of-root/pytest-12/test_a0/app.py", "/tmp/pytest-of-jovyan/pytest-3/test_b1/app.py"),
        ("/var/folders/x1/abc123/T/tmpq/app.py", "/private/var/folders/y2/def456/T/tmpz/app.py"),
        ("AWS_ENDPOINT_URL=http://127.0.0.1:54321", "AWS_ENDPOINT_URL=http://127.0.0.1:40001"),
        ("http://localhost:8888/lab", "http://localhost:9999/lab"),
        (
            "/aws/lambda/hello 2025/01/31/[$LATEST]0123456789abcdef0123456789abcdef",
            "/aws/lambda/hello 2026/11/01/[$LATEST]fedcba9876543210fedcba9876543210",
        ),
        ("Root=1-5759e988-bd862e3fe1be46a994272793", "Root=1-67a0b1c2-0123456789abcdef01234567"),
        ("Writing lab01/ex1/app.py\n", "Overwriting lab01/ex1/app.py\n"),
        (
            "VisibilityTimeout 51 s for timeout 8 s and window 3 s, maxReceiveCount 5",
            "VisibilityTimeout 85 s for timeout 14 s and window 1 s, maxReceiveCount 5",
        ),
        (
            "ReservedConcurrentExecutions 8 for max_connections 15 and 2 other connections; a burst of 14 served "
            "with 8 connections and no refusal",
            "ReservedConcurrentExecutions 7 for max_connections 14 and 2 other connections; a burst of 13 served "
            "with 7 connections and no refusal",
        ),
    ],
)
def test_outputs_differing_only_in_run_to_run_details_compare_equal(first, second):
    assert sanitize(first) == sanitize(second)


def test_a_report_line_keeps_its_shape_and_its_configured_memory_size():
    line = "REPORT RequestId: 8f5e2a4c-1b3d-4e6f-9a7b-0c1d2e3f4a5b\tDuration: 15.74 ms\tMemory Size: 128 MB"

    assert sanitize(line) == "REPORT RequestId: UUID\tDuration: N ms\tMemory Size: 128 MB"


@pytest.mark.parametrize(
    ("first", "second"),
    [
        ("Memory Size: 128 MB", "Memory Size: 256 MB"),
        ("statusCode: 200", "statusCode: 500"),
        ("cold starts: 3 of 10", "cold starts: 4 of 10"),
        ("errorType: Runtime.ExitError", "errorType: Runtime.ImportModuleError"),
        ("REPORT … Init Duration: 1 ms", "REPORT …"),
        ("throttled 0.25 s", "throttled 0.5 s"),
        ("maxReceiveCount 5; 3 slow messages", "maxReceiveCount 2; 3 slow messages"),
        ("8 connections and no refusal", "8 connections and 2 refusals"),
    ],
)
def test_real_differences_still_show(first, second):
    assert sanitize(first) != sanitize(second)
