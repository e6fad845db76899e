"""Shared fixtures: real SQLite files, and a real throwaway PostgreSQL cluster started from the
installed server binaries (`.ci/run` installs them; on CI their absence is a failure, not a skip)."""

from __future__ import annotations

import glob
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import uuid
from pathlib import Path

import pytest

from echoscope.store import Store


def _postgres_bindir() -> Path | None:
    candidates = [shutil.which("initdb")]
    candidates += sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"), reverse=True)
    for candidate in candidates:
        if candidate and Path(candidate).exists():
            return Path(candidate).resolve().parent
    return None


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class PostgresCluster:
    """initdb + pg_ctl in a temporary folder, listening on loopback only, trust auth, UTF-8."""

    def __init__(self, bindir: Path):
        self.bindir = bindir
        self.root = Path(tempfile.mkdtemp(prefix="echoscope-pg-"))
        self.data = self.root / "data"
        self.port = _free_port()
        # PostgreSQL refuses to run as root; CI runs as root, so the cluster belongs to `postgres`.
        self.user = "postgres" if os.geteuid() == 0 else None
        if self.user:
            account = pwd.getpwnam(self.user)
            os.chown(self.root, account.pw_uid, account.pw_gid)

    def _run(self, *args: str) -> None:
        subprocess.run(args, check=True, capture_output=True, user=self.user, group=self.user)

    def start(self) -> None:
        self._run(str(self.bindir / "initdb"), "-D", str(self.data), "-A", "trust", "-U", "echoscope",
                  "-E", "UTF8", "--locale", "C.UTF-8")
        options = f"-p {self.port} -k {self.root} -c listen_addresses=127.0.0.1 -c fsync=off"
        self._run(str(self.bindir / "pg_ctl"), "-D", str(self.data), "-o", options, "-l",
                  str(self.root / "log"), "-w", "start")

    def stop(self) -> None:
        subprocess.run([str(self.bindir / "pg_ctl"), "-D", str(self.data), "-m", "immediate", "stop"],
                       capture_output=True, user=self.user, group=self.user)
        shutil.rmtree(self.root, ignore_errors=True)

    def new_database(self) -> str:
        import psycopg

        name = f"t_{uuid.uuid4().hex[:12]}"
        with psycopg.connect(f"host=127.0.0.1 port={self.port} user=echoscope dbname=postgres", autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
        return f"postgresql+psycopg://echoscope@127.0.0.1:{self.port}/{name}"


@pytest.fixture(scope="session")
def postgres_cluster():
    bindir = _postgres_bindir()
    if bindir is None:
        if os.environ.get("CI"):
            pytest.fail("PostgreSQL server binaries (initdb) are missing: .ci/run must install them")
        pytest.skip("PostgreSQL server binaries are not installed (apt-get install postgresql)")
    cluster = PostgresCluster(bindir)
    cluster.start()
    yield cluster
    cluster.stop()


@pytest.fixture
def pg_url(postgres_cluster) -> str:
    """A new, empty PostgreSQL database for one test."""
    return postgres_cluster.new_database()


@pytest.fixture
def sqlite_path(tmp_path) -> Path:
    return tmp_path / "echoscope.db"


@pytest.fixture(params=["sqlite", "postgres"])
def store(request, tmp_path):
    """The same test on a real SQLite file and on a real PostgreSQL database."""
    if request.param == "sqlite":
        opened = Store(tmp_path / "echoscope.db")
    else:
        opened = Store(request.getfixturevalue("pg_url"))
    yield opened
    opened.close()
