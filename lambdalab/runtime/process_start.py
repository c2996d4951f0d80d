"""How an execution environment's process starts: its command, its environment variables, its runtime.

The process sees what a Lambda runtime sees (``AWS_LAMBDA_*``, ``_HANDLER``, ``LAMBDA_TASK_ROOT``, the
Runtime API's address) and little else: no user or site folders, its own HOME and TMPDIR inside the
environment's folder, and a bootstrap (``bootstrap.py``) that builds the handler's import path from a spec
passed in one variable. It runs in a session of its own, so ending the environment ends everything the
handler started (``process_tree.py``), and writes its output to the environment's log file.
"""

from __future__ import annotations

import importlib.util
import json
import os
import subprocess
import sys
from enum import StrEnum
from pathlib import Path

from lambdalab.runtime import bootstrap, handler_imports
from lambdalab.runtime.config import FunctionConfig, runtime_identifier

BOOTSTRAP_SCRIPT = Path(__file__).with_name("bootstrap.py")
CLIENT_SCRIPT = Path(__file__).with_name("client.py")
STREAMING_CLIENT_SCRIPT = Path(__file__).with_name("streaming_client.py")


class RuntimeClient(StrEnum):
    """Which runtime interface client runs inside the environment."""

    AWSLAMBDARIC = "awslambdaric"
    BUILTIN = "builtin"
    #: lambdalab's custom runtime that can stream (``handler(event, response_stream, context)``); Python's
    #: managed runtime cannot, so on AWS this is what a custom runtime or an exec wrapper would run.
    STREAMING = "streaming"

    @classmethod
    def default(cls) -> RuntimeClient:
        """AWS's own client where it is installed (Linux); lambdalab's built-in one elsewhere."""
        return cls.AWSLAMBDARIC if importlib.util.find_spec("awslambdaric") else cls.BUILTIN


def child_environment(
    config: FunctionConfig,
    *,
    api_address: str,
    log_stream_name: str,
    initialization_type: str,
    home: Path,
    tmp_dir: Path,
    runtime_client: RuntimeClient,
    extra_environment: dict[str, str],
) -> dict[str, str]:
    """The runtime's environment variables: Lambda's reserved ones, then ``extra_environment``, then the
    function's own ``Environment``."""
    env = {
        "PATH": os.environ.get("PATH", "/usr/local/bin:/usr/bin:/bin"),
        "LANG": "en_US.UTF-8",
        "TZ": ":UTC",
        "HOME": str(home),
        # Each environment has its own /tmp on AWS; here a folder removed with the environment, so
        # nothing a handler writes there outlives it.
        "TMPDIR": str(tmp_dir),
        "PYTHONDONTWRITEBYTECODE": "1",
        "LAMBDA_TASK_ROOT": str(config.code_dir),
        "LAMBDA_RUNTIME_DIR": str(CLIENT_SCRIPT.parent),
        "_HANDLER": config.handler,
        "AWS_LAMBDA_RUNTIME_API": api_address,
        "AWS_LAMBDA_FUNCTION_NAME": config.function_name,
        "AWS_LAMBDA_FUNCTION_VERSION": config.version,
        "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": str(config.memory_size),
        "AWS_LAMBDA_LOG_GROUP_NAME": config.log_group_name,
        "AWS_LAMBDA_LOG_STREAM_NAME": log_stream_name,
        "AWS_LAMBDA_INITIALIZATION_TYPE": initialization_type,
        "AWS_EXECUTION_ENV": f"AWS_Lambda_{runtime_identifier()}",
        "AWS_REGION": config.region,
        "AWS_DEFAULT_REGION": config.region,
    }
    if os.name == "nt":  # Python cannot start on Windows without these
        for key in ("SYSTEMROOT", "SYSTEMDRIVE", "TEMP", "TMP"):
            if key in os.environ:
                env[key] = os.environ[key]
    env.update(extra_environment)
    env.update(config.environment)
    env[bootstrap.SPEC_VARIABLE] = json.dumps(runtime_spec(config, runtime_client))
    return env


def runtime_spec(config: FunctionConfig, runtime_client: RuntimeClient) -> dict[str, object]:
    """What the bootstrap loads: the client, and the path a handler imports from (see bootstrap.py)."""
    client = {
        RuntimeClient.AWSLAMBDARIC: "awslambdaric",
        RuntimeClient.STREAMING: str(STREAMING_CLIENT_SCRIPT),
        RuntimeClient.BUILTIN: str(CLIENT_SCRIPT),
    }[runtime_client]
    return {
        "handler": config.handler,
        "client": client,
        "client_modules": handler_imports.awslambdaric_modules() if client == "awslambdaric" else {},
        "path": handler_imports.handler_path(config.code_dir, config.layer_dirs),
        "sdk_modules": handler_imports.runtime_sdk(),
        "sdk_distributions": list(handler_imports.RUNTIME_SDK),
    }


def bootstrap_command() -> list[str]:
    # No user or site folders and no script folder on the path (-s -S -P): the bootstrap builds the
    # handler's path itself. No bytecode written into the function's (read-only on AWS) folders (-B).
    return [sys.executable, "-s", "-S", "-P", "-B", str(BOOTSTRAP_SCRIPT)]


def start_process(command: list[str], cwd: Path, env: dict[str, str], log_path: Path) -> subprocess.Popen[bytes]:
    """Start ``command`` in a session of its own, stdout and stderr appended to ``log_path``."""
    with open(log_path, "ab") as log_file:  # the child keeps its own descriptor
        return subprocess.Popen(
            command,
            cwd=cwd,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=log_file,
            stderr=subprocess.STDOUT,
            start_new_session=(os.name != "nt"),
        )
