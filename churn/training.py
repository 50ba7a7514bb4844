"""The churn model's training set from a branch's own history (SPEC §3.3).

Snapshots are the calendar month ends whose 90-day outcome is known (t ≤ the last day
of data − 90). At each snapshot t every open client gets the SPEC §3.1 features and the
flags as of t, and the label: 1 when within t+1 … t+90 the client stops being open
(closed_at) or any custody_out of theirs is dated.

The features are the nightly run's: every source is read once for the whole window
(`tiers.features.load_history`), each snapshot's source frames are cut from it as of t
(`tiers.history.sources_at`: latest rows on or before a day, sums over windows ending
at t, so no value uses data dated after t), and the nightly run's own pure code turns
them into features, flags and the hand-weight risk (`features_from_sources`,
`churn_flags`, `churn_risk`). A test holds them equal to `snapshot_features`, which
reads t's sources the way the nightly run does.
"""

from __future__ import annotations

import logging
import time
from datetime import date, timedelta

import numpy as np
import pandas as pd
from django.db import transaction
from django.db.models import Max, Min

from clients.models import Balance, CashFlow, CashFlowType, Client, TradeDay
from tiers.features import load_history, load_sources
from tiers.history import sources_at
from tiers.policy import Policy
from tiers.scoring import features_from_sources

from .learning import Dataset, model_matrix
from .scoring import churn_flags, churn_risk

log = logging.getLogger(__name__)

HORIZON_DAYS = 90


def history_span(branch_id: int) -> tuple[date | None, date | None]:
    """The first and last day with balances or trades of the branch (None, None if none)."""
    spans = [
        Balance.objects.filter(account__branch_id=branch_id).aggregate(
            lo=Min("date"), hi=Max("date")
        ),
        TradeDay.objects.filter(account__branch_id=branch_id).aggregate(
            lo=Min("date"), hi=Max("date")
        ),
    ]
    lows = [s["lo"] for s in spans if s["lo"]]
    highs = [s["hi"] for s in spans if s["hi"]]
    return (min(lows) if lows else None, max(highs) if highs else None)


def month_ends(first: date, last: date) -> list[date]:
    """Every calendar month end d with first ≤ d ≤ last."""
    out = []
    year, month = first.year, first.month
    while True:
        nxt = date(year + (month == 12), month % 12 + 1, 1)
        end = nxt - timedelta(days=1)
        if end > last:
            return out
        if end >= first:
            out.append(end)
        year, month = nxt.year, nxt.month


def labelled_snapshots(
    first: date | None, last: date | None, horizon: int = HORIZON_DAYS
) -> list[date]:
    """Month ends of the history whose outcome window lies inside the data."""
    if first is None or last is None:
        return []
    return month_ends(first, last - timedelta(days=horizon))


def snapshot_features(
    branch_id: int, as_of: date, policy: Policy
) -> tuple[pd.DataFrame, pd.DataFrame, pd.Series]:
    """(features, flags, hand risk) of every client as of `as_of`, read the way the
    nightly run reads them (loyalty redemptions aside: they only decide the loyalty
    type): the reference the training set's rows are tested against."""
    with transaction.atomic():  # one consistent read, as the nightly run does
        sources = load_sources(branch_id, as_of, policy)
    features = features_from_sources(sources, as_of, policy, set())
    flags = churn_flags(features, policy)
    hand = churn_risk(features, flags, policy)
    return features, flags, hand


def churn_events(branch_id: int) -> tuple[pd.Series, pd.DataFrame]:
    """Each client's closed_at, and every custody_out (client_id, date) of the branch."""
    closed = pd.Series(
        dict(
            Client.objects.filter(branch_id=branch_id, closed_at__isnull=False)
            .values_list("pk", "closed_at")
            .iterator()
        ),
        dtype="datetime64[ns]",
    )
    outs = pd.DataFrame.from_records(
        list(
            CashFlow.objects.filter(
                branch_id=branch_id, type=CashFlowType.CUSTODY_OUT
            ).values_list("account__client_id", "date")
        ),
        columns=["client_id", "date"],
    )
    outs["date"] = pd.to_datetime(outs["date"])
    return closed, outs


def labels(
    client_ids: pd.Index,
    as_of: date,
    closed: pd.Series,
    outs: pd.DataFrame,
    horizon: int = HORIZON_DAYS,
) -> np.ndarray:
    """1 for the clients that stop being open or have a custody_out in t+1 … t+horizon."""
    start = pd.Timestamp(as_of)
    end = start + pd.Timedelta(days=horizon)
    closing = closed[(closed > start) & (closed <= end)].index
    leaving = outs.loc[(outs["date"] > start) & (outs["date"] <= end), "client_id"]
    churned = set(closing.tolist()) | set(leaving.tolist())
    return np.fromiter(
        (c in churned for c in client_ids), dtype=bool, count=len(client_ids)
    )


def training_set(
    branch_id: int,
    snapshots: list[date],
    policy: Policy,
    timings: dict | None = None,
) -> Dataset:
    """The labelled rows of every open client at every snapshot (at least one)."""
    if not snapshots:
        raise ValueError("no snapshot to build a training set from")
    snapshots = sorted(snapshots)
    started = time.monotonic()
    with transaction.atomic():  # one consistent read
        history = load_history(branch_id, snapshots[0], snapshots[-1], policy)
        closed, outs = churn_events(branch_id)
    if timings is not None:
        timings["load"] = round(time.monotonic() - started, 3)
    matrices, ys, days, hands, ids = [], [], [], [], []
    for as_of in snapshots:
        started = time.monotonic()
        features = features_from_sources(
            sources_at(history, as_of, policy), as_of, policy, set()
        )
        flags = churn_flags(features, policy)
        hand = churn_risk(features, flags, policy)
        is_open = features["is_open"].astype(bool).to_numpy()
        features, flags, hand = features[is_open], flags[is_open], hand[is_open]
        matrices.append(model_matrix(features, flags, hand, as_of))
        ys.append(labels(features.index, as_of, closed, outs))
        days.append(np.full(len(features), np.datetime64(as_of, "D")))
        hands.append(hand.to_numpy(dtype="float64"))
        ids.append(features.index.to_numpy(dtype="int64"))
        if timings is not None:
            timings[str(as_of)] = round(time.monotonic() - started, 3)
        log.info("churn snapshot %s: %s open clients", as_of, len(features))
    return Dataset(
        matrix=pd.concat(matrices, ignore_index=True),
        label=np.concatenate(ys),
        snapshot=np.concatenate(days),
        hand=np.concatenate(hands),
        client=np.concatenate(ids),
    )
