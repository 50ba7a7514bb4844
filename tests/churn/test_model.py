"""The churn model (SPEC §3.3): trained on the branch's history, honestly validated,
measured against the hand weights, and used by the nightly run only when it wins."""

import datetime as dt
import io
import logging
from decimal import Decimal

import numpy as np
import pandas as pd
import pytest
from django.core.management import call_command

from churn.learning import split, top_share_caught
from churn.models import ChurnModel, ChurnScoring, HandReason
from churn.services import churn_model_train
from churn.training import labelled_snapshots, month_ends, training_set
from clients.models import Account, Balance, CashFlow, Client, Feedback, Interaction
from nightly.services import nightly_run
from tiers.models import ClientScore
from tiers.policy import Policy

from .history import END, START, plant_history


def test_month_ends_and_labelled_snapshots():
    assert month_ends(dt.date(2025, 1, 31), dt.date(2025, 4, 29)) == [
        dt.date(2025, 1, 31),
        dt.date(2025, 2, 28),
        dt.date(2025, 3, 31),
    ]
    # Only month ends whose 90 following days are inside the data.
    snaps = labelled_snapshots(dt.date(2025, 1, 1), dt.date(2025, 12, 31))
    assert snaps[0] == dt.date(2025, 1, 31)
    assert snaps[-1] == dt.date(2025, 9, 30)
    assert labelled_snapshots(None, None) == []


def test_split_is_by_time_with_the_outcome_window_between():
    snaps = month_ends(dt.date(2024, 1, 1), dt.date(2025, 12, 31))
    train, validation = split(snaps, 90)
    assert validation == snaps[-6:]
    assert max(train) + dt.timedelta(days=90) <= min(validation)
    assert len(train) == 16  # Jan 2024 … Apr 2025: each outcome known by Jul 31


def test_top_share_caught_splits_ties_in_proportion():
    y = np.array([1, 0, 0, 0, 0, 0, 0, 0, 0, 1])
    # Every score tied: the top 10% catches 10% of the churners.
    assert top_share_caught(y, np.zeros(10)) == pytest.approx(0.1)
    assert top_share_caught(y, np.arange(10.0)) == pytest.approx(0.5)


@pytest.mark.django_db
def test_with_a_planted_signal_the_model_beats_the_hand_weights(branch):
    plant_history(branch, signal=True)
    model = churn_model_train(branch=branch)
    assert model.snapshots == len(labelled_snapshots(START, END)) - 1  # biweekly
    assert model.positives >= 50
    assert model.auc_model > model.auc_hand + 0.1
    assert model.auc_model > 0.65
    assert model.accepted and model.reason == HandReason.NONE
    assert model.metrics["model"]["top10"] > model.metrics["hand"]["top10"]
    assert model.validation_from > model.first_snapshot
    names = [row["feature"] for row in model.metrics["importances"][:3]]
    assert {"days_since_contact", "contacts_90"} & set(names)
    # The nightly run now scores with it and records it.
    run = nightly_run(branch=branch, as_of=END)
    assert ChurnScoring.objects.get(run=run).model == model
    risks = ClientScore.objects.filter(run=run, is_open=True).values_list(
        "churn_risk", flat=True
    )
    assert all(0 <= r <= 100 for r in risks)
    assert len(set(risks)) > 10


@pytest.mark.django_db
def test_with_no_signal_the_auc_is_about_half_and_the_hand_weights_stay(branch):
    plant_history(branch, signal=False, seed=11)
    model = churn_model_train(branch=branch)
    assert model.positives >= 50
    assert abs(model.auc_model - 0.5) < 0.1
    assert not model.accepted
    assert model.reason in (HandReason.NOT_CLEAR, HandReason.NOT_BETTER)
    run = nightly_run(branch=branch, as_of=END)
    assert ChurnScoring.objects.get(run=run).model is None


@pytest.mark.django_db
def test_too_few_churners_keep_the_hand_weights(branch):
    plant_history(branch, signal=True)
    from tiers.services import scoring_policy_save

    scoring_policy_save(branch=branch, data={"churn": {"model_min_positives": 100_000}})
    model = churn_model_train(branch=branch)
    assert not model.accepted
    assert model.reason == HandReason.FEW_CHURNERS
    assert model.policy_version == 1


@pytest.mark.django_db
def test_no_history_keeps_the_hand_weights(branch, make):
    make.Balance(account=make.Account(client__branch=branch), date=dt.date(2026, 1, 5))
    model = churn_model_train(branch=branch)
    assert model.reason == HandReason.NO_HISTORY and not model.accepted
    assert model.snapshots == 0


