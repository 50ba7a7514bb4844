"""What the managers' churn model page shows: reads only, for one branch."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta

import pandas as pd

from .labels import FEATURE_LABELS
from .models import ChurnFlag, ChurnModel, FlagOutcome, FlagStatus
from .selectors import churn_model_active, churn_models
from .training import HORIZON_DAYS, churn_events, history_span


@dataclass
class FlagMonth:
    """The flags raised in one month and how their clients turned out."""

    month: date
    flags: int = 0
    retained: int = 0
    lost: int = 0
    not_a_risk: int = 0
    still_open: int = 0
    clients: int = 0
    churned: int = 0  # clients who actually left within 90 days of the flag
    known: bool = True  # the 90 days after every flag of the month are over

    @property
    def churn_rate(self) -> float | None:
        return self.churned / self.clients if self.clients else None


@dataclass
class ModelReport:
    latest: ChurnModel | None
    active: ChurnModel | None
    history: list = field(default_factory=list)
    importances: list = field(default_factory=list)
    flag_months: list = field(default_factory=list)

    @property
    def metrics(self) -> dict:
        return self.latest.metrics if self.latest else {}

    @property
    def chart(self) -> dict:
        """The data of the ROC and calibration charts (for json_script)."""
        m = self.metrics
        return {"roc": m.get("roc") or {}, "calibration": m.get("calibration") or []}


def flag_outcomes(*, branch_id: int, data_end: date | None, months: int = 12) -> list:
    """Per month of the last `months` with flags (newest first): flags raised, their
    outcomes, and how many of the flagged clients actually left (closed or a
    custody_out within 90 days after the flag; `known` once the data covers them)."""
    newest = (
        ChurnFlag.objects.filter(branch_id=branch_id)
        .order_by("-raised_on")
        .values_list("raised_on", flat=True)
        .first()
    )
    if newest is None:
        return []
    first = date(newest.year, newest.month, 1)
    for _ in range(months - 1):
        first = (first - timedelta(days=1)).replace(day=1)
    flags = pd.DataFrame.from_records(
        list(
            ChurnFlag.objects.filter(branch_id=branch_id, raised_on__gte=first)
            .values_list("client_id", "raised_on", "status", "outcome")
            .order_by()
        ),
        columns=["client_id", "raised_on", "status", "outcome"],
    )
    if flags.empty:
        return []
    closed, outs = churn_events(branch_id)
    flags["raised_on"] = pd.to_datetime(flags["raised_on"])
    end = flags["raised_on"] + pd.Timedelta(days=HORIZON_DAYS)
    closed_at = flags["client_id"].map(closed)
    left = (closed_at > flags["raised_on"]) & (closed_at <= end)
    if not outs.empty:
        pairs = (
            flags[["client_id", "raised_on"]].reset_index().merge(outs, on="client_id")
        )
        hit = pairs[
            (pairs["date"] > pairs["raised_on"])
            & (pairs["date"] <= pairs["raised_on"] + pd.Timedelta(days=HORIZON_DAYS))
        ]["index"].unique()
        left = left | flags.index.isin(hit)
    flags["left"] = left.fillna(False).astype(bool)
    flags["month"] = flags["raised_on"].dt.to_period("M")
    covered = pd.Timestamp(data_end) if data_end else pd.Timestamp.min
    rows = []
    for month, group in flags.groupby("month", sort=False):
        per_client = group.groupby("client_id")["left"].any()
        rows.append(
            FlagMonth(
                month=month.to_timestamp().date(),
                flags=len(group),
                retained=int((group["outcome"] == FlagOutcome.RETAINED).sum()),
                lost=int((group["outcome"] == FlagOutcome.LOST).sum()),
                not_a_risk=int((group["outcome"] == FlagOutcome.NOT_A_RISK).sum()),
                still_open=int((group["status"] == FlagStatus.OPEN).sum()),
                clients=len(per_client),
                churned=int(per_client.sum()),
                known=bool(
                    (group["raised_on"] + pd.Timedelta(days=HORIZON_DAYS)).max()
                    <= covered
                ),
            )
        )
    return sorted(rows, key=lambda r: r.month, reverse=True)


def model_report(*, branch_id: int) -> ModelReport:
    history = list(churn_models(branch_id=branch_id)[:12])
    latest = history[0] if history else None
    report = ModelReport(
        latest=latest,
        active=churn_model_active(branch_id=branch_id),
        history=history,
        flag_months=flag_outcomes(
            branch_id=branch_id, data_end=history_span(branch_id)[1]
        ),
    )
    if latest is not None:
        report.importances = [
            {
                "feature": FEATURE_LABELS.get(row["feature"], row["feature"]),
                "importance": row["importance"],
            }
            for row in (latest.metrics.get("importances") or [])[:10]
        ]
    return report
