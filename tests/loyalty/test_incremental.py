"""The nightly accrual reads only what arrived since the last one, and ends where a full
re-derivation over every trade would: many days of imports, late trades, trades dated
after the night's date, and re-imports that change a commission."""

import datetime as dt
import math
import random
from dataclasses import replace
from decimal import Decimal

import pytest
from django.db.models import Sum

from clients.models import Interaction, Trade
from imports.services import import_file
from loyalty.models import EntryKind, PointsEntry
from loyalty.selectors import points_balances
from loyalty.services import points_accrue
from tests.imports.conftest import TRADE_HEADER, trade_row, write_csv
from tiers.policy import Policy

START = dt.date(2026, 3, 2)
RATE = Policy().points.per_cny_commission


@pytest.fixture
def book(branch, make):
    advisor = make.Advisor(branch=branch, employee_no="E0001", user__username="e1")
    clients = []
    for n in range(3):
        client = make.Client(branch=branch, client_no=f"C000{n}", advisor=advisor)
        make.Account(client=client, account_no=f"88000{n}")
        clients.append(client)
    make.Security(code="600000", name="浦发银行")
    return clients


def test_incremental_ledger_equals_a_full_re_derivation(branch, book, tmp_path):
    rng = random.Random(7)
    trades: dict[str, dict] = {}
    corrected = 0

    def send(rows, mode):
        path = write_csv(tmp_path / f"f{rng.random()}.csv", TRADE_HEADER, rows)
        batch = import_file(branch=branch, kind="trades", path=str(path), mode=mode)
        assert batch.status == "done", batch.errors

    for day_no in range(25):
        day = START + dt.timedelta(days=day_no)
        rows = []
        # the day's trades, a late one of two days ago, one dated tomorrow
        dates = [day] * 4 + [day - dt.timedelta(2), day + dt.timedelta(1)]
        for trade_date in dates:
            trade_id = f"T{len(trades):04d}"
            cells = {
                "trade_date": trade_date.isoformat(),
                "account_no": f"88000{rng.randrange(3)}",
                "commission": f"{rng.uniform(0, 60):.2f}",
            }
            trades[trade_id] = cells
            rows.append(trade_row(trade_id, **cells))
        send(rows, "insert")
        if day_no % 3 == 2:
            # a re-import corrects earlier commissions: up, down, to nothing
            fixes = []
            for trade_id in rng.sample(sorted(trades), 3):
                commission = rng.choice(["0.00", "0.50", f"{rng.uniform(0, 90):.2f}"])
                trades[trade_id]["commission"] = commission
                fixes.append(trade_row(trade_id, **trades[trade_id]))
            send(fixes, "upsert")
        result = points_accrue(branch=branch, as_of=day)
        corrected += result["trade_corrected"]

    # then each trade up to the last night's date holds, net, exactly its points
    last = START + dt.timedelta(days=24)
    expected = {
        pk: math.floor(commission * Decimal(str(RATE)))
        for pk, commission in Trade.objects.filter(trade_date__lte=last).values_list(
            "pk", "commission"
        )
    }
    held = dict(
        PointsEntry.objects.filter(source_type="trade")
        .values_list("source_id")
        .annotate(net=Sum("delta"))
    )
    assert {k: v for k, v in held.items() if v} == {
        k: v for k, v in expected.items() if v
    }
    assert not set(held) - set(expected)  # nothing dated after the night accrued
    # the corrections went through reversals (each reverses one earning)
    reversals = PointsEntry.objects.filter(kind=EntryKind.REVERSAL)
    assert corrected == reversals.count() > 0
    assert not reversals.filter(reverses__isnull=True).exists()
    # and the balances are those of a full re-derivation
    per_client: dict[int, int] = {}
    for client_id, commission in Trade.objects.filter(trade_date__lte=last).values_list(
        "account__client_id", "commission"
    ):
        points = math.floor(commission * Decimal(str(RATE)))
        per_client[client_id] = per_client.get(client_id, 0) + points
    balances = points_balances(branch_id=branch.pk, as_of=last)
    assert {k: v for k, v in balances.items() if v} == {
        k: v for k, v in per_client.items() if v
    }
    # a second run of the same night appends nothing
    assert points_accrue(branch=branch, as_of=last)["entries"] == 0


def test_incremental_activities_equal_a_full_re_derivation(
    branch, book, make, tmp_path
):
    # given many nights of contacts: the day's, late ones dated days back, ones dated
    # after the night, channels that earn nothing, and a night run again for an
    # earlier date
    rng = random.Random(11)
    channels = ["seminar", "survey", "call", "visit"]
    policy = Policy()
    for day_no in range(20):
        day = START + dt.timedelta(days=day_no)
        for shift in (0, 0, -3, -9, 2):
            make.Interaction(
                client=rng.choice(book),
                channel=rng.choice(channels),
                date=day + dt.timedelta(days=shift),
            )
        points_accrue(branch=branch, as_of=day, policy=policy, policy_version=1)
        if day_no % 7 == 6:
            earlier = day - dt.timedelta(days=4)
            points_accrue(branch=branch, as_of=earlier, policy=policy, policy_version=1)
    last = START + dt.timedelta(days=19)

    def earned() -> dict[int, int]:
        return dict(
            PointsEntry.objects.filter(kind=EntryKind.ACTIVITY)
            .values_list("source_id")
            .annotate(net=Sum("delta"))
        )

    def due(paying: dict) -> dict[int, int]:
        return {
            pk: paying[channel]
            for pk, channel in Interaction.objects.filter(date__lte=last).values_list(
                "pk", "channel"
            )
            if paying.get(channel)
        }

    # and a re-import that turns an old call, already read, into a seminar
    old_call = Interaction.objects.filter(channel="call", date__lt=START).first()
    old_call = old_call or Interaction.objects.filter(channel="call").earliest("date")
    path = write_csv(
        tmp_path / "fix.csv",
        ["interaction_id", "date", "client_no", "channel"],
        [
            [
                old_call.interaction_id,
                old_call.date.isoformat(),
                old_call.client.client_no,
                "seminar",
            ]
        ],
    )
    batch = import_file(
        branch=branch, kind="interactions", path=str(path), mode="upsert"
    )
    assert batch.status == "done", batch.errors
    points_accrue(branch=branch, as_of=last, policy=policy, policy_version=1)

    # then every paying interaction dated by the last night earned once, nothing else
    assert earned()[old_call.pk] == policy.points.activity_points["seminar"]
    assert earned() == due(policy.points.activity_points)
    assert (
        points_accrue(branch=branch, as_of=last, policy=policy, policy_version=1)[
            "activity"
        ]
        == 0
    )
    # and a new policy version paying calls too reads every interaction again
    paying = {**policy.points.activity_points, "call": 5}
    richer = replace(policy, points=replace(policy.points, activity_points=paying))
    points_accrue(branch=branch, as_of=last, policy=richer, policy_version=2)
    assert earned() == due(paying)
