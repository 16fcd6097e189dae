"""A throwaway PostgreSQL server for tests: a fresh cluster in a temp directory,
listening on 127.0.0.1 only, on a free port, trusting loopback connections.

The server runs as an unprivileged OS user: the current user, or, when the
tests run as root (``initdb`` refuses root), the ``postgres`` user of the
Debian packages (``nobody`` where that user does not exist).

Example:
    >>> with PostgresServer.start() as server:  # doctest: +SKIP
    ...     server.create_database("relgraph_test")
    ...     server.url("relgraph_test")
    'postgresql://postgres@127.0.0.1:54321/relgraph_test'
"""

from __future__ import annotations

import glob
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

import psycopg
from psycopg import sql

#: The superuser of the test cluster (a database role, not an OS user).
SUPERUSER = "postgres"
#: A role that must log in with a password (scram-sha-256) instead of trust;
#: tests create it to exercise URLs with passwords and bad credentials.
PASSWORD_ROLE = "relgraph_pw"
#: The time zone of the server; not UTC, so that tests see conversions.
SERVER_TIMEZONE = "America/New_York"

_INSTALL_HINT = "run .ci/install-postgres.sh or apt-get install postgresql"


class PostgresNotFound(RuntimeError):
    """The PostgreSQL server binaries (``initdb``, ``pg_ctl``) are not installed."""


def find_bindir() -> Path:
    """The directory holding ``initdb``, ``pg_ctl`` and ``postgres``.

    Looks on ``PATH`` first, then in ``/usr/lib/postgresql/*/bin`` (newest
    version first), where Debian installs them off ``PATH``.

    Raises:
        PostgresNotFound: when no directory has all three.
    """
    initdb = shutil.which("initdb")
    if initdb:
        bindir = Path(os.path.realpath(initdb)).parent
        if _complete(bindir):
            return bindir
    versions = glob.glob("/usr/lib/postgresql/*/bin")
    for bindir in sorted(versions, key=_version_key, reverse=True):
        if _complete(Path(bindir)):
            return Path(bindir)
    raise PostgresNotFound(f"PostgreSQL server binaries not found (initdb); {_INSTALL_HINT}")


def _complete(bindir: Path) -> bool:
    return all(os.access(bindir / exe, os.X_OK) for exe in ("initdb", "pg_ctl", "postgres"))


def _version_key(bindir: str) -> tuple[int, ...]:
    version = Path(bindir).parent.name
    return tuple(int(part) for part in version.split(".") if part.isdigit())


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _server_account() -> pwd.struct_passwd | None:
    """The OS account to run the server as, or ``None`` for the current user."""
    if os.geteuid() != 0:
        return None
    for name in ("postgres", "nobody"):
        try:
            return pwd.getpwnam(name)
        except KeyError:
            continue
    raise RuntimeError(
        "tests run as root and neither the 'postgres' nor the 'nobody' OS user exists; "
        "initdb refuses to run as root. Create one with: useradd --system postgres"
    )


