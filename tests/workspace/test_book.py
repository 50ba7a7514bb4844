"""The book: the shared FilterSet over the clients in scope with their current scores."""

from datetime import date

import pytest
from rest_framework.test import APIClient

from tiers.models import ClientScore, RunStatus, ScoreRun
from workspace.filters import ClientFilterSet
from workspace.selectors import book_list


def _run(branch, day, rows):
    run = ScoreRun.objects.create(branch=branch, date=day, status=RunStatus.DONE)
    for client, values in rows.items():
        ClientScore.objects.create(
            run=run, branch=branch, date=day, client=client, is_open=True, **values
        )
    return run


@pytest.fixture
def book(advisor, colleague, make):
    branch = advisor.branch
    a = make.Client(
        branch=branch, advisor=advisor, name="Core one", phone="13800000001"
    )
    b = make.Client(branch=branch, advisor=advisor, name="Quiet one")
    c = make.Client(branch=branch, advisor=colleague, name="Not mine")
    # An older run says otherwise: only the latest counts.
    _run(branch, date(2026, 10, 1), {a: {"segment": "dormant"}, b: {"segment": "core"}})
    _run(
        branch,
        date(2026, 11, 1),
        {
            a: {
                "segment": "core",
                "tier": "large",
                "value_score": 91.5,
                "churn_flags": "OUTFLOW",
                "churn_risk": 70.0,
                "features": {"assets": 2_000_000},
            },
            b: {
                "segment": "precipitating",
                "tier": "small",
                "value_score": 12.0,
                "features": {"assets": 5_000},
            },
            c: {"segment": "core", "tier": "large", "value_score": 99.0},
        },
    )
    return a, b, c


def _filter(user, **params):
    return list(ClientFilterSet(params, queryset=book_list(user=user)).qs)


def test_filters_use_the_latest_run_and_the_scope(book, advisor):
    a, b, c = book
    user = advisor.user
    assert _filter(user, segment=["core"]) == [a]
    assert _filter(user, tier=["small"]) == [b]
    assert _filter(user, flag="any") == [a]
    assert _filter(user, flag="OUTFLOW") == [a]
    assert _filter(user, flag="DORMANT") == []
    assert _filter(user, q="13800000001") == [a]
    assert _filter(user, q="Not mine") == []
    assert _filter(user, ordering="-value_score") == [a, b]
    assert _filter(user, ordering="assets") == [b, a]


def test_the_api_lists_the_same_rows_with_scores(
    book, advisor, django_assert_max_num_queries
):
    a, b, c = book
    api = APIClient()
    api.force_authenticate(advisor.user)
    with django_assert_max_num_queries(8):
        rows = api.get("/api/v1/clients/", {"segment": "core"}).json()["results"]
    assert [
        (r["name"], r["tier"], r["value_score"], r["flag_codes"]) for r in rows
    ] == [("Core one", "large", 91.5, "OUTFLOW")]
    assert api.get("/api/v1/clients/", {"tier": "nonsense"}).status_code == 400
