"""Runs and batches left "running" by a dead process (issue #8 finding 10), and
redemption idempotency keys scoped to the branch."""

import datetime as dt
import os
import signal
import subprocess
import sys
import time

import pytest
from django.conf import settings
from django.db import connection
from django.utils import timezone

from imports.models import BatchStatus, ImportBatch
from imports.services import batches_expire, import_file
from loyalty.models import CatalogueItem, PointsEntry
from loyalty.services import redemption_create
from nightly.services import nightly_run
from tiers.models import RunStatus, ScoreRun
from tiers.services import runs_expire

D = dt.date(2026, 6, 30)
LEASE = dt.timedelta(seconds=settings.JOB_LEASE_SECONDS)

BEATING = """
import time
import django
django.setup()
from brokercrm.db import Heartbeat
from {app}.models import {model}
Heartbeat({model}, {pk}, every=0.1).__enter__()
print("beating", flush=True)
time.sleep(600)
"""


def beat_in_a_process(model, pk):
    """A real process keeping the row's lease, as a worker running the job does."""
    db = connection.settings_dict
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "brokercrm.settings_test",
        "DATABASE_URL": (
            f"postgres://{db['USER']}:{db['PASSWORD']}@{db['HOST'] or '127.0.0.1'}:"
            f"{db['PORT'] or 5432}/{db['NAME']}"
        ),
    }
    code = BEATING.format(app=model._meta.app_label, model=model.__name__, pk=pk)
    process = subprocess.Popen(
        [sys.executable, "-c", code],
        cwd=settings.BASE_DIR,
        env=env,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert process.stdout.readline().strip() == "beating"
    except BaseException:
        process.kill()
        process.wait()
        raise
    return process


def wait_for_a_beat(model, pk, after):
    for _ in range(300):
        beat = model.objects.get(pk=pk).heartbeat_at
        if beat is not None and beat > after:
            return beat
        time.sleep(0.05)
    raise AssertionError("no heartbeat")


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_batch_whose_process_is_killed_is_marked_failed_then_imports_again(
    branch, tmp_path
):
    path = tmp_path / "securities.csv"
    path.write_text("code,name,kind\n600519,Moutai,stock\n", encoding="utf-8")
    started = timezone.now() - dt.timedelta(hours=1)
    batch = ImportBatch.objects.create(
        branch=branch,
        kind="securities",
        file_name="securities.csv",
        file_path=str(path),
        status=BatchStatus.RUNNING,
        started_at=started,
        heartbeat_at=started,
    )
    # given a worker running it, beating
    worker = beat_in_a_process(ImportBatch, batch.pk)
    try:
        beat = wait_for_a_beat(ImportBatch, batch.pk, after=started)
        # while it beats the batch is alive, however long it has been running
        assert batches_expire() == 0
        # when the worker is killed (SIGKILL: no chance to record anything)
        worker.send_signal(signal.SIGKILL)
        worker.wait(timeout=30)
    finally:
        if worker.poll() is None:
            worker.kill()
    batch.refresh_from_db()
    assert batch.status == BatchStatus.RUNNING
    # then once its lease has run out it is marked failed (pages, beat task)
    assert batches_expire(now=beat + LEASE - dt.timedelta(seconds=1)) == 0
    assert batches_expire(now=beat + LEASE + dt.timedelta(seconds=1)) == 1
    batch.refresh_from_db()
    assert batch.status == BatchStatus.FAILED and "again" in batch.message_text()
    # and the file imports again
    again = import_file(branch=branch, kind="securities", path=str(path))
    assert again.status == BatchStatus.DONE and again.rows_new == 1


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_run_whose_process_is_killed_is_marked_failed_then_runs_again(
    branch, advisor, make
):
    make.Client(branch=branch, advisor=advisor)
    started = timezone.now() - dt.timedelta(hours=1)
    dead = ScoreRun.objects.create(
        branch=branch, date=D, status=RunStatus.RUNNING, heartbeat_at=started
    )
    worker = beat_in_a_process(ScoreRun, dead.pk)
    try:
        beat = wait_for_a_beat(ScoreRun, dead.pk, after=started)
        assert runs_expire() == 0
        # a run of the same date started now leaves a live run alone
        worker.send_signal(signal.SIGKILL)
        worker.wait(timeout=30)
    finally:
        if worker.poll() is None:
            worker.kill()
    assert runs_expire(now=beat + LEASE + dt.timedelta(seconds=1)) == 1
    dead.refresh_from_db()
    assert dead.status == RunStatus.FAILED and "again" in dead.error
    # re-running the date succeeds and replaces the dead run
    run = nightly_run(branch=branch, as_of=D)
    assert run.status == RunStatus.DONE
    assert not ScoreRun.objects.filter(pk=dead.pk).exists()
    # the finished run keeps its lease stamp, and nothing is left running
    assert run.heartbeat_at is not None
    assert not ScoreRun.objects.filter(status=RunStatus.RUNNING).exists()


@pytest.mark.django_db
def test_redemption_keys_are_per_branch(advisor, other_branch, make):
    theirs = make.Advisor(branch=other_branch)
    mine = make.Client(branch=advisor.branch, advisor=advisor)
    far = make.Client(branch=other_branch, advisor=theirs)
    item = CatalogueItem.objects.create(code="seat", name="Seat", points_price=10)
    for n, client_ in enumerate((mine, far)):
        PointsEntry.objects.create(
            branch=client_.branch,
            client=client_,
            delta=100,
            kind="activity",
            dated=D,
            expires_at=D + dt.timedelta(days=700),
            idempotency_key=f"gift{n}",
        )
    first = redemption_create(
        user=advisor.user, client=mine, item=item, idempotency_key="k-1", on=D
    )
    # the same key in another branch is another request, not a replay nor a refusal
    second = redemption_create(
        user=theirs.user, client=far, item=item, idempotency_key="k-1", on=D
    )
    assert first.pk != second.pk
    assert (first.branch_id, second.branch_id) == (advisor.branch_id, other_branch.pk)
    # and within a branch the key still replays
    again = redemption_create(
        user=advisor.user, client=mine, item=item, idempotency_key="k-1", on=D
    )
    assert again.pk == first.pk
