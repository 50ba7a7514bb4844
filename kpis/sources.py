"""Load what SPEC §5 needs for a branch, month start S and date E: one grouped query each.

Never a query per advisor or client: the clients (with the advisor each had at E),
the run's per-client values, the month's cash flows and commission per client, the
clients contacted in the last 30 days, the month's contact minutes per (logger,
client), the flags and the month's feedback.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

import pandas as pd
from django.db.models import Sum
from django.db.models.fields.json import KeyTextTransform
from django.utils import timezone

from advisors.models import Advisor
from churn.models import ChurnFlag, FlagStatus
from clients.models import (
    CASH_FLOW_SIGN,
    CONTACT_CHANNELS,
    CashFlow,
    Client,
    Feedback,
    Interaction,
    TradeDay,
)
from tiers.models import ClientScore, RunStatus, ScoreRun

from .models import ClientAssignment

RUN_COLUMNS = [
    "is_open",
    "segment",
    "tier",
    "maturity_stage",
    "value_score",
    "assets",
    "return_90",
]


def _cents(value) -> int:
    return int(round(value * 100)) if value is not None else 0


def load_clients(branch_id: int, end: date) -> pd.DataFrame:
    """Every client of the branch with the advisor assigned at E (after moves ≤ E)."""
    rows = list(
        Client.objects.filter(branch_id=branch_id)
        .order_by()
        .values_list("id", "advisor_id", "opened_at", "closed_at")
    )
    frame = pd.DataFrame.from_records(
        rows, columns=["client_id", "advisor_id", "opened_at", "closed_at"]
    ).set_index("client_id")
    # A move recorded after E: at E the client was still with the first move's
    # `from` advisor.
    later = (
        ClientAssignment.objects.filter(branch_id=branch_id, moved_on__gt=end)
        .order_by("client_id", "moved_at", "id")
        .values_list("client_id", "from_advisor_id")
    )
    before: dict[int, int | None] = {}
    for client_id, from_advisor in later:
        before.setdefault(client_id, from_advisor)
    advisor = dict(zip(frame.index, frame["advisor_id"], strict=True))
    advisor.update((pk, a) for pk, a in before.items() if pk in advisor)
    frame["advisor_id"] = pd.array(
        [None if pd.isna(advisor[pk]) else int(advisor[pk]) for pk in frame.index],
        dtype="Int64",
    )
    for column in ("opened_at", "closed_at"):
        frame[column] = pd.to_datetime(frame[column])
    return frame


def run_values_from_scores(run_id: int) -> pd.DataFrame:
    """A stored run's per-client values (is_open, segment, … assets, return_90)."""
    rows = (
        ClientScore.objects.filter(run_id=run_id)
        .order_by()
        .annotate(
            assets_text=KeyTextTransform("assets", "features"),
            return_text=KeyTextTransform("return_90", "features"),
        )
        .values_list(
            "client_id",
            "is_open",
            "segment",
            "tier",
            "maturity_stage",
            "value_score",
            "assets_text",
            "return_text",
        )
    )
    frame = pd.DataFrame.from_records(
        list(rows), columns=["client_id", *RUN_COLUMNS]
    ).set_index("client_id")
    for column in ("assets", "return_90"):
        frame[column] = pd.to_numeric(frame[column], errors="coerce").astype("float64")
    return frame


def run_values_from_frames(features: pd.DataFrame, results: pd.DataFrame):
    """The same values from the run in memory (unrounded)."""
    frame = pd.DataFrame(index=features.index)
    frame["is_open"] = features["is_open"].astype(bool)
    for column in ("segment", "tier", "maturity_stage"):
        frame[column] = results[column].astype(object).where(results[column].notna())
    frame["value_score"] = results["value_score"].astype("float64")
    frame["assets"] = features["assets"].astype("float64")
    frame["return_90"] = features["return_90"].astype("float64")
    return frame


def previous_month_run(branch_id: int, start: date) -> ScoreRun | None:
    """The last done run dated before the month (the previous month's figures)."""
    return (
        ScoreRun.objects.filter(
            branch_id=branch_id, status=RunStatus.DONE, date__lt=start
        )
        .order_by("-date", "-id")
        .first()
    )


