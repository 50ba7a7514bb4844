"""Jobs that survive: kill -9 of a real Celery worker in the middle of a trade import and
of a nightly recompute; the job completes once the worker is back, and the data equals
a clean run's, with no duplicates.

`make test` runs one short trial of each (a 20,000-row file, a 300-client branch). The
full soak (5 trials each, a 1,000,000-row file, a 1,000-client branch) is one command:

    make soak        # SOAK_TRIALS=5 SOAK_ROWS=1000000 SOAK_CLIENTS=1000

The workers run with a short visibility timeout (SOAK_VISIBILITY seconds, default
30 + rows / 4000, longer than one job here), so the killed worker's message is handed
out again by Redis that long after its delivery, exactly as production does after
CELERY_VISIBILITY_TIMEOUT (6 h). Each test process's worker has a Redis database of its
own for the broker: a worker hands out again every overdue message of its database, so
on a shared one a busy suite's other workers (or a job slower than the timeout) would
run a job twice.

Redis delivers at least once, not exactly once: the overdue check compares wall-clock
times, so a clock that jumps (a virtual machine paused and resumed) hands a running job
out again, and a job may then run twice. The jobs are idempotent for that reason, and the
tests take their reference and compare only once the worker is idle (`broker_idle`:
nothing queued, nothing delivered and unacknowledged), so a second delivery may cost time
but never makes a run's results differ from a clean run's.
"""

import datetime as dt
import importlib.util
import os
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import pytest
import redis
from django.core.cache import cache
from django.core.management import call_command
from django.db import connection
from django.utils import timezone

from advisors.models import Branch
from brokercrm.celery import app
from imports.models import BatchStatus, ImportBatch
from imports.services import batch_create
from imports.tasks import import_batch_run_task, progress_key
from nightly.tasks import scores_recompute_task
from tiers.models import RunStatus, ScoreRun

ROOT = Path(__file__).resolve().parents[2]
TRIALS = int(os.environ.get("SOAK_TRIALS", "1"))
ROWS = int(os.environ.get("SOAK_ROWS", "20000"))
CLIENTS = int(os.environ.get("SOAK_CLIENTS", "300"))
# Where in the job each trial kills the worker: a fraction of the file read (1.0: while
# the rows are written), or of a clean recompute's duration.
KILL_AT = [0.5, 0.2, 1.0, 0.8, 0.35]

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.skipif(not os.environ.get("REDIS_URL"), reason="needs REDIS_URL"),
]


class Worker:
    """A real Celery worker process (prefork, one child) on a queue of its own."""

    def __init__(self, visibility: int, broker: str):
        self.queue = f"soak-{uuid.uuid4().hex[:8]}"
        self.broker = broker
        db = connection.settings_dict
        self.env = dict(
            os.environ,
            DATABASE_URL=(
                f"postgres://{db['USER']}:{db['PASSWORD']}@{db['HOST']}:{db['PORT']}"
                f"/{db['NAME']}"
            ),
            DJANGO_SETTINGS_MODULE="brokercrm.settings",
            CELERY_VISIBILITY_TIMEOUT=str(visibility),
            CELERY_BROKER_URL=broker,
            CELERY_RESULT_BACKEND=broker,
        )
        self.process = None
        self.visibility = visibility

    def start(self):
        self.process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "celery",
                "-A",
                "brokercrm",
                "worker",
                "--concurrency",
                "1",
                "-Q",
                self.queue,
                # INFO: each delivery ("received") and its end are in the captured
                # output a failure prints.
                "--loglevel",
                "INFO",
                "--without-heartbeat",
                "--without-gossip",
                "--without-mingle",
            ],
            cwd=ROOT,
            env=self.env,
            start_new_session=True,  # its own process group: kill -9 takes the child too
        )

    def broker_idle(self) -> bool:
        """Nothing waits in the queue and no delivered message awaits its ack (late
        acks: a job's message is acknowledged when the job has returned)."""
        r = redis.Redis.from_url(self.broker)
        return r.llen(self.queue) == 0 and r.zcard("unacked_index") == 0

    def wait_idle(self, timeout: float, what: str) -> None:
        wait_for(self.broker_idle, timeout, f"the worker to be idle {what}", every=0.2)

    def kill(self):
        """kill -9 of the worker and its pool process, at once."""
        os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait(timeout=30)

    def stop(self):
        if self.process and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=60)
            except subprocess.TimeoutExpired:
                self.kill()


def soak_broker() -> str:
    """A Redis database for this test process's workers alone (8 to 15), emptied.

    The cache stays where REDIS_URL puts it (the tests read the jobs' progress there).
    """
    n = int(os.environ.get("PYTEST_XDIST_WORKER", "gw0").removeprefix("gw") or 0)
    broker = urlunsplit(
        urlsplit(os.environ["REDIS_URL"])._replace(path=f"/{8 + n % 8}")
    )
    redis.Redis.from_url(broker).flushdb()
    return broker