@pytest.mark.django_db
def test_data_after_a_snapshot_does_not_change_its_training_features(branch):
    clients = plant_history(branch, clients=120, signal=True)
    snapshot = dt.date(2025, 9, 30)
    policy = Policy()
    before = training_set(branch.pk, [snapshot], policy)
    later = snapshot + dt.timedelta(days=1)
    account = Account.objects.filter(client__branch=branch).order_by("pk")
    open_clients = [c for c in clients if c.closed_at is None or c.closed_at > later]
    for i, client in enumerate(open_clients[:40]):
        acc = account.get(client=client)
        Balance.objects.create(
            account=acc,
            date=later,
            cash=Decimal("1"),
            market_value=Decimal("1"),
            total_assets=Decimal("2"),
        )
        CashFlow.objects.create(
            branch=branch,
            account=acc,
            flow_id=f"LATE{i}",
            date=later + dt.timedelta(days=i % 5),
            type="custody_out",
            amount=Decimal("50000"),
        )
        Interaction.objects.create(
            branch=branch,
            interaction_id=f"LATE{i}",
            client=client,
            date=later,
            channel="complaint",
            minutes=5,
        )
        Feedback.objects.create(
            branch=branch,
            feedback_id=f"LATE{i}",
            client=client,
            date=later,
            topic="satisfaction",
            score=1,
        )
    Client.objects.filter(pk__in=[c.pk for c in open_clients[:20]]).update(
        closed_at=later + dt.timedelta(days=3)
    )
    after = training_set(branch.pk, [snapshot], policy)
    np.testing.assert_array_equal(before.client, after.client)
    pd.testing.assert_frame_equal(before.matrix, after.matrix)
    np.testing.assert_array_equal(before.hand, after.hand)
    # Only the labels know the future.
    assert after.label.sum() > before.label.sum()


@pytest.mark.django_db
def test_a_model_that_fails_to_load_falls_back_to_the_hand_weights(branch, caplog):
    plant_history(branch, clients=200, signal=True)
    model = churn_model_train(branch=branch)
    assert model.accepted
    ChurnModel.objects.filter(pk=model.pk).update(estimator=b"not a model")
    with caplog.at_level(logging.WARNING, logger="churn.services"):
        run = nightly_run(branch=branch, as_of=END)
    scoring = ChurnScoring.objects.get(run=run)
    assert scoring.model is None
    assert f"v{model.version}" in scoring.fallback
    assert any("hand weights" in r.getMessage() for r in caplog.records)
    assert run.status == "done"


@pytest.mark.django_db
def test_train_command_ends_with_the_result_line(branch):
    plant_history(branch, clients=200, signal=True)
    out = io.StringIO()
    call_command("train_churn_model", "--branch", branch.code, stdout=out)
    last = out.getvalue().strip().splitlines()[-1]
    model = ChurnModel.objects.get(branch=branch)
    assert last == (
        f"RESULT branch={branch.code} model={model.version} "
        f"snapshots={model.snapshots} positives={model.positives} "
        f"auc_model={model.auc_model:.4f} auc_hand={model.auc_hand:.4f}"
    )


@pytest.mark.django_db
def test_export_churn_format(branch, make, tmp_path):
    plant_history(branch, clients=200, signal=True)
    make.Client(branch=branch, client_no="ZPROSPECT", opened_at=None)
    model = churn_model_train(branch=branch)
    assert model.accepted
    path = tmp_path / "churn.csv"
    call_command(
        "export_churn",
        "--date",
        END.isoformat(),
        "--branch",
        branch.code,
        "--output",
        str(path),
        stderr=io.StringIO(),
    )
    lines = path.read_text(encoding="utf-8").splitlines()
    assert lines[0] == "client_no,churn_risk,model"
    rows = [line.split(",") for line in lines[1:]]
    assert len(rows) == Client.objects.filter(branch=branch).count()
    assert [r[0] for r in rows] == sorted(r[0] for r in rows)
    closed = set(
        Client.objects.filter(branch=branch, closed_at__lte=END).values_list(
            "client_no", flat=True
        )
    )
    for client_no, risk, used in rows:
        if client_no in closed or client_no == "ZPROSPECT":
            assert (risk, used) == ("", "")
        else:
            assert used == str(model.version)
            assert len(risk.split(".")[1]) == 1
            assert 0 <= float(risk) <= 100


@pytest.mark.django_db
def test_export_churn_names_hand_and_rejects_unknown_branch(branch, make):
    make.Balance(account=make.Account(client__branch=branch), date=dt.date(2026, 1, 5))
    out = io.StringIO()
    call_command(
        "export_churn",
        "--date",
        "2026-01-05",
        "--branch",
        branch.code,
        stdout=out,
        stderr=io.StringIO(),
    )
    lines = out.getvalue().splitlines()
    assert lines[1].endswith(",hand")
    from django.core.management.base import CommandError

    with pytest.raises(CommandError, match="--branch"):
        call_command("export_churn", "--date", "2026-01-05", "--branch", "NOPE")
    with pytest.raises(CommandError, match="--date"):
        call_command("export_churn", "--date", "2026-13-05", "--branch", branch.code)


@pytest.mark.django_db
def test_the_weekly_job_trains_every_branch(branch, other_branch):
    from django.conf import settings

    from brokercrm.celery import app
    from churn.tasks import churn_models_train_task

    entry = settings.CELERY_BEAT_SCHEDULE["weekly-churn-model"]
    assert entry["task"] == "churn.tasks.churn_models_train_task"
    assert entry["task"] in app.tasks
    assert entry["schedule"].day_of_week == {0}  # Sunday
    plant_history(branch, clients=120)
    assert churn_models_train_task.delay().get() == 2
    trained = ChurnModel.objects.get(branch=branch)
    assert trained.snapshots > 10 and trained.metrics["model"]["roc_auc"]
    assert ChurnModel.objects.get(branch=other_branch).reason == HandReason.NO_HISTORY
