"""binder/ is a configuration repo2docker accepts, and its lock covers what the package needs.

repo2docker --no-build prints the Dockerfile it would build, offline and with no Docker daemon, so what
Binder will do is checked here rather than discovered on mybinder.org.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name
from packaging.version import Version

ROOT = Path(__file__).resolve().parents[1]
BINDER = ROOT / "binder"
PIN_RE = re.compile(r"^([A-Za-z0-9][A-Za-z0-9._-]*)==([^\s;]+)", re.MULTILINE)
REGENERATE = "regenerate it with `python3 course.py lock`"


@pytest.fixture(scope="module")
def dockerfile() -> str:
    env = {**os.environ, "DOCKER_HOST": "unix:///nonexistent/docker.sock"}  # prove no daemon is needed
    run = subprocess.run(
        [
            sys.executable,
            "-m",
            "repo2docker",
            "--no-build",
            "--debug",
            "--user-id",
            "1000",
            "--user-name",
            "jovyan",
            str(ROOT),
        ],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
        check=False,
    )
    assert run.returncode == 0, run.stderr[-2000:]
    return run.stdout


def locked() -> dict[str, Version]:
    text = (BINDER / "requirements.txt").read_text()
    return {canonicalize_name(name): Version(version) for name, version in PIN_RE.findall(text)}


def runtime_requirements() -> list[Requirement]:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    return [Requirement(r) for r in [*project["dependencies"], *project["optional-dependencies"]["course"]]]


def test_binder_pins_python_3_11(dockerfile):
    assert (BINDER / "runtime.txt").read_text().strip() == "python-3.11"
    # repo2docker names the files it copies in escaped form: "-2e" is ".", "-2d" is "-", "-2f" is "/".
    unescaped = re.sub(r"-([0-9a-f]{2})", lambda m: chr(int(m[1], 16)), dockerfile)
    assert re.search(r"/environment\.py-3\.11-linux-[\w-]+\.lock", unescaped)


def test_binder_installs_the_lock_before_copying_the_repository_so_the_layer_stays_cached(dockerfile):
    install = dockerfile.index('pip install --no-cache-dir -r "binder/requirements.txt"')

    assert install < dockerfile.index("COPY --chown=1000:1000 src/ ${REPO_DIR}/")


def test_binder_runs_post_build_which_installs_the_course_package(dockerfile):
    post_build = (BINDER / "postBuild").read_text()

    assert "RUN ./binder/postBuild" in dockerfile
    assert os.access(BINDER / "postBuild", os.X_OK)
    assert "set -e" in post_build
    assert re.search(r"^pip install .*--no-deps \.$", post_build, re.MULTILINE)


def test_lock_pins_every_dependency_exactly():
    lines = [
        line for line in (BINDER / "requirements.txt").read_text().splitlines() if line and line[0].isalnum()
    ]

    assert lines and all("==" in line for line in lines)


def test_lock_covers_every_runtime_dependency_within_its_bounds():
    pins = locked()
    linux = {"sys_platform": "linux", "platform_system": "Linux", "python_version": "3.11"}
    problems = []
    for requirement in runtime_requirements():
        if requirement.marker is not None and not requirement.marker.evaluate(linux):
            continue
        name = canonicalize_name(requirement.name)
        if name not in pins:
            problems.append(f"{requirement.name} is not in the lock")
        elif pins[name] not in requirement.specifier:
            problems.append(f"{requirement.name}=={pins[name]} is outside {requirement.specifier}")

    assert problems == [], f"binder/requirements.txt is out of date ({REGENERATE}): {problems}"


def test_lock_does_not_pin_the_course_package_itself():
    """postBuild installs it from the repository; a pin would fetch some other release from PyPI."""
    assert "lambdalab" not in locked()


def test_binder_installs_the_sam_cli_with_the_recipe_course_py_uses_for_its_venv(dockerfile):
    post_build = (BINDER / "postBuild").read_text().splitlines()

    assert "pip install --no-cache-dir uv" in post_build
    assert "python3 course.py sam-cli" in post_build
    assert post_build.index("pip install --no-cache-dir uv") < post_build.index("python3 course.py sam-cli")
    assert re.search(r'^SAM_CLI = "aws-sam-cli>=[\d.]+"$', (ROOT / "course.py").read_text(), re.MULTILINE)
