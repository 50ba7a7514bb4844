"""The nightly pipeline accrues points, and export_scores' points_balance is the ledger's."""

import csv
import datetime as dt
import io

from django.core.management import call_command
from django.db.models import Sum

from loyalty.models import CatalogueItem, PointsEntry
from loyalty.services import redemption_create

D = dt.date(2026, 3, 31)


def test_export_points_balance_matches_the_ledger(make, branch, advisor):
    # given: trades, an activity, an expired lot, a redemption after D
    clients = [make.Client(branch=branch, advisor=advisor) for _ in range(4)]
    for i, client in enumerate(clients):
        account = make.Account(client=client)
        make.Trade(account=account, trade_date=dt.date(2026, 3, 2), commission=40 * i)
        make.Trade(account=account, trade_date=dt.date(2024, 1, 5), commission="99")
    make.Interaction(client=clients[0], channel="seminar", date=dt.date(2026, 3, 9))
    call_command("recompute", "--date", D.isoformat(), "--branch", branch.code)
    item = CatalogueItem.objects.create(code="x", name="X", points_price=30)
    redemption_create(
        user=advisor.user,
        client=clients[2],
        item=item,
        idempotency_key="after-d",
        on=D + dt.timedelta(days=1),
    )
    # when
    out = io.StringIO()
    call_command(
        "export_scores", "--date", D.isoformat(), "--branch", branch.code, stdout=out
    )
    # then: every client's exported balance is the sum of its entries dated ≤ D
    exported = {
        row["client_no"]: int(row["points_balance"])
        for row in csv.DictReader(io.StringIO(out.getvalue()))
    }
    for client in clients:
        ledger = PointsEntry.objects.filter(client=client, dated__lte=D).aggregate(
            s=Sum("delta")
        )["s"]
        assert exported[client.client_no] == (ledger or 0)
    assert exported[clients[0].client_no] == 50  # 0 commission + seminar; 99 expired
    assert exported[clients[3].client_no] == 120
