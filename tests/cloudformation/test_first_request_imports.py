"""A kernel's first CloudFormation request does not build jsonschema's IRI grammars (about a second of CPU that
nothing in the sandbox uses), and leaves ``rfc3987_syntax`` importable for whoever wants it afterwards."""

from __future__ import annotations

import subprocess
import sys
import textwrap

import pytest

pytest.importorskip("rfc3987_syntax", reason="without rfc3987-syntax installed there is nothing to skip")

FRESH_KERNEL = textwrap.dedent(
    """
    import sys
    import lambdalab

    box = lambdalab.sandbox()
    try:
        box.client("cloudformation").list_stacks()
        assert "moto.cloudformation.models" in sys.modules, "the first request imports moto's CloudFormation"
        print("built during the first request:", "rfc3987_syntax.syntax_helpers" in sys.modules)
        import rfc3987_syntax

        print("importable afterwards:", rfc3987_syntax.is_valid_syntax("iri", "http://example.com/ü"))
    finally:
        box.stop()
    """
)


def test_when_the_sandbox_serves_its_first_cloudformation_request_then_no_iri_grammar_is_built():
    done = subprocess.run([sys.executable, "-c", FRESH_KERNEL], capture_output=True, text=True, timeout=300)

    assert done.returncode == 0, done.stderr[-2000:]
    assert "built during the first request: False" in done.stdout
    assert "importable afterwards: True" in done.stdout
