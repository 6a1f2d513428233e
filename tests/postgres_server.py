"""A real PostgreSQL for the tests: the distribution's server (Debian's ``postgresql`` package, which CI
installs), initialised in a temporary directory and listening on 127.0.0.1 on a free port, its unix socket
in the same directory. Stopped and deleted when the test session ends.

PostgreSQL refuses to run as root; under root (CI) the server runs as the package's ``postgres`` user.
"""

from __future__ import annotations

import contextlib
import glob
import os
import shutil
import socket
import subprocess
import tempfile
import uuid
from pathlib import Path

import psycopg

SERVER_USER = "postgres"


def server_bin() -> Path:
    """The newest installed server's programs; a missing PostgreSQL is a failure, never a skip."""
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/pg_ctl"), key=lambda p: int(Path(p).parent.parent.name))
    if not found:
        raise RuntimeError("PostgreSQL is not installed: apt-get install postgresql (as .ci/run does)")
    return Path(found[-1]).parent


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def as_server_user(command: list[str]) -> list[str]:
    return ["runuser", "-u", SERVER_USER, "--", *command] if os.geteuid() == 0 else command


class PostgresServer:
    """One server; ``new_database()`` gives each test an empty database of its own."""

    def __init__(self) -> None:
        self.directory = Path(tempfile.mkdtemp(prefix="floorline-pg-"))
        self.port = free_port()
        self.user = SERVER_USER if os.geteuid() == 0 else os.environ.get("USER") or "postgres"

    def start(self) -> None:
        bin_dir = server_bin()
        data = self.directory / "data"
        if os.geteuid() == 0:
            shutil.chown(self.directory, SERVER_USER)
        subprocess.run(
            as_server_user(
                [str(bin_dir / "initdb"), "-D", str(data), "-U", self.user, "-A", "trust", "-E", "UTF8", "--no-sync"]
            ),
            check=True,
            capture_output=True,
        )
        options = f"-h 127.0.0.1 -p {self.port} -k {self.directory} -F -c fsync=off -c max_connections=200"
        subprocess.run(
            as_server_user(
                [str(bin_dir / "pg_ctl"), "-D", str(data), "-l", str(self.directory / "log"), "-o", options, "-w"]
                + ["start"]
            ),
            check=True,
            capture_output=True,
        )

    def stop(self) -> None:
        with contextlib.suppress(subprocess.CalledProcessError):
            subprocess.run(
                as_server_user([str(server_bin() / "pg_ctl"), "-D", str(self.directory / "data"), "-m", "fast"])
                + ["stop"],
                check=True,
                capture_output=True,
            )
        shutil.rmtree(self.directory, ignore_errors=True)

    def url(self, database: str = "postgres") -> str:
        return f"postgresql://{self.user}@127.0.0.1:{self.port}/{database}"

    def new_database(self, template: str | None = None) -> str:
        """An empty database of its own, or a copy of the database at URL ``template``; its URL."""
        name = f"t_{uuid.uuid4().hex[:16]}"
        copied = f' TEMPLATE "{template.rsplit("/", 1)[1]}"' if template else ""
        with psycopg.connect(self.url(), autocommit=True) as admin:
            admin.execute(f'CREATE DATABASE "{name}"{copied}')
        return self.url(name)
