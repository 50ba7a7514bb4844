"""PostgreSQL stopped (immediate mode, i.e. a crash) in the middle of an import, on a
cluster this test starts for itself: nothing partial is left, the app answers again
within 10 s of the database coming back, and a re-run imports the file.
"""

import glob
import os
import pwd
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path

import psycopg
import pytest

ROOT = Path(__file__).resolve().parents[2]
ROWS = int(os.environ.get("OUTAGE_ROWS", "150000"))
PG_PORTS = range(5440, 5450)
WEB_PORTS = range(8700, 8710)
PG_BIN = sorted(glob.glob("/usr/lib/postgresql/*/bin"))

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.skipif(not PG_BIN, reason="no /usr/lib/postgresql/*/bin (pg_ctl)"),
]

SETUP = """
import importlib.util, numpy
spec = importlib.util.spec_from_file_location("b", "bench/import_trades.py")
b = importlib.util.module_from_spec(spec); spec.loader.exec_module(b)
branch, accounts, codes = b._setup(2000, 300)
b._write({path!r}, numpy.arange({rows}), accounts, codes, "OUT")
"""


def free_port(ports) -> int:
    for port in ports:
        with socket.socket() as s:
            try:
                s.bind(("127.0.0.1", port))
            except OSError:
                continue
            return port
    pytest.skip(f"no free port in {ports}")


class Cluster:
    """A throw-away PostgreSQL cluster (run as `postgres` when we are root)."""

    def __init__(self, root: Path):
        self.bin = Path(PG_BIN[-1])
        self.data = root / "pgdata"
        self.log = root / "pg.log"
        self.port = free_port(PG_PORTS)
        self.as_user = []
        if os.geteuid() == 0:  # initdb refuses to run as root
            user = pwd.getpwnam("postgres")
            os.chown(root, user.pw_uid, user.pw_gid)
            self.as_user = ["runuser", "-u", "postgres", "--"]
        self.run("initdb", "-D", self.data, "-U", "brokercrm", "-A", "trust", "-N")
        self.start()
        self.run(
            "createdb",
            "-h",
            "127.0.0.1",
            "-p",
            str(self.port),
            "-U",
            "brokercrm",
            "crm",
        )
        self.url = f"postgres://brokercrm@127.0.0.1:{self.port}/crm"

    def run(self, tool, *args):
        subprocess.run(
            [*self.as_user, self.bin / tool, *map(str, args)],
            check=True,
            stdout=subprocess.DEVNULL,
            cwd="/",
        )

    def start(self):
        options = f"-p {self.port} -c listen_addresses=127.0.0.1 -k {self.data}"
        self.run(
            "pg_ctl", "-D", self.data, "-l", self.log, "-o", options, "-w", "start"
        )

    def stop(self, mode: str):
        self.run("pg_ctl", "-D", self.data, "-m", mode, "-w", "stop")

    def query(self, sql, params=()):
        with psycopg.connect(self.url, autocommit=True) as conn:
            return conn.execute(sql, params).fetchall()


@pytest.fixture
def cluster():
    root = Path(tempfile.mkdtemp(prefix="brokercrm-outage-"))
    c = Cluster(root)
    try:
        yield c
    finally:
        try:
            c.stop("fast")
        finally:
            shutil.rmtree(root, ignore_errors=True)


def status(url: str) -> int:
    try:
        with urllib.request.urlopen(url, timeout=2) as response:  # nosec B310: a local URL
            return response.status
    except urllib.error.HTTPError as exc:
        return exc.code
    except OSError:
        return 0


def wait_until(predicate, timeout: float, what: str):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.1)
    raise AssertionError(f"{what} (waited {timeout:.0f}s)")


def test_database_crash_mid_import(cluster, tmp_path):
    env = {
        k: v for k, v in os.environ.items() if k not in ("REDIS_URL", "DATABASE_URL")
    }
    env.update(DATABASE_URL=cluster.url, DJANGO_SETTINGS_MODULE="brokercrm.settings")
    manage = [sys.executable, "manage.py"]

    def django(*args, **kwargs):
        return subprocess.run(
            [*manage, *args],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
            **kwargs,
        )

    # given a migrated database, a branch's accounts, and a trade file
    assert django("migrate", "--noinput").returncode == 0
    path = tmp_path / "trades.csv"
    done = django("shell", "-c", SETUP.format(path=str(path), rows=ROWS))
    assert done.returncode == 0, done.stderr
    port = free_port(WEB_PORTS)
    health = f"http://127.0.0.1:{port}/health/"
    web = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "-b", f"127.0.0.1:{port}", "-w", "1"]
        + ["--log-level", "warning", "brokercrm.wsgi"],
        cwd=ROOT,
        env=env,
    )
    try:
        wait_until(lambda: status(health) == 200, 60, "the app never answered")
        trades = "SELECT count(*) FROM clients_trade"

        # when the database stops (immediate: no clean shutdown) mid-import
        importing = subprocess.Popen(
            [*manage, "import_file", "trades", str(path), "--branch", "BENCH"],
            cwd=ROOT,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
        )
        wait_until(
            lambda: cluster.query(
                "SELECT count(*) FROM pg_stat_activity WHERE query ILIKE 'COPY%%'"
            )[0][0],
            120,
            "the import never started writing",
        )
        cluster.stop("immediate")
        importing.wait(timeout=120)
        assert status(health) == 503  # the app says so, it does not hang or crash

        # then, once it is back, the app answers within 10 s...
        cluster.start()
        wait_until(
            lambda: status(health) == 200, 10, "no answer 10 s after the restart"
        )
        # ...nothing of the import was left...
        assert cluster.query(trades)[0][0] == 0
        assert cluster.query("SELECT count(*) FROM clients_tradeday")[0][0] == 0
        assert (
            cluster.query(
                "SELECT count(*) FROM imports_importbatch WHERE status = 'done'"
            )[0][0]
            == 0
        )
        # ...and a re-run imports the whole file
        again = django("import_file", "trades", str(path), "--branch", "BENCH")
        assert again.returncode == 0, again.stderr
        assert cluster.query(trades)[0][0] == ROWS
        assert cluster.query(
            "SELECT status, rows_new FROM imports_importbatch ORDER BY id DESC LIMIT 1"
        ) == [("done", ROWS)]
    finally:
        web.terminate()
        web.wait(timeout=30)
