"""The database itself guards the ledger: no overdraft, no edits, no deletes."""

import datetime as dt

import pytest
from django.db import IntegrityError, connection, transaction
from django.db.utils import DatabaseError

from loyalty.models import PointsAccount, PointsEntry
from loyalty.selectors import points_balance


def entry(client, delta, kind="adjustment", key=None, dated=dt.date(2026, 1, 5)):
    return PointsEntry.objects.create(
        branch=client.branch,
        client=client,
        delta=delta,
        kind=kind,
        dated=dated,
        idempotency_key=key or f"test:{client.pk}:{PointsEntry.objects.count()}",
    )


@pytest.fixture
def client_(make, branch, advisor):
    return make.Client(branch=branch, advisor=advisor)


def test_balance_is_the_sum_of_entries(client_):
    entry(client_, 100)
    entry(client_, -30)
    entry(client_, 5)
    assert points_balance(client=client_) == 75


def test_an_entry_that_would_overdraw_is_refused_by_the_database(client_):
    # given
    entry(client_, 100)
    # when / then: written straight to the table, no service in the way
    with pytest.raises(IntegrityError), transaction.atomic():
        entry(client_, -101)
    assert points_balance(client=client_) == 100


def test_a_first_entry_cannot_be_negative(client_):
    with pytest.raises(IntegrityError), transaction.atomic():
        entry(client_, -1)
    assert not PointsAccount.objects.filter(client=client_).exists()


def test_the_same_idempotency_key_is_written_once(client_):
    entry(client_, 10, key="same")
    with pytest.raises(IntegrityError), transaction.atomic():
        entry(client_, 10, key="same")
    assert points_balance(client=client_) == 10


def test_ledger_rows_cannot_be_updated(client_):
    e = entry(client_, 100)
    with pytest.raises(DatabaseError), transaction.atomic():
        PointsEntry.objects.filter(pk=e.pk).update(delta=1000)
    assert PointsEntry.objects.get(pk=e.pk).delta == 100


@pytest.mark.postgres
def test_ledger_rows_cannot_be_deleted_on_postgres(client_):
    e = entry(client_, 100)
    with pytest.raises(DatabaseError), transaction.atomic():
        PointsEntry.objects.filter(pk=e.pk).delete()
    assert PointsEntry.objects.filter(pk=e.pk).exists()


def test_a_balance_cannot_be_edited_by_hand(client_):
    entry(client_, 100)
    with pytest.raises(DatabaseError), transaction.atomic():
        PointsAccount.objects.filter(client=client_).update(balance=10_000)
    with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as c:
        c.execute(
            "UPDATE loyalty_pointsaccount SET balance = 5 WHERE client_id = %s",
            [client_.pk],
        )
    assert points_balance(client=client_) == 100