def _use_broker(**conf):
    app.conf.update(**conf)
    # Pools are kept per broker: forget this process's, so the next send picks the
    # pool of the broker now set (the previous one stays open for whoever used it).
    app._pool = None
    app.amqp._producer_pool = None


@pytest.fixture
def worker(transactional_db):
    # The visibility timeout is longer than one job: a job still running past it would
    # be handed out a second time.
    visibility = int(os.environ.get("SOAK_VISIBILITY", "0")) or 30 + ROWS // 4000
    broker = soak_broker()
    w = Worker(visibility, broker)
    previous = {
        "task_always_eager": app.conf.task_always_eager,
        "broker_url": app.conf.broker_url,
        "result_backend": app.conf.result_backend,
    }
    _use_broker(task_always_eager=False, broker_url=broker, result_backend=broker)
    w.start()
    try:
        yield w
    finally:
        _use_broker(**previous)
        w.stop()


def wait_for(predicate, timeout: float, what: str, every: float = 0.05):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(every)
    raise AssertionError(f"timed out after {timeout:.0f}s waiting for {what}")


def fingerprint(table: str, where: str, params, exclude=("id",)) -> tuple[int, str]:
    """Rows of a table, as a count and an order-free hash of their columns."""
    minus = "".join(f" - '{c}'" for c in exclude)
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT count(*), md5(coalesce(string_agg(x, '|' ORDER BY x), '')) "
            f"FROM (SELECT (to_jsonb(t){minus})::text AS x FROM {table} t "
            f"WHERE {where}) rows",
            params,
        )
        return cursor.fetchone()


def _bench():
    spec = importlib.util.spec_from_file_location(
        "bench_import_trades", ROOT / "bench" / "import_trades.py"
    )
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


# --- imports -------------------------------------------------------------------------


def trades_state(branch_id):
    where, params = "branch_id = %s", [branch_id]
    trades = fingerprint("clients_trade", where, params)
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) - count(DISTINCT trade_id) FROM clients_trade "
            "WHERE branch_id = %s",
            params,
        )
        duplicates = cursor.fetchone()[0]
    days = fingerprint(
        "clients_tradeday",
        "account_id IN (SELECT id FROM clients_account WHERE branch_id = %s)",
        params,
    )
    return {"trades": trades, "duplicates": duplicates, "trade_days": days}


def trades_clear(branch_id):
    with connection.cursor() as cursor:
        cursor.execute(
            "DELETE FROM clients_tradeday WHERE account_id IN "
            "(SELECT id FROM clients_account WHERE branch_id = %s)",
            [branch_id],
        )
        cursor.execute("DELETE FROM clients_trade WHERE branch_id = %s", [branch_id])
    ImportBatch.objects.filter(branch_id=branch_id).delete()


def import_queued(branch, path, queue):
    batch = batch_create(branch=branch, path=str(path), kind="trades")
    import_batch_run_task.apply_async(args=[batch.pk], queue=queue)
    return batch


