"""Importing lambdalab defers jsonschema's IRI grammars to their first use, and the checks still work.

Each case runs in a fresh interpreter: what matters is what an import does to a new process (a kernel, a
test worker), and this process has long since imported everything.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

pytest.importorskip("rfc3987_syntax")  # installed with jsonschema[format-nongpl], which Jupyter brings

CHECK = r"""
import json, sys
import lambdalab
import jsonschema
from jsonschema import Draft7Validator
after_import = "rfc3987_syntax.syntax_helpers" in sys.modules
validator = Draft7Validator({"format": "iri"}, format_checker=Draft7Validator.FORMAT_CHECKER)
print(json.dumps({
    "grammars_loaded_by_import": after_import,
    "valid_iri_accepted": validator.is_valid("https://example.com/caf\u00e9"),
    "invalid_iri_refused": not validator.is_valid("http://exa mple.com/<>"),
    "grammars_loaded_on_use": "rfc3987_syntax.syntax_helpers" in sys.modules,
}))
"""


def test_importing_jsonschema_after_lambdalab_compiles_no_grammar_until_an_iri_is_checked():
    answer = subprocess.run([sys.executable, "-c", CHECK], capture_output=True, text=True, check=True, timeout=120)
    assert json.loads(answer.stdout) == {
        "grammars_loaded_by_import": False,
        "valid_iri_accepted": True,
        "invalid_iri_refused": True,
        "grammars_loaded_on_use": True,
    }


def test_a_process_that_already_loaded_the_real_module_keeps_it(tmp_path):
    # A small module of the same name stands for the real one (which takes 2 s of CPU to import): what
    # matters is that lambdalab leaves a loaded module alone, whatever it is.
    (tmp_path / "rfc3987_syntax.py").write_text("def parse(term, value):\n    return 'the real one'\n")
    script = ("import sys, rfc3987_syntax as loaded, lambdalab; "
              "print(sys.modules['rfc3987_syntax'] is loaded, loaded.parse('iri', 'x'))")
    path = f"{tmp_path}{os.pathsep}{os.environ.get('PYTHONPATH', '')}"
    answer = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True, timeout=120,
                            env={**os.environ, "PYTHONPATH": path})
    assert answer.stdout.strip() == "True the real one"


def test_a_sandbox_that_never_uses_rds_proxy_loads_no_proxy():
    """The RDS Proxy brings asyncio servers and SCRAM authentication (scramp, asn1crypto): a quarter of a
    second of imports that every kernel and test process paid at sandbox start, for lesson 07 alone."""
    proxy_modules = ("scramp", "asn1crypto", "lambdalab.databases.proxy.server")
    script = (f"import sys, lambdalab; lambdalab.sandbox(); "
              f"print(sorted(m for m in {proxy_modules!r} if m in sys.modules))")
    answer = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True, timeout=120)
    assert answer.stdout.strip() == "[]"
