"""Policy versions in the admin, the selectors other apps read, the Celery doors."""

import datetime as dt
import json

import pytest

from nightly.services import nightly_run
from nightly.tasks import nightly_scores_task
from tiers.forms import ScoringPolicyForm
from tiers.models import ClientScore, RunStatus, ScoreRun, ScoringPolicy
from tiers.policy import Policy
from tiers.selectors import client_scores_latest, latest_tiers, policy_for
from tiers.services import scoring_policy_save

D = dt.date(2026, 6, 30)


@pytest.mark.django_db
def test_policy_versions_and_the_run_records_the_one_used(branch, advisor, make):
    # given a client with 600,000 of assets and a policy that moves "large" down
    client = make.Client(branch=branch, advisor=advisor)
    make.Balance(account=make.Account(client=client), date=D, market_value=600_000)
    assert policy_for(branch=branch) == (None, Policy())
    nightly_run(branch=branch, as_of=D)
    assert latest_tiers([client.pk]) == {client.pk: "medium"}

    # when
    scoring_policy_save(branch=branch, data={"tier": {"large": 500_000}})
    run = nightly_run(branch=branch, as_of=D)

    # then
    version, policy = policy_for(branch=branch)
    assert (version, policy.tier.large) == (1, 500_000)
    assert run.policy_version == 1
    assert latest_tiers([client.pk]) == {client.pk: "large"}
    scoring_policy_save(branch=branch, data={})
    assert policy_for(branch=branch) == (2, Policy())


@pytest.mark.django_db
def test_admin_form_validates_and_saving_a_change_adds_a_version(
    admin_client, branch, admin_user
):
    bad = ScoringPolicyForm(
        data={"branch": branch.pk, "data": json.dumps({"tier": {"huge": 1}})}
    )
    assert not bad.is_valid()
    assert "unknown tier settings: huge" in str(bad.errors)
    wrong_type = ScoringPolicyForm(
        data={"branch": branch.pk, "data": json.dumps({"tier": {"large": "x"}})}
    )
    assert not wrong_type.is_valid()

    admin_client.force_login(admin_user)
    url = "/admin/tiers/scoringpolicy/add/"
    data = {"branch": branch.pk, "data": json.dumps({"tier": {"large": 2e6}})}
    assert admin_client.post(url, data).status_code == 302
    first = ScoringPolicy.objects.get()
    change = f"/admin/tiers/scoringpolicy/{first.pk}/change/"
    data["data"] = json.dumps({"tier": {"large": 3e6}})
    assert admin_client.post(change, data).status_code == 302

    versions = list(ScoringPolicy.objects.order_by("version"))
    assert [(p.version, p.data["tier"]["large"]) for p in versions] == [
        (1, 2e6),
        (2, 3e6),
    ]
    assert admin_client.post(change, {**data, "data": "{]"}).status_code == 200
    assert ScoringPolicy.objects.count() == 2


@pytest.mark.django_db
def test_client_scores_latest_reads_the_latest_run_on_or_before(branch, make):
    make.Client(branch=branch)
    nightly_run(branch=branch, as_of=D - dt.timedelta(days=1))
    nightly_run(branch=branch, as_of=D)

    assert {s.date for s in client_scores_latest(branch_id=branch.pk)} == {D}
    earlier = client_scores_latest(branch_id=branch.pk, as_of=D - dt.timedelta(days=1))
    assert {s.date for s in earlier} == {D - dt.timedelta(days=1)}
    assert not client_scores_latest(branch_id=branch.pk, as_of=D.replace(year=2020))
    row = earlier.values(
        "client_id",
        "date",
        "tier",
        "segment",
        "value_score",
        "contribution_score",
        "loyalty_type",
    ).get()
    assert row["segment"] == "core"  # alone, the client ranks 100 on everything


@pytest.mark.django_db
def test_nightly_task_fans_out_one_run_per_branch(branch, other_branch, make):
    make.Client(branch=branch)
    make.Client(branch=other_branch)

    assert nightly_scores_task.delay(D.isoformat()).get() == 2

    runs = ScoreRun.objects.filter(status=RunStatus.DONE, date=D)
    assert {r.branch_id for r in runs} == {branch.pk, other_branch.pk}
    assert ClientScore.objects.count() == 2


def test_beat_runs_the_nightly_scores_at_two():
    from django.conf import settings

    from brokercrm.celery import app

    entry = settings.CELERY_BEAT_SCHEDULE["nightly-scores"]
    assert entry["task"] == "nightly.tasks.nightly_scores_task"
    assert (entry["schedule"].hour, entry["schedule"].minute) == ({2}, {0})
    assert entry["task"] in app.tasks
