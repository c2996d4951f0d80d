"""Fixtures for the runtime's behavioural tests: every test runs once per runtime interface client."""

from __future__ import annotations

import textwrap
from collections.abc import Callable, Iterator
from pathlib import Path

import psutil
import pytest

from lambdalab.runtime.config import FunctionConfig
from lambdalab.runtime.environment import ExecutionEnvironment, RuntimeClient

CLIENTS = [RuntimeClient.BUILTIN]
try:
    import awslambdaric  # noqa: F401

    CLIENTS.insert(0, RuntimeClient.AWSLAMBDARIC)
except ImportError:  # macOS / Windows: AWS publishes no wheel; the built-in client stands in
    pass


@pytest.fixture(params=CLIENTS, ids=[c.value for c in CLIENTS])
def runtime_client(request: pytest.FixtureRequest) -> RuntimeClient:
    return request.param


@pytest.fixture
def make_environment(tmp_path: Path, runtime_client: RuntimeClient
                     ) -> Iterator[Callable[..., ExecutionEnvironment]]:
    """Build an environment from handler source; every environment is shut down after the test."""
    made: list[ExecutionEnvironment] = []

    def make(source: str, *, handler: str = "app.handler", files: dict[str, str] | None = None,
             **config: object) -> ExecutionEnvironment:
        code = tmp_path / f"code{len(made)}"
        code.mkdir()
        (code / "app.py").write_text(textwrap.dedent(source))
        for name, text in (files or {}).items():
            (code / name).write_text(textwrap.dedent(text))
        initialization_type = str(config.pop("initialization_type", "on-demand"))
        cfg = FunctionConfig(function_name=config.pop("function_name", "test-fn"), code_dir=code,
                             handler=handler, **config)
        env = ExecutionEnvironment(cfg, runtime_client=runtime_client, initialization_type=initialization_type)
        made.append(env)
        return env

    yield make
    for env in made:
        env.shutdown()


def _assert_gone(pid: int | None) -> None:
    """The process has ended (a zombie awaiting its parent counts as ended)."""
    assert pid is not None
    try:
        proc = psutil.Process(pid)
        assert proc.status() == psutil.STATUS_ZOMBIE, f"process {pid} is still running"
    except psutil.NoSuchProcess:
        pass


@pytest.fixture
def assert_gone() -> Callable[[int | None], None]:
    return _assert_gone
