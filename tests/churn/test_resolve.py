"""An advisor resolves a churn flag from the client page; the lifecycle holds."""

import datetime as dt

import pytest
from django.core.exceptions import ValidationError

from churn.models import ChurnFlag, FlagStatus
from churn.services import churn_flag_resolve
from clients.models import Task, TaskStatus
from nightly.services import nightly_run

D = dt.date(2026, 6, 30)


@pytest.fixture
def complaining_client(branch, advisor, make):
    client = make.Client(branch=branch, advisor=advisor, client_no="C1")
    make.Interaction(client=client, date=D - dt.timedelta(days=3), channel="complaint")
    return client


@pytest.mark.django_db
def test_resolve_closes_flag_and_its_task_then_it_may_be_raised_again(
    branch, advisor, complaining_client
):
    # given a flag raised by the nightly run
    nightly_run(branch=branch, as_of=D)
    flag = ChurnFlag.objects.get(client=complaining_client)
    assert Task.objects.get(kind="churn").status == TaskStatus.OPEN

    # when the advisor resolves it
    churn_flag_resolve(
        user=advisor.user, flag_id=flag.pk, outcome="retained", note="called"
    )

    # then it is closed with its task, and the next night raises it again
    flag.refresh_from_db()
    assert (flag.status, flag.outcome, flag.resolved_by) == (
        FlagStatus.RESOLVED,
        "retained",
        advisor.user,
    )
    assert Task.objects.get(kind="churn").status == TaskStatus.DONE
    nightly_run(branch=branch, as_of=D + dt.timedelta(days=1))
    assert ChurnFlag.objects.filter(status=FlagStatus.OPEN).count() == 1
    assert ChurnFlag.objects.count() == 2


@pytest.mark.django_db
def test_resolve_refuses_unknown_outcome_twice_and_strangers(
    branch, advisor, colleague, complaining_client
):
    nightly_run(branch=branch, as_of=D)
    flag = ChurnFlag.objects.get()

    with pytest.raises(ValidationError):
        churn_flag_resolve(user=advisor.user, flag_id=flag.pk, outcome="maybe")
    with pytest.raises(ChurnFlag.DoesNotExist):
        churn_flag_resolve(user=colleague.user, flag_id=flag.pk, outcome="lost")
    churn_flag_resolve(user=advisor.user, flag_id=flag.pk, outcome="lost")
    with pytest.raises(ValidationError):
        churn_flag_resolve(user=advisor.user, flag_id=flag.pk, outcome="lost")


@pytest.mark.django_db
def test_client_page_shows_scores_why_and_resolves_a_flag(
    client, branch, advisor, colleague, complaining_client
):
    # given
    nightly_run(branch=branch, as_of=D)
    flag = ChurnFlag.objects.get()
    client.force_login(advisor.user)

    # when
    page = client.get(f"/clients/{complaining_client.pk}/").content.decode()

    # then
    assert "Dissatisfied" in page
    assert "Manager follow-up" in page
    assert "Value " in page and "commission rank" in page
    assert f"/flags/{flag.pk}/resolve/" in page

    response = client.post(
        f"/churn/flags/{flag.pk}/resolve/", {"outcome": "not_a_risk", "note": ""}
    )
    assert response.status_code == 302
    flag.refresh_from_db()
    assert flag.outcome == "not_a_risk"

    # a colleague cannot resolve (or even see) it
    client.force_login(colleague.user)
    assert client.post(f"/churn/flags/{flag.pk}/resolve/", {}).status_code == 404