@dataclass
class PostgresServer:
    """A running test cluster. Use :meth:`start`; stop with :meth:`stop` (or ``with``)."""

    bindir: Path
    root: Path
    port: int
    account: pwd.struct_passwd | None
    host: str = "127.0.0.1"
    _stopped: bool = field(default=False, repr=False)

    @property
    def datadir(self) -> Path:
        return self.root / "data"

    @property
    def logfile(self) -> Path:
        return self.root / "server.log"

    @classmethod
    def start(cls, timeout: float = 30.0) -> PostgresServer:
        """Create a cluster in a new temp directory and start it.

        Raises:
            PostgresNotFound: when the binaries are not installed.
            RuntimeError: when the server does not come up (the log is quoted).
        """
        bindir = find_bindir()
        account = _server_account()
        # Not under pytest's tmp_path: that is private to root (0700) and the
        # server account must reach its data directory.
        root = Path(tempfile.mkdtemp(prefix="relgraph-pg-"))
        if account is not None:
            os.chown(root, account.pw_uid, account.pw_gid)
        server = cls(bindir=bindir, root=root, port=0, account=account)
        try:
            server._initdb()
            last_error = ""
            for _ in range(3):  # a free port may be taken before the server binds it
                server.port = _free_port()
                ok, last_error = server._pg_ctl_start(timeout)
                if ok:
                    server._wait_ready(timeout)
                    return server
            raise RuntimeError(f"PostgreSQL test server did not start:\n{last_error}")
        except BaseException:
            server.stop()
            raise

    def _run(self, args: list[str], timeout: float) -> subprocess.CompletedProcess[str]:
        kwargs: dict = {}
        env = dict(os.environ, LC_ALL="C", LANG="C")
        if self.account is not None:
            kwargs = {"user": self.account.pw_uid, "group": self.account.pw_gid, "extra_groups": []}
            env["HOME"] = str(self.root)
            env["USER"] = env["LOGNAME"] = self.account.pw_name
        return subprocess.run(
            args,
            cwd=self.root,
            env=env,
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
            **kwargs,
        )

    def _initdb(self) -> None:
        result = self._run(
            [
                str(self.bindir / "initdb"),
                "-D",
                str(self.datadir),
                "-U",
                SUPERUSER,
                "-A",
                "trust",
                "-E",
                "UTF8",
                "--locale=C",
                "--no-sync",
            ],
            timeout=120,
        )
        if result.returncode != 0:
            raise RuntimeError(f"initdb failed:\n{result.stdout}\n{result.stderr}")
        # Loopback only; the password role must authenticate, everyone else is trusted.
        hba = (
            f"host all {PASSWORD_ROLE} 127.0.0.1/32 scram-sha-256\n"
            "host all all 127.0.0.1/32 trust\n"
        )
        (self.datadir / "pg_hba.conf").write_text(hba)

    def _pg_ctl_start(self, timeout: float) -> tuple[bool, str]:
        options = " ".join(
            [
                f"-p {self.port}",
                f"-c listen_addresses={self.host}",
                "-c unix_socket_directories=''",
                f"-c timezone={SERVER_TIMEZONE}",
                "-c fsync=off",
                "-c synchronous_commit=off",
                "-c full_page_writes=off",
                "-c max_connections=20",
                "-c shared_buffers=16MB",
            ]
        )
        result = self._run(
            [
                str(self.bindir / "pg_ctl"),
                "-D",
                str(self.datadir),
                "-l",
                str(self.logfile),
                "-o",
                options,
                "-w",
                "-t",
                str(int(timeout)),
                "start",
            ],
            timeout=timeout + 10,
        )
        if result.returncode == 0:
            return True, ""
        log = self.logfile.read_text() if self.logfile.exists() else ""
        return False, f"{result.stdout}\n{result.stderr}\n{log}"

    def _wait_ready(self, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while True:
            try:
                with psycopg.connect(self.url("postgres"), connect_timeout=2):
                    return
            except psycopg.OperationalError as error:
                if time.monotonic() > deadline:
                    raise RuntimeError(f"PostgreSQL test server not accepting: {error}") from None
                time.sleep(0.05)

    def url(self, dbname: str = "postgres", user: str = SUPERUSER) -> str:
        """A ``postgresql://`` URL of a database of this server."""
        return f"postgresql://{user}@{self.host}:{self.port}/{dbname}"

    def create_database(self, dbname: str) -> str:
        """Create a database (dropping any of that name) and return its URL."""
        with psycopg.connect(self.url("postgres"), autocommit=True) as conn:
            name = sql.Identifier(dbname)
            conn.execute(sql.SQL("DROP DATABASE IF EXISTS {}").format(name))
            conn.execute(sql.SQL("CREATE DATABASE {}").format(name))
        return self.url(dbname)

    def stop(self) -> None:
        """Stop the server and delete its directory (idempotent)."""
        if self._stopped:
            return
        self._stopped = True
        try:
            if (self.datadir / "postmaster.pid").exists():
                cmd = [str(self.bindir / "pg_ctl"), "-D", str(self.datadir), "-m", "fast"]
                self._run([*cmd, "-w", "stop"], timeout=60)
        finally:
            shutil.rmtree(self.root, ignore_errors=True)

    def __enter__(self) -> PostgresServer:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()
