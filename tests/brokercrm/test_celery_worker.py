"""A real Celery worker, over Redis, runs a task against the real database."""

import datetime as dt
import os
import subprocess
import sys
import uuid
from pathlib import Path

import pytest
from django.db import connection

from brokercrm.celery import app
from clients.models import TradeDay
from clients.tasks import trade_days_refresh_task

ROOT = Path(__file__).resolve().parents[2]

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.skipif(not os.environ.get("REDIS_URL"), reason="needs REDIS_URL"),
]


@pytest.fixture
def worker(transactional_db):
    """A worker process on a queue of its own, reading this test's database."""
    queue = f"test-{uuid.uuid4().hex[:8]}"
    db = connection.settings_dict
    env = dict(
        os.environ,
        DATABASE_URL=(
            f"postgres://{db['USER']}:{db['PASSWORD']}@{db['HOST']}:{db['PORT']}/{db['NAME']}"
        ),
        DJANGO_SETTINGS_MODULE="brokercrm.settings",
    )
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "brokercrm",
            "worker",
            "--pool",
            "solo",
            "-Q",
            queue,
            "--loglevel",
            "WARNING",
            "--without-heartbeat",
            "--without-gossip",
            "--without-mingle",
        ],
        cwd=ROOT,
        env=env,
    )
    broker = os.environ["REDIS_URL"]
    previous = (
        app.conf.task_always_eager,
        app.conf.broker_url,
        app.conf.result_backend,
    )
    app.conf.update(task_always_eager=False, broker_url=broker, result_backend=broker)
    try:
        yield queue
    finally:
        app.conf.update(
            task_always_eager=previous[0],
            broker_url=previous[1],
            result_backend=previous[2],
        )
        process.terminate()
        process.wait(timeout=30)


def test_worker_runs_a_task_on_the_database(worker, make):
    # given two trades on one account and day, committed
    account = make.Account()
    day = dt.date(2026, 3, 2)
    make.Trade(account=account, trade_date=day, commission=5)
    make.Trade(account=account, trade_date=day, commission=7)
    # when the worker rebuilds the daily totals
    result = trade_days_refresh_task.apply_async(
        args=[account.branch_id, [day.isoformat()]], queue=worker
    )
    written = result.get(timeout=90)
    # then the totals are in the database
    assert written == 1
    totals = TradeDay.objects.get(account=account, date=day)
    assert (totals.trades, totals.commission) == (2, 12)
