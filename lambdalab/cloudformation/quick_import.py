"""Importing moto's CloudFormation without building grammars nothing in the sandbox uses.

moto's CloudFormation imports every service a template can name, API Gateway among them; moto's API Gateway
imports ``openapi_spec_validator``, which imports ``jsonschema``. When ``rfc3987-syntax`` is installed (Jupyter's
``jsonschema[format-nongpl]`` brings it), ``jsonschema`` builds 38 Lark grammars at import for two format checks,
``iri`` and ``iri-reference``: about a second of CPU, a sixth of what a kernel's first ``sam deploy`` costs the
sandbox. Nothing in the sandbox checks those formats, so while moto's CloudFormation is imported ``jsonschema`` is
told that ``rfc3987-syntax`` is absent; afterwards it can be imported again as usual.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager

_GRAMMARS = "rfc3987_syntax"


@contextmanager
def without_iri_grammars() -> Iterator[None]:
    """While inside, ``import rfc3987_syntax`` fails as if it were not installed (unless already imported)."""
    if _GRAMMARS in sys.modules or "jsonschema._format" in sys.modules:
        yield  # already paid for, or jsonschema has already decided: nothing to save
        return
    sys.modules[_GRAMMARS] = None  # type: ignore[assignment] - None makes the import raise ImportError
    try:
        yield
    finally:
        if sys.modules.get(_GRAMMARS, ...) is None:
            del sys.modules[_GRAMMARS]
