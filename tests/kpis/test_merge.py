"""Duplicate detection and merge (SPEC §7): every row moves, none is lost or doubled."""

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from churn.models import ChurnFlag
from clients.models import (
    Account,
    Balance,
    CashFlow,
    Client,
    Feedback,
    Interaction,
    Position,
    Task,
    Trade,
)
from kpis.models import ClientAssignment, ClientMerge
from kpis.selectors import duplicate_groups
from kpis.services import client_merge, clients_reassign
from loyalty.models import PointsEntry
from loyalty.selectors import points_balance

TABLES = {
    "accounts": (Account, "client"),
    "trades": (Trade, "account__client"),
    "balances": (Balance, "account__client"),
    "positions": (Position, "account__client"),
    "cash_flows": (CashFlow, "account__client"),
    "interactions": (Interaction, "client"),
    "feedback": (Feedback, "client"),
    "tasks": (Task, "client"),
    "churn_flags": (ChurnFlag, "client"),
    "assignments": (ClientAssignment, "client"),
}


def held(client) -> dict:
    return {
        name: model.objects.filter(**{path: client}).count()
        for name, (model, path) in TABLES.items()
    }


def totals() -> dict:
    return {name: model.objects.count() for name, (model, _p) in TABLES.items()}


def points(client, delta, key):
    PointsEntry.objects.create(
        branch=client.branch,
        client=client,
        delta=delta,
        kind="activity",
        dated=dt.date(2026, 6, 1),
        expires_at=dt.date(2028, 6, 1),
        idempotency_key=key,
    )


def fill(client, make, n):
    """n of everything, and one open OUTFLOW flag and generated task each."""
    for i in range(n):
        account = make.Account(client=client)
        make.Trade(account=account)
        make.Balance(account=account)
        make.Position(account=account)
        make.CashFlow(account=account)
        make.Interaction(client=client)
        make.Feedback(client=client)
        Task.objects.create(
            branch=client.branch, client=client, kind="manual", title=f"Call {i}"
        )
    ChurnFlag.objects.create(
        branch=client.branch, client=client, code="OUTFLOW", raised_on=dt.date.today()
    )
    Task.objects.create(
        branch=client.branch, client=client, kind="churn", code="OUTFLOW", title="x"
    )


@pytest.fixture
def pair(branch, advisor, colleague, make):
    kept = make.Client(
        branch=branch,
        advisor=advisor,
        client_no="K1",
        name="Wang Fang",
        id_number="110101199001011234",
        phone="13800005678",
    )
    merged = make.Client(
        branch=branch,
        advisor=colleague,
        client_no="M1",
        name="Wang Fang",
        id_number="110101199001011234",
        phone="13900001111",
    )
    fill(kept, make, 2)
    fill(merged, make, 3)
    make.Client(branch=branch, referred_by=merged, client_no="R1")
    points(kept, 100, "k")
    points(merged, 250, "m")
    return kept, merged


@pytest.mark.django_db
def test_duplicates_are_found_by_id_number_or_phone_and_name(
    pair, manager_user, make, branch
):
    make.Client(branch=branch, name="Li Lei", phone="13700000000", client_no="P1")
    make.Client(branch=branch, name="Li Lei", phone="13700000000", client_no="P2")
    make.Client(branch=branch, name="Other", phone="13700000000", client_no="P3")

    groups = duplicate_groups(user=manager_user)

    found = {(tuple(reasons), tuple(c.client_no for c in g)) for reasons, g in groups}
    assert found == {(("id_number",), ("K1", "M1")), (("phone_name",), ("P1", "P2"))}


@pytest.mark.django_db
def test_a_pair_sharing_id_number_phone_and_name_is_listed_once(
    manager_user, make, branch, django_assert_max_num_queries
):
    for no in ("D1", "D2"):
        make.Client(
            branch=branch,
            name="Han Mei",
            phone="13600000000",
            id_number="110101199001019999",
            client_no=no,
        )

    with django_assert_max_num_queries(4):  # whatever the number of clients
        groups = duplicate_groups(user=manager_user)

    assert [(r, [c.client_no for c in g]) for r, g in groups] == [
        (["id_number", "phone_name"], ["D1", "D2"])
    ]


