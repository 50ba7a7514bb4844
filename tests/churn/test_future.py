"""The churn risk judged on the future, not on its own validation: a branch whose last
90 days we know but did not import, scored by `export_churn` as of the cut."""

import datetime as dt
import io

import pandas as pd
import pytest
from django.core.management import call_command

from churn.learning import measure
from churn.training import churn_events, labels, snapshot_features
from clients.models import Balance, Client, Interaction
from tiers.policy import Policy

from .history import END, plant_history


@pytest.mark.django_db
def test_exported_risk_beats_the_hand_weights_on_the_next_90_days(branch):
    # given a branch with a planted signal, of which we hold the last 90 days out
    plant_history(branch, clients=360, signal=True)
    cut = END - dt.timedelta(days=90)
    features, _, _ = snapshot_features(branch.pk, cut, Policy())
    open_ids = features.index[features["is_open"].astype(bool)]
    closed, outs = churn_events(branch.pk)
    outcome = labels(open_ids, cut, closed, outs).astype(int)
    assert outcome.sum() >= 15
    Balance.objects.filter(account__branch=branch, date__gt=cut).delete()
    Interaction.objects.filter(branch=branch, date__gt=cut).delete()
    Client.objects.filter(branch=branch, closed_at__gt=cut).update(closed_at=None)
    # when the branch trains on what it has and exports the risk of the cut's run
    call_command("train_churn_model", "--branch", branch.code, stdout=io.StringIO())
    out = io.StringIO()
    call_command(
        "export_churn",
        "--date",
        cut.isoformat(),
        "--branch",
        branch.code,
        stdout=out,
        stderr=io.StringIO(),
    )
    out.seek(0)
    exported = pd.read_csv(out, dtype={"client_no": str, "model": str})
    # then its risk ranks the clients who then left above the hand weights' risk
    features, _, hand = snapshot_features(branch.pk, cut, Policy())
    numbers = features.loc[open_ids, "client_no"]
    risk = exported.set_index("client_no").loc[numbers]
    assert (risk["model"] != "hand").all()
    model_auc = measure(outcome, risk["churn_risk"].to_numpy())["roc_auc"]
    hand_auc = measure(outcome, hand[open_ids].to_numpy())["roc_auc"]
    assert model_auc > hand_auc + 0.1, (model_auc, hand_auc)
