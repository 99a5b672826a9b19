"""A throwaway PostgreSQL server for the tests, started from Debian's server binaries.

The cluster lives in one folder: ``data/`` (the cluster), the unix socket and ``postgres.log``.
It listens on 127.0.0.1 with trust authentication and skips fsync, since nothing in it needs to
survive the run. initdb and postgres refuse to run as root, so when the tests run as root (as in
CI) every server command runs as the ``postgres`` system user, which owns the folder.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from pathlib import Path

import psycopg
from psycopg import sql

DEBIAN_ROOT = Path("/usr/lib/postgresql")
SUPERUSER = "postgres"
SERVER_SETTINGS = {
    "listen_addresses": "'127.0.0.1'",
    "fsync": "off",
    "synchronous_commit": "off",
    "full_page_writes": "off",
    "max_connections": "200",
}
"""Appended to postgresql.conf: speed over durability, and room for many test connections."""


def postgres_bin() -> Path:
    """The folder holding initdb and pg_ctl: the newest Debian version, else the one on PATH."""
    debian = sorted(DEBIAN_ROOT.glob("*/bin"), key=_version, reverse=True)
    for folder in [*debian, *_bin_on_path()]:
        if (folder / "initdb").is_file() and (folder / "pg_ctl").is_file():
            return folder
    raise RuntimeError(
        "PostgreSQL server binaries (initdb, pg_ctl) not found in "
        f"{DEBIAN_ROOT}/<version>/bin nor on PATH: install Debian's package with "
        "`apt-get install postgresql` (`make test` does it on a fresh machine)"
    )


def _version(bin_folder: Path) -> tuple[int, ...]:
    return tuple(int(part) for part in bin_folder.parent.name.split(".") if part.isdigit())


def _bin_on_path() -> Iterator[Path]:
    if pg_config := shutil.which("pg_config"):
        found = subprocess.run(
            [pg_config, "--bindir"], capture_output=True, text=True, timeout=30, check=False
        )
        if found.returncode == 0 and found.stdout.strip():
            yield Path(found.stdout.strip())
    if initdb := shutil.which("initdb"):
        yield Path(initdb).resolve().parent


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class PostgresServer:
    """A throwaway cluster in ``folder``, reachable on 127.0.0.1:``port`` as ``postgres``."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.data = folder / "data"
        self.log = folder / "postgres.log"
        self.port = free_port()
        self.bin = postgres_bin()
        self.as_root = os.geteuid() == 0
        self._running = False

    def start(self) -> PostgresServer:
        """Create the cluster and start the server; returns once it accepts connections."""
        if self.as_root:
            self._hand_folder_to_postgres()
        initdb = ["-D", self.data, "-U", SUPERUSER, "-A", "trust", "-E", "UTF8", "--locale=C"]
        self._run("initdb", *initdb, "--no-sync", timeout=120)
        self._configure()
        self._running = True
        try:
            self._run("pg_ctl", "start", "-D", self.data, "-l", self.log, "-w", timeout=90)
        except RuntimeError:
            with suppress(RuntimeError):  # the start failure is the error worth showing
                self.stop()
            raise
        return self

    def stop(self) -> None:
        """Stop the server (fast shutdown: open sessions are ended); does nothing if stopped."""
        if self._running and (self.data / "postmaster.pid").exists():
            self._run("pg_ctl", "stop", "-D", self.data, "-m", "fast", "-w", "-t", "60", timeout=90)
        self._running = False

    def create_database(self, name: str) -> str:
        """Create an empty database ``name``; returns its SQLAlchemy URL."""
        with psycopg.connect(
            host="127.0.0.1", port=self.port, user=SUPERUSER, dbname="postgres", autocommit=True
        ) as connection:
            connection.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
        return f"postgresql+psycopg://{SUPERUSER}@127.0.0.1:{self.port}/{name}"

    def _configure(self) -> None:
        settings = {**SERVER_SETTINGS, "port": str(self.port)}
        settings["unix_socket_directories"] = f"'{self.folder}'"
        lines = [f"{key} = {value}\n" for key, value in settings.items()]
        with (self.data / "postgresql.conf").open("a") as conf:
            conf.writelines(["\n# opwatch test server\n", *lines])

    def _hand_folder_to_postgres(self) -> None:
        """Let the postgres user own the folder; it must also be able to reach it."""
        shutil.chown(self.folder, SUPERUSER, SUPERUSER)
        for parent in self.folder.resolve().parents:
            if not parent.stat().st_mode & 0o001:
                raise RuntimeError(
                    f"{parent} is not traversable by other users, so the postgres user cannot "
                    f"reach {self.folder}: create the cluster folder under tempfile.mkdtemp() "
                    "and chmod it 0o755"
                )

    def _run(self, tool: str, *args: str | Path, timeout: float) -> None:
        command = [str(self.bin / tool), *map(str, args)]
        if self.as_root:
            command = ["runuser", "-u", SUPERUSER, "--", *command]
        try:
            done = subprocess.run(
                command, cwd=self.folder, capture_output=True, text=True, timeout=timeout
            )
        except subprocess.TimeoutExpired:
            raise RuntimeError(self._failure(command, f"timed out after {timeout} s")) from None
        if done.returncode != 0:
            output = (done.stdout + done.stderr).strip()
            raise RuntimeError(self._failure(command, f"exit {done.returncode}: {output}"))

    def _failure(self, command: list[str], what: str) -> str:
        message = f"PostgreSQL test server in {self.folder}: `{' '.join(command)}` {what}"
        if self.log.exists():
            tail = self.log.read_text(errors="replace").splitlines()[-20:]
            message += f"\n--- last lines of {self.log} ---\n" + "\n".join(tail)
        return message


@contextmanager
def running_server() -> Iterator[PostgresServer]:
    """A started server in a fresh temporary folder, stopped and removed afterwards.

    The folder comes from ``tempfile.mkdtemp()`` opened to 0o755 rather than pytest's tmp_path,
    whose /tmp/pytest-of-<user> is 0o700 and thus closed to the postgres user under root.
    """
    folder = Path(tempfile.mkdtemp(prefix="opwatch-postgres-"))
    folder.chmod(0o755)
    server = PostgresServer(folder)
    try:
        yield server.start()
    finally:
        server.stop()
        shutil.rmtree(folder, ignore_errors=True)
