"""The SPEC §6 scores export: one row per client of the branch, a public format."""

from __future__ import annotations

import csv

from clients.models import Client
from loyalty.selectors import points_balances
from tiers.models import ClientScore, ScoreRun

EXPORT_COLUMNS = [
    "client_no",
    "tier",
    "value_score",
    "contribution_score",
    "maturity_stage",
    "segment",
    "relationship_recommended",
    "relationship_fit",
    "risk_appetite",
    "trading_ability",
    "loyalty_type",
    "experience",
    "churn_flags",
    "alerts",
    "points_balance",
]


def _text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, float):
        return f"{value:.1f}"
    return str(value)


def export_rows(*, run: ScoreRun) -> list[list[str]]:
    """The export's rows for a finished run, ordered by client number."""
    scores = {
        s["client_id"]: s
        for s in ClientScore.objects.filter(run=run).values(
            "client_id", *EXPORT_COLUMNS[1:-1]
        )
    }
    balances = points_balances(branch_id=run.branch_id, as_of=run.date)
    rows = []
    clients = (
        Client.objects.filter(branch_id=run.branch_id)
        .order_by("client_no")
        .values_list("pk", "client_no")
    )
    for client_id, client_no in clients:
        score = scores.get(client_id, {})
        row = [client_no]
        row += [_text(score.get(column)) for column in EXPORT_COLUMNS[1:-1]]
        row.append(str(int(balances.get(client_id, 0) or 0)))
        rows.append(row)
    return rows


def export_write(*, run: ScoreRun, stream) -> int:
    """Write the CSV (header + rows) to a text stream; returns the rows written."""
    writer = csv.writer(stream, lineterminator="\n")
    writer.writerow(EXPORT_COLUMNS)
    rows = export_rows(run=run)
    writer.writerows(rows)
    return len(rows)
