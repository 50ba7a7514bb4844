"""The SPEC §6 churn export: each client's churn risk of a run and what gave it."""

from __future__ import annotations

import csv

from tiers.models import ClientScore, ScoreRun

from .selectors import churn_scoring_of

EXPORT_COLUMNS = ["client_no", "churn_risk", "model"]


def churn_export_rows(*, run: ScoreRun) -> list[list[str]]:
    """One row per client of the run, by client number: the risk with one decimal
    (empty for clients not open on the date) and the model version that gave it, or
    `hand` for the hand weights (empty where there is no risk)."""
    scoring = churn_scoring_of(run=run)
    used = str(scoring.model.version) if scoring and scoring.model else "hand"
    rows = (
        ClientScore.objects.filter(run=run)
        .order_by("client__client_no")
        .values_list("client__client_no", "churn_risk")
    )
    return [
        [client_no, "" if risk is None else f"{risk:.1f}", "" if risk is None else used]
        for client_no, risk in rows
    ]


def churn_export_write(*, run: ScoreRun, stream) -> int:
    writer = csv.writer(stream, lineterminator="\n")
    writer.writerow(EXPORT_COLUMNS)
    rows = churn_export_rows(run=run)
    writer.writerows(rows)
    return len(rows)
