"""One real PostgreSQL server: a data directory, a ``postgres`` process on 127.0.0.1, and its settings.

Data directories are copies of one template cluster made by ``initdb`` once per sandbox (``initdb`` costs
about half a second; a copy a fraction of that). The bootstrap superuser is ``rdsadmin``, as on RDS, with
a password only the sandbox knows; the instance's master user is an ordinary role with CREATEDB,
CREATEROLE and membership of ``rds_superuser`` (RDS's arrangement), so it meets PostgreSQL's
reserved-slot rule exactly as an RDS master user does. The server listens on TCP 127.0.0.1 only (no Unix
socket) and authenticates every connection with SCRAM-SHA-256. Settings a lesson changes go into
``postgresql.auto.conf`` and take effect when the server starts, which is why ``max_connections`` needs a
reboot, on RDS and here.
"""

from __future__ import annotations

import os
import secrets
import shutil
import signal
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path

from lambdalab.databases.binaries import executable
from lambdalab.databases.server_user import ServerUser

ADMIN_USER = "rdsadmin"
START_TIMEOUT_S = 60.0
STOP_TIMEOUT_S = 30.0

#: Settings every server gets: small, fast, and RDS's reserved slots: 3 for superusers (rdsadmin) and 2 for
#: rds_superuser (RDS's ``rds.rds_superuser_reserved_connections``, here PostgreSQL's ``reserved_connections``
#: used by members of ``pg_use_reserved_connections``, which rds_superuser is).
BASE_SETTINGS: dict[str, str] = {
    "listen_addresses": "'127.0.0.1'",
    "unix_socket_directories": "''",
    "superuser_reserved_connections": "3",
    "reserved_connections": "2",
    "shared_buffers": "'16MB'",
    "fsync": "off",
    "synchronous_commit": "off",
    "full_page_writes": "off",
    "max_wal_senders": "0",
    "wal_level": "minimal",
    "logging_collector": "off",
    "log_min_messages": "warning",
    "log_connections": "off",
    "dynamic_shared_memory_type": "mmap" if os.name != "nt" else "windows",
}


class ServerFailedToStart(RuntimeError):
    """``postgres`` exited or never became ready; the message carries the end of its log."""


@dataclass
class Cluster:
    """Template data directory and the admin password every copy shares (one per sandbox)."""

    install: Path
    user: ServerUser
    template: Path
    admin_password: str = field(repr=False)

    @classmethod
    def initdb(cls, install: Path, user: ServerUser, workspace: Path) -> Cluster:
        password = secrets.token_urlsafe(24)
        pwfile = workspace / "admin.pw"
        pwfile.write_text(password + "\n")
        user.give(pwfile)
        template = workspace / "template"
        result = subprocess.run(
            [
                str(executable(install, "initdb")),
                "-D",
                str(template),
                "-U",
                ADMIN_USER,
                "--pwfile",
                str(pwfile),
                "-A",
                "scram-sha-256",
                "-E",
                "UTF8",
                "--no-locale",
                "--no-sync",
                "--no-instructions",
            ],
            capture_output=True,
            text=True,
            timeout=120,
            env=_server_env(install),
            cwd=workspace,
            **user.popen_kwargs(),
        )
        pwfile.unlink()
        if result.returncode != 0:
            raise ServerFailedToStart(f"initdb failed ({result.returncode}): {result.stderr.strip()[-2000:]}")
        (template / "pg_hba.conf").write_text(
            "# lambdalab: TCP on 127.0.0.1 only, passwords checked with SCRAM-SHA-256\n"
            "host all all 127.0.0.1/32 scram-sha-256\n"
        )
        return cls(install=install, user=user, template=template, admin_password=password)

    def copy_to(self, data_dir: Path) -> None:
        """A new data directory from the template, owned by the server's user, mode 0700 as PostgreSQL wants."""
        data_dir.parent.mkdir(parents=True, exist_ok=True)
        self.user.give(data_dir.parent)
        shutil.copytree(self.template, data_dir, symlinks=True)
        if self.user.switch:
            for root, dirs, files in os.walk(data_dir):
                for name in [*dirs, *files]:
                    os.lchown(Path(root) / name, self.user.uid, self.user.gid)
            os.chown(data_dir, self.user.uid, self.user.gid)
        data_dir.chmod(0o700)


class PostgresServer:
    """A ``postgres`` process serving one data directory on 127.0.0.1:``port``."""

    def __init__(self, cluster: Cluster, data_dir: Path, port: int) -> None:
        self.cluster = cluster
        self.data_dir = data_dir
        self.port = port
        self.log_path = data_dir.parent / "postgres.log"
        self._process: subprocess.Popen[bytes] | None = None

    @property
    def running(self) -> bool:
        return self._process is not None and self._process.poll() is None

    @property
    def pid(self) -> int | None:
        return self._process.pid if self.running and self._process else None

    def configure(self, settings: dict[str, str]) -> None:
        """Write the settings the next start will use (``postgresql.auto.conf``, as ALTER SYSTEM does)."""
        merged = {**BASE_SETTINGS, "port": str(self.port), **settings}
        text = "# written by lambdalab for this DB instance\n" + "".join(f"{k} = {v}\n" for k, v in merged.items())
        auto = self.data_dir / "postgresql.auto.conf"
        auto.write_text(text)
        self.cluster.user.give(auto)

    def start(self) -> None:
        if self.running:
            return
        log = open(self.log_path, "ab")  # noqa: SIM115 - handed to the child, closed below
        try:
            self._process = subprocess.Popen(
                [str(executable(self.cluster.install, "postgres")), "-D", str(self.data_dir)],
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                env=_server_env(self.cluster.install),
                cwd=self.data_dir,
                start_new_session=(os.name != "nt"),
                **self.cluster.user.popen_kwargs(),
            )
        finally:
            log.close()
        self._wait_ready()

    def stop(self) -> None:
        """Fast shutdown (SIGINT): open sessions are ended, as a stop or reboot on RDS ends them."""
        process, self._process = self._process, None
        if process is None or process.poll() is not None:
            return
        process.send_signal(signal.SIGINT if os.name != "nt" else signal.CTRL_BREAK_EVENT)
        try:
            process.wait(STOP_TIMEOUT_S)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(10)

    def restart(self) -> None:
        self.stop()
        self.start()

    def log_tail(self, lines: int = 20) -> str:
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return ""

    def _wait_ready(self) -> None:
        deadline = time.monotonic() + START_TIMEOUT_S
        pid_file = self.data_dir / "postmaster.pid"
        while time.monotonic() < deadline:
            if self._process is None or self._process.poll() is not None:
                self._process = None
                raise ServerFailedToStart(f"postgres exited while starting:\n{self.log_tail()}")
            try:
                lines = pid_file.read_text().splitlines()
            except OSError:
                lines = []
            if len(lines) >= 8 and lines[7].strip() == "ready":
                return
            time.sleep(0.02)
        self.stop()
        raise ServerFailedToStart(f"postgres did not become ready in {START_TIMEOUT_S:.0f} s:\n{self.log_tail()}")


def _server_env(install: Path) -> dict[str, str]:
    env = {"PATH": os.environ.get("PATH", ""), "LC_ALL": "C", "LANG": "C", "TZ": "UTC"}
    lib = str(install / "lib")
    env["LD_LIBRARY_PATH"] = lib
    env["DYLD_LIBRARY_PATH"] = lib
    for key in ("SYSTEMROOT", "TEMP", "TMP"):
        if key in os.environ:
            env[key] = os.environ[key]
    return env
