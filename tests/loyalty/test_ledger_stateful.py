"""A state machine against the ledger: earn, redeem, reverse, expire, retry a key.

The model keeps its own lots (first in, first out) and checks after every step that the
database's balance is the sum of the entries, never below 0, equal to the model's, and
that every expiry entry expired exactly what FIFO says.
"""

import datetime as dt
from collections import defaultdict
from decimal import Decimal

import pytest
from dateutil.relativedelta import relativedelta
from django.db import transaction
from django.db.models import Sum
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    invariant,
    rule,
    run_state_machine_as_test,
)

from clients.models import Trade
from loyalty.models import CatalogueItem, PointsAccount, PointsEntry
from loyalty.services import (
    PointsError,
    entry_reverse,
    points_accrue,
    redemption_create,
)
from tests import factories
from tiers.policy import Policy

KEYS = [f"key-{i}" for i in range(4)]


class Lot:
    def __init__(self, entry_id, expires, points):
        self.entry_id, self.expires, self.remaining = entry_id, expires, points


@pytest.mark.django_db
def test_ledger_state_machine(branch, advisor, manager_user):
    security = factories.SecurityFactory(code="600000")
    items = [
        CatalogueItem.objects.create(code=f"i{p}", name=f"Item {p}", points_price=p)
        for p in (40, 150, 600)
    ]
    policy = Policy()
    counter = iter(range(10**9))

    class Ledger(RuleBasedStateMachine):
        def __init__(self):
            super().__init__()
            self.savepoint = transaction.savepoint()
            self.client = factories.ClientFactory(branch=branch, advisor=advisor)
            self.account = factories.AccountFactory(client=self.client)
            self.today = dt.date(2024, 1, 1)
            self.lots: list[Lot] = []
            self.balance = 0
            self.expired = defaultdict(int)
            self.keys = {}  # key -> (item id, quantity, redemption id)

        def teardown(self):
            transaction.savepoint_rollback(self.savepoint)

        # the model
        def expire(self, day, *, apply=True):
            due = defaultdict(int)
            for lot in self.lots:
                if lot.expires <= day and lot.remaining > 0:
                    due[lot.expires] += lot.remaining
            if apply:
                for lot in self.lots:
                    if lot.expires <= day:
                        lot.remaining = 0
                for day_, points in due.items():
                    self.expired[day_] += points
                self.balance -= sum(due.values())
            return sum(due.values())

        def consume(self, amount, first=None):
            for lot in ([first] if first else []) + self.lots:
                taken = min(lot.remaining, amount)
                lot.remaining -= taken
                amount -= taken
            assert amount == 0

        # the rules
        @rule(days=st.integers(1, 500))
        def advance(self, days):
            self.today += dt.timedelta(days=days)

        @rule(commission=st.integers(1, 400))
        def earn(self, commission):
            trade = Trade.objects.create(
                branch=branch,
                trade_id=f"T{next(counter)}",
                trade_date=self.today,
                account=self.account,
                security=security,
                side="B",
                quantity=Decimal(100),
                price=Decimal(1),
                amount=Decimal(100),
                commission=Decimal(commission) + Decimal("0.75"),
            )
            points_accrue(branch=branch, as_of=self.today, policy=policy)
            entry = PointsEntry.objects.get(source_type="trade", source_id=trade.pk)
            assert entry.delta == commission
            self.lots.append(
                Lot(entry.pk, self.today + relativedelta(months=24), commission)
            )
            self.balance += commission
            self.expire(self.today)

        @rule()
        def run_expiry(self):
            result = points_accrue(branch=branch, as_of=self.today, policy=policy)
            assert result["trade"] == result["activity"] == 0
            self.expire(self.today)

        @rule(
            item=st.sampled_from(range(3)),
            quantity=st.integers(1, 2),
            key=st.one_of(st.sampled_from(KEYS), st.uuids().map(str)),
        )
        def redeem(self, item, quantity, key):
            item = items[item]
            price = item.points_price * quantity
            known = self.keys.get(key)
            try:
                redemption = redemption_create(
                    user=advisor.user,
                    client=self.client,
                    item=item,
                    quantity=quantity,
                    idempotency_key=key,
                    on=self.today,
                )
            except PointsError as error:
                if known:
                    assert known[:2] != (item.pk, quantity)
                    assert error.code == "idempotency_key_reused"
                else:
                    assert error.code == "insufficient_points"
                    assert price > self.balance - self.expire(self.today, apply=False)
                return
            if known:
                assert known == (item.pk, quantity, redemption.pk)
                return
            self.expire(self.today)
            assert price <= self.balance
            self.consume(price)
            self.balance -= price
            self.keys[key] = (item.pk, quantity, redemption.pk)

        @rule(pick=st.integers(0, 10**6))
        def reverse(self, pick):
            candidates = list(
                PointsEntry.objects.filter(
                    client=self.client,
                    kind__in=["trade", "redemption"],
                    reversed_by__isnull=True,
                ).order_by("pk")
            )
            if not candidates:
                return
            entry = candidates[pick % len(candidates)]
            try:
                reversal = entry_reverse(
                    user=manager_user, entry=entry, reason="test", on=self.today
                )
            except PointsError:
                assert entry.delta > 0
                assert entry.delta > self.balance - self.expire(self.today, apply=False)
                return
            if entry.delta > 0:
                self.expire(self.today)
                assert entry.delta <= self.balance
                first = next(lot for lot in self.lots if lot.entry_id == entry.pk)
                self.consume(entry.delta, first)
                self.balance -= entry.delta
            else:
                self.lots.append(
                    Lot(
                        reversal.pk,
                        self.today + relativedelta(months=24),
                        -entry.delta,
                    )
                )
                self.balance -= entry.delta

        # what must always hold
        @invariant()
        def balance_is_the_sum_never_negative_and_expiry_fifo(self):
            entries = PointsEntry.objects.filter(client=self.client)
            total = entries.aggregate(s=Sum("delta"))["s"] or 0
            account = PointsAccount.objects.filter(client=self.client).first()
            assert (account.balance if account else 0) == total == self.balance
            assert total >= 0
            assert self.balance == sum(lot.remaining for lot in self.lots)
            # expiry is FIFO: every expiry entry expired what the model's lots say
            recorded = defaultdict(int)
            for dated, delta in PointsEntry.objects.filter(
                client=self.client, kind="expiry"
            ).values_list("dated", "delta"):
                recorded[dated] -= delta
            assert dict(recorded) == {d: p for d, p in self.expired.items() if p}

    run_state_machine_as_test(
        Ledger,
        settings=settings(
            max_examples=200,
            stateful_step_count=10,
            deadline=None,
            suppress_health_check=[
                HealthCheck.function_scoped_fixture,
                HealthCheck.too_slow,
            ],
        ),
    )