@pytest.mark.django_db
def test_merge_moves_every_row_and_loses_or_doubles_nothing(pair, manager_user):
    kept, merged = pair
    before_kept, before_merged, before_all = held(kept), held(merged), totals()
    balance = points_balance(client=kept) + points_balance(client=merged)

    # when
    record = client_merge(user=manager_user, kept=kept, merged=merged)

    # then: every table holds as many rows as before, all of them the kept client's
    assert totals() == before_all
    assert held(kept) == {k: before_kept[k] + before_merged[k] for k in TABLES}
    assert all(n == 0 for n in held(merged).values())
    assert points_balance(client=kept) == balance == 350
    assert points_balance(client=merged) == 0
    assert Client.objects.get(client_no="R1").referred_by == kept
    # both had OUTFLOW open: one stays open, the duplicate is closed, not doubled
    assert ChurnFlag.objects.filter(client=kept, status="open").count() == 1
    assert Task.objects.filter(client=kept, status="open", kind="churn").count() == 1
    # the record of the merged client
    merged.refresh_from_db()
    assert (merged.advisor, merged.opened_at) == (None, None)
    assert record.snapshot["client_no"] == "M1"
    assert record.snapshot["id_number"] == "110***********1234"  # masked only
    assert record.moved["accounts"] == 3
    assert ClientMerge.objects.get().merged_by == manager_user
    assert duplicate_groups(user=manager_user) == []


@pytest.mark.django_db
def test_a_failed_merge_changes_nothing(pair, manager_user, monkeypatch):
    kept, merged = pair
    before = (held(kept), held(merged), totals())

    def boom(**kwargs):
        raise RuntimeError("points ledger unavailable")

    monkeypatch.setattr("kpis.services.points_merge", boom)
    with pytest.raises(RuntimeError):
        client_merge(user=manager_user, kept=kept, merged=merged)

    assert (held(kept), held(merged), totals()) == before
    assert not ClientMerge.objects.exists()


@pytest.mark.django_db
def test_who_may_merge_and_what(pair, advisor, head_office_user, manager_user, make):
    kept, merged = pair
    for user in (advisor.user, head_office_user):
        with pytest.raises(PermissionDenied):
            client_merge(user=user, kept=kept, merged=merged)
    with pytest.raises(ValidationError):
        client_merge(user=manager_user, kept=kept, merged=kept)
    other = make.Client()  # another branch
    with pytest.raises(ValidationError):
        client_merge(user=manager_user, kept=kept, merged=other)
    client_merge(user=manager_user, kept=kept, merged=merged)
    with pytest.raises(ValidationError):
        client_merge(user=manager_user, kept=kept, merged=merged)


@pytest.mark.django_db
def test_merge_pages_preview_then_confirm(client, pair, manager_user, colleague):
    kept, merged = pair
    clients_reassign(
        user=manager_user,
        client_ids=[merged.pk],
        to_advisor_id=colleague.pk,
        reason="x",
    )
    client.force_login(manager_user)
    listing = client.get("/kpi/duplicates/").content.decode()
    assert "110***********1234" in listing
    assert "110101199001011234" not in listing

    preview = client.get(f"/kpi/duplicates/merge/?keep={kept.pk}&merge={merged.pk}")
    text = preview.content.decode()
    assert 'data-table="accounts"' in text
    assert not ClientMerge.objects.exists()

    response = client.post(
        "/kpi/duplicates/merge/confirm/", {"keep": kept.pk, "merge": merged.pk}
    )
    assert response.status_code == 302
    assert ClientMerge.objects.filter(kept=kept, merged=merged).exists()
    assert Account.objects.filter(client=kept).count() == 5


@pytest.mark.django_db
def test_clients_of_another_branch_cannot_be_merged_through_the_page(
    client, pair, make, other_branch
):
    kept, merged = pair
    stranger = make.User(username="m3", role="manager", branch=other_branch)
    client.force_login(stranger)

    response = client.get(f"/kpi/duplicates/merge/?keep={kept.pk}&merge={merged.pk}")

    assert response.status_code == 404