def load_advisors(branch_id: int) -> pd.DataFrame:
    rows = list(
        Advisor.objects.filter(branch_id=branch_id)
        .order_by()
        .values_list("id", "employee_no")
    )
    return pd.DataFrame.from_records(rows, columns=["advisor_id", "employee_no"])


def load_flows(branch_id: int, start: date, end: date) -> pd.DataFrame:
    """Signed net flow S … E per client, in cents."""
    totals = (
        CashFlow.objects.filter(
            account__branch_id=branch_id, date__gte=start, date__lte=end
        )
        .order_by()
        .values_list("account__client_id", "type")
        .annotate(total=Sum("amount"))
    )
    rows = [
        (client_id, CASH_FLOW_SIGN.get(kind, 0) * _cents(total))
        for client_id, kind, total in totals
    ]
    return pd.DataFrame.from_records(rows, columns=["client_id", "cents"])


def load_commission(branch_id: int, start: date, end: date) -> pd.DataFrame:
    """Commission of trades dated S … E per client (from the daily totals), in cents."""
    totals = (
        TradeDay.objects.filter(
            account__branch_id=branch_id, date__gte=start, date__lte=end
        )
        .order_by()
        .values_list("account__client_id")
        .annotate(total=Sum("commission"))
    )
    rows = [(client_id, _cents(total)) for client_id, total in totals]
    return pd.DataFrame.from_records(rows, columns=["client_id", "cents"])


def load_contacted(branch_id: int, end: date) -> set[int]:
    """Clients with an advisor contact dated E−29 … E."""
    return set(
        Interaction.objects.filter(
            branch_id=branch_id,
            channel__in=CONTACT_CHANNELS,
            date__gte=end - timedelta(29),
            date__lte=end,
        )
        .order_by()
        .values_list("client_id", flat=True)
        .distinct()
    )


def load_minutes(branch_id: int, start: date, end: date) -> pd.DataFrame:
    """Contact minutes S … E per (advisor who logged it, client)."""
    rows = (
        Interaction.objects.filter(
            branch_id=branch_id,
            channel__in=CONTACT_CHANNELS,
            date__gte=start,
            date__lte=end,
        )
        .order_by()
        .values_list("advisor_id", "client_id")
        .annotate(total=Sum("minutes"))
    )
    frame = pd.DataFrame.from_records(
        list(rows), columns=["advisor_id", "client_id", "minutes"]
    )
    frame["minutes"] = frame["minutes"].astype("int64")
    return frame


def load_flags_open(branch_id: int, end: date) -> pd.DataFrame:
    """The flags open now (after E's run) that were raised on or before E."""
    rows = (
        ChurnFlag.objects.filter(
            branch_id=branch_id, status=FlagStatus.OPEN, raised_on__lte=end
        )
        .order_by()
        .values_list("client_id", "code")
    )
    return pd.DataFrame.from_records(list(rows), columns=["client_id", "code"])


def _day_bounds(start: date, end: date) -> tuple[datetime, datetime]:
    tz = timezone.get_current_timezone()
    return (
        datetime.combine(start, time.min, tzinfo=tz),
        datetime.combine(end + timedelta(1), time.min, tzinfo=tz),
    )


def load_flags_resolved(branch_id: int, start: date, end: date) -> pd.DataFrame:
    """Flags resolved on a (branch-local) day S … E, with the days they stayed open."""
    low, high = _day_bounds(start, end)
    rows = (
        ChurnFlag.objects.filter(
            branch_id=branch_id,
            status=FlagStatus.RESOLVED,
            resolved_at__gte=low,
            resolved_at__lt=high,
        )
        .order_by()
        .values_list("client_id", "code", "outcome", "raised_on", "resolved_at")
    )
    records = [
        (
            client_id,
            code,
            outcome,
            (timezone.localdate(resolved_at) - raised_on).days,
        )
        for client_id, code, outcome, raised_on, resolved_at in rows
    ]
    return pd.DataFrame.from_records(
        records, columns=["client_id", "code", "outcome", "days"]
    )


def load_feedback(branch_id: int, start: date, end: date) -> pd.DataFrame:
    rows = (
        Feedback.objects.filter(branch_id=branch_id, date__gte=start, date__lte=end)
        .order_by()
        .values_list("client_id", "score")
    )
    return pd.DataFrame.from_records(list(rows), columns=["client_id", "score"])
