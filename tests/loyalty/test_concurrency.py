"""Real concurrent redemptions on PostgreSQL: threads, each on its own connection."""

import datetime as dt
import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
from django.db import connection

from loyalty.models import CatalogueItem, PointsEntry, Redemption
from loyalty.selectors import points_balance
from loyalty.services import PointsError, points_accrue, redemption_create
from tests import factories
from tiers.policy import Policy

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def run_together(pool, n, work):
    """Start `n` calls of `work(i)` at the same instant; each returns or raises."""
    barrier = threading.Barrier(n)

    def call(i):
        barrier.wait()
        try:
            return work(i)
        except Exception as error:  # noqa: BLE001 - the caller inspects each outcome
            return error

    return list(pool.map(call, range(n)))


def close_connections(pool, n):
    barrier = threading.Barrier(n)

    def close(_):
        barrier.wait()  # one call per thread, so every thread closes its own
        connection.close()

    list(pool.map(close, range(n)))


@pytest.fixture
def setting(branch, advisor):
    item = CatalogueItem.objects.create(code="seat", name="Seat", points_price=100)
    return advisor, item


def fund(client, points):
    PointsEntry.objects.create(
        branch=client.branch,
        client=client,
        delta=points,
        kind="activity",
        dated=dt.date.today(),
        expires_at=dt.date.today() + dt.timedelta(days=700),
        idempotency_key=f"fund:{client.pk}",
    )


def test_50_concurrent_redemptions_never_overdraw(setting, branch):
    advisor, item = setting
    with ThreadPoolExecutor(max_workers=50) as pool:
        try:
            for round_ in range(20):
                # given: a balance that covers exactly 10 redemptions
                client = factories.ClientFactory(branch=branch, advisor=advisor)
                fund(client, 10 * item.points_price)
                # when: 50 redeem at once
                results = run_together(
                    pool,
                    50,
                    lambda i, c=client, r=round_: redemption_create(
                        user=advisor.user,
                        client=c,
                        item=item,
                        idempotency_key=f"r{r}-{i}",
                    ),
                )
                # then
                succeeded = [r for r in results if isinstance(r, Redemption)]
                refused = [r for r in results if isinstance(r, PointsError)]
                assert len(succeeded) == 10, results
                assert len(refused) == 40
                assert points_balance(client=client) == 0
                assert Redemption.objects.filter(client=client).count() == 10
        finally:
            close_connections(pool, 50)


def test_20_concurrent_identical_requests_make_one_redemption(setting, branch):
    advisor, item = setting
    client = factories.ClientFactory(branch=branch, advisor=advisor)
    fund(client, 1000)
    with ThreadPoolExecutor(max_workers=20) as pool:
        try:
            results = run_together(
                pool,
                20,
                lambda i: redemption_create(
                    user=advisor.user, client=client, item=item, idempotency_key="once"
                ),
            )
        finally:
            close_connections(pool, 20)
    assert {r.pk for r in results} == {results[0].pk}
    assert PointsEntry.objects.filter(client=client, kind="redemption").count() == 1
    assert points_balance(client=client) == 900


def test_nightly_accrual_rerun_adds_nothing_on_postgres(make, branch, advisor):
    # given: two years of trades and activities, accrued once (COPY path)
    clients = [make.Client(branch=branch, advisor=advisor) for _ in range(5)]
    for i, client in enumerate(clients):
        account = make.Account(client=client)
        for month in range(1, 13):
            make.Trade(
                account=account,
                trade_date=dt.date(2024, month, 1 + i),
                commission="25.50",
            )
        make.Interaction(client=client, channel="seminar", date=dt.date(2024, 6, 1))
    as_of = dt.date(2026, 3, 31)
    first = points_accrue(branch=branch, as_of=as_of, policy=Policy())
    count = PointsEntry.objects.count()
    # when
    again = points_accrue(branch=branch, as_of=as_of, policy=Policy())
    # then
    assert first["trade"] == 60 and first["expiry"] > 0
    assert again["entries"] == 0
    assert PointsEntry.objects.count() == count


def test_accrual_and_redemptions_at_once_neither_deadlock_nor_overdraw(
    make, branch, advisor
):
    # given: 10 clients with points expiring and new trades to accrue
    item = CatalogueItem.objects.create(code="seat", name="Seat", points_price=100)
    today = dt.date.today()
    clients = []
    for i in range(10):
        client = make.Client(branch=branch, advisor=advisor)
        account = make.Account(client=client)
        PointsEntry.objects.create(
            branch=branch,
            client=client,
            delta=150,
            kind="trade",
            dated=today - dt.timedelta(days=800),
            expires_at=today - dt.timedelta(days=70),
            idempotency_key=f"old:{i}",
        )
        fund(client, 200)
        make.Trade(account=account, trade_date=today, commission="120")
        clients.append(client)
    # when: the nightly accrual and 20 redemptions run together
    work = [lambda: points_accrue(branch=branch, as_of=today, policy=Policy())]
    work += [
        lambda c=c, k=k: redemption_create(
            user=advisor.user, client=c, item=item, idempotency_key=f"{c.pk}-{k}"
        )
        for c in clients
        for k in range(2)
    ]
    with ThreadPoolExecutor(max_workers=len(work)) as pool:
        try:
            results = run_together(pool, len(work), lambda i: work[i]())
        finally:
            close_connections(pool, len(work))
    # then: nothing failed but for want of points, and every balance adds up
    unexpected = [r for r in results if isinstance(r, Exception)]
    assert all(isinstance(r, PointsError) for r in unexpected), unexpected
    for client in clients:
        entries = PointsEntry.objects.filter(client=client)
        total = sum(entries.values_list("delta", flat=True))
        assert total == points_balance(client=client) >= 0
        assert entries.filter(kind="expiry").count() <= 1
