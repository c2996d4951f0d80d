"""Every lab check test starts from a clean sandbox and leaves one behind."""

from __future__ import annotations

import pytest

import lambdalab


@pytest.fixture(autouse=True)
def clean_sandbox():
    box = lambdalab.sandbox()
    yield box
    box.reset()