def test_import_survives_kill_9_of_its_worker(worker, tmp_path):
    bench = _bench()
    branch, account_nos, codes = bench._setup(max(ROWS // 50, 200), 300)
    path = tmp_path / "trades.csv"
    bench._write(path, __import__("numpy").arange(ROWS), account_nos, codes, "SK")
    job_timeout = worker.visibility * 3 + 120

    # a clean run, for reference
    clean = import_queued(branch, path, worker.queue)
    wait_for(
        lambda: ImportBatch.objects.get(pk=clean.pk).is_finished,
        job_timeout,
        "the clean import",
        every=0.5,
    )
    worker.wait_idle(job_timeout, "after the clean import")
    clean.refresh_from_db()
    assert (clean.status, clean.rows_new) == (BatchStatus.DONE, ROWS), (
        clean.message_text()
    )
    expected = trades_state(branch.pk)
    assert expected["trades"][0] == ROWS and expected["duplicates"] == 0

    for trial in range(TRIALS):
        trades_clear(branch.pk)
        kill_at = KILL_AT[trial % len(KILL_AT)]
        batch = import_queued(branch, path, worker.queue)
        key = progress_key(batch.pk)
        # when the worker is killed -9 in the middle of the import
        wait_for(
            lambda key=key, kill_at=kill_at: (cache.get(key) or 0) >= kill_at,
            job_timeout,
            f"trial {trial}: the import to reach {kill_at:.0%}",
            every=0.02,
        )
        assert not ImportBatch.objects.get(pk=batch.pk).is_finished, (
            f"trial {trial}: the import finished before the kill (make the file bigger)"
        )
        worker.kill()
        # then nothing of it is written, the batch is left running...
        assert trades_state(branch.pk)["trades"][0] == 0
        # ...and once the worker is back, the job completes
        worker.start()
        wait_for(
            lambda batch=batch: ImportBatch.objects.get(pk=batch.pk).is_finished,
            job_timeout,
            f"trial {trial}: the re-delivered import",
            every=0.5,
        )
        worker.wait_idle(job_timeout, f"trial {trial}: after the re-delivered import")
        batch.refresh_from_db()
        assert (batch.status, batch.rows_new) == (BatchStatus.DONE, ROWS), (
            f"trial {trial}: {batch.status} {batch.message_text()}"
        )
        assert trades_state(branch.pk) == expected, f"trial {trial}"


# --- the nightly recompute -----------------------------------------------------------

RESULTS = [
    # (table, what differs between two equal runs)
    ("tiers_clientscore", ("id", "run_id")),
    ("churn_churnflag", ("id", "run_id", "created_at")),
    ("clients_task", ("id", "created_at")),
    ("loyalty_pointsentry", ("id", "created_at")),
]


def nightly_state(branch_id, day):
    done = list(
        ScoreRun.objects.filter(
            branch_id=branch_id, date=day, status=RunStatus.DONE
        ).values_list("pk", flat=True)
    )
    state = {
        "done_runs": len(done),
        "running_runs": ScoreRun.objects.filter(
            branch_id=branch_id, status=RunStatus.RUNNING
        ).count(),
        # rows of runs that are not the date's results (a dead run's, left behind)
        "stray_scores": fingerprint(
            "tiers_clientscore",
            "branch_id = %s AND NOT run_id = ANY(%s)",
            [branch_id, done],
        )[0],
    }
    for table, exclude in RESULTS:
        if table == "tiers_clientscore":
            where, params = "run_id = ANY(%s)", [done]
        else:
            where, params = "branch_id = %s", [branch_id]
        state[table] = fingerprint(table, where, params, exclude)
    return state


def nightly_clear(branch_id):
    """Back to the night before: no runs, scores, flags, tasks or points."""
    with connection.cursor() as cursor:
        for table in ("tiers_clientscore", "churn_churnflag", "clients_task"):
            cursor.execute(f"DELETE FROM {table} WHERE branch_id = %s", [branch_id])
        # The ledger refuses DELETE (append-only); the test database has one branch.
        cursor.execute(
            "TRUNCATE loyalty_pointsentry, loyalty_pointsaccount, loyalty_accrualrun "
            "CASCADE"
        )
    ScoreRun.objects.filter(branch_id=branch_id).delete()


def test_nightly_recompute_survives_kill_9_of_its_worker(worker):
    with open(os.devnull, "w") as quiet:
        call_command("seed_demo", clients=CLIENTS, days=200, stdout=quiet)
    branch = Branch.objects.get(code="DEMO")
    day = timezone.localdate() - dt.timedelta(days=1)
    job_timeout = worker.visibility * 3 + 120

    def run_done_after(started):
        return ScoreRun.objects.filter(
            branch=branch, date=day, status=RunStatus.DONE, started_at__gte=started
        ).exists()

    # a clean run, for reference
    nightly_clear(branch.pk)
    started = dt.datetime.now(dt.UTC)
    scores_recompute_task.apply_async(
        args=[branch.pk, day.isoformat()], queue=worker.queue
    )
    wait_for(lambda: run_done_after(started), job_timeout, "the clean run", every=0.2)
    worker.wait_idle(job_timeout, "after the clean run")
    clean_s = ScoreRun.objects.get(branch=branch, status=RunStatus.DONE).duration_s
    expected = nightly_state(branch.pk, day)
    assert expected["done_runs"] == 1
    assert expected["running_runs"] == 0
    assert expected["tiers_clientscore"][0] == CLIENTS

    for trial in range(TRIALS):
        fraction = 0.8 * KILL_AT[trial % len(KILL_AT)]
        run_s = clean_s
        for _attempt in range(4):
            nightly_clear(branch.pk)
            started = dt.datetime.now(dt.UTC)
            scores_recompute_task.apply_async(
                args=[branch.pk, day.isoformat()], queue=worker.queue
            )
            wait_for(
                lambda: ScoreRun.objects.filter(
                    branch=branch, status=RunStatus.RUNNING
                ).exists(),
                job_timeout,
                f"trial {trial}: the run to start",
                every=0.02,
            )
            time.sleep(run_s * fraction)
            if not run_done_after(started):
                break
            # This run was quicker than the clean one (a warmer cache, a quieter
            # machine) and ended before the kill: not a trial; again, timed by this
            # run's own duration and killing sooner.
            run_s = ScoreRun.objects.get(
                branch=branch, status=RunStatus.DONE, started_at__gte=started
            ).duration_s
            fraction /= 2
            worker.wait_idle(job_timeout, f"trial {trial}: before the next attempt")
        else:
            pytest.fail(f"trial {trial}: every run finished before the kill")
        # when the worker is killed -9 in the middle of the run
        worker.kill()
        worker.start()
        # then the re-delivered task completes it, and the results equal a clean run's
        wait_for(
            lambda started=started: run_done_after(started),
            job_timeout,
            f"trial {trial}: the re-delivered run",
            every=0.5,
        )
        worker.wait_idle(job_timeout, f"trial {trial}: after the re-delivered run")
        runs = list(
            ScoreRun.objects.filter(branch=branch).values_list(
                "pk", "status", "started_at", "error"
            )
        )
        assert nightly_state(branch.pk, day) == expected, f"trial {trial}: {runs}"
