"""The training set reads every source once for the whole window, yet each snapshot's
rows are the nightly run's features of that date, and use nothing dated after it."""

import datetime as dt
import io
from decimal import Decimal

import numpy as np
import pandas as pd
import pytest
from django.core.management import call_command

from advisors.models import Branch
from churn.learning import model_matrix
from churn.training import (
    history_span,
    labelled_snapshots,
    snapshot_features,
    training_set,
)
from clients.models import Account, Balance, CashFlow, Client, Interaction, Security
from clients.services import trade_days_refresh
from tests import factories
from tiers.features import load_history
from tiers.history import sources_at
from tiers.policy import Policy
from tiers.scoring import features_from_sources
from tiers.selectors import policy_for

from .history import plant_history

END = dt.date(2026, 6, 30)


def _demo_branch_with_extras() -> Branch:
    """A small demo branch, plus what it has little of: a client with two accounts
    trading on the same days, custody-outs, recommended buys and a new issue."""
    call_command(
        "seed_demo",
        "--clients",
        "60",
        "--days",
        "420",
        "--end",
        END.isoformat(),
        stdout=io.StringIO(),
    )
    branch = Branch.objects.get(code="DEMO")
    clients = list(
        Client.objects.filter(branch=branch, closed_at__isnull=True)
        .exclude(opened_at=None)
        .order_by("pk")[:6]
    )
    fresh = factories.SecurityFactory(
        code="688999", kind="stock", listed_on=dt.date(2025, 12, 1)
    )
    old = Security.objects.filter(kind="stock").exclude(pk=fresh.pk).first()
    days = [dt.date(2026, 1, 7), dt.date(2026, 2, 10), dt.date(2026, 3, 3)]
    for n, client in enumerate(clients):
        first = Account.objects.filter(client=client).first()
        second = factories.AccountFactory(
            branch=branch, client=client, account_no=f"99{n:06d}"
        )
        for k, day in enumerate(days):
            for account in (first, second):
                factories.TradeFactory(
                    account=account,
                    trade_id=f"X{account.pk}-{k}",
                    trade_date=day,
                    security=fresh if k == 0 else old,
                )
            Interaction.objects.create(
                branch=branch,
                interaction_id=f"REC{n}-{k}",
                client=client,
                date=day - dt.timedelta(days=2),
                channel="call",
                minutes=4,
            ).recommended.add(old)
        Balance.objects.create(
            account=second,
            date=days[0],
            cash=Decimal("0"),
            market_value=Decimal("1000"),
            total_assets=Decimal("1000"),
        )
        CashFlow.objects.create(
            branch=branch,
            account=first,
            flow_id=f"OUT{n}",
            date=days[n % 3] + dt.timedelta(days=20),
            type="custody_out",
            amount=Decimal("80000"),
        )
    trade_days_refresh(branch_id=branch.pk)
    return branch


@pytest.mark.django_db
def test_training_rows_are_the_nightly_features_of_their_date():
    # given a demo branch with a year and more of history
    branch = _demo_branch_with_extras()
    _, policy = policy_for(branch=branch)
    snapshots = labelled_snapshots(*history_span(branch.pk))
    assert len(snapshots) >= 8
    checked = [snapshots[0], snapshots[len(snapshots) // 2], *snapshots[-4:]]
    # when the whole window is read at once
    history = load_history(branch.pk, snapshots[0], snapshots[-1], policy)
    data = training_set(branch.pk, snapshots, policy)
    # then each snapshot's features are those of the nightly run's reads for its date
    seen = pd.Series(0.0, index=FEATURES_SEEN)
    for as_of in checked:
        nightly, flags, hand = snapshot_features(branch.pk, as_of, policy)
        cut = features_from_sources(
            sources_at(history, as_of, policy), as_of, policy, set()
        )
        assert set(cut.columns) == set(nightly.columns)
        pd.testing.assert_frame_equal(
            _ns(cut[nightly.columns]), _ns(nightly), check_exact=False, rtol=1e-9
        )
        is_open = nightly["is_open"].astype(bool)
        expected = model_matrix(
            nightly[is_open], flags[is_open], hand[is_open], as_of
        ).reset_index(drop=True)
        rows = data.snapshot == np.datetime64(as_of, "D")
        np.testing.assert_array_equal(
            data.client[rows], nightly.index[is_open].to_numpy()
        )
        pd.testing.assert_frame_equal(
            data.matrix[rows].reset_index(drop=True), expected, rtol=1e-6
        )
        np.testing.assert_allclose(data.hand[rows], hand[is_open].to_numpy())
        seen += (nightly.loc[is_open, FEATURES_SEEN].fillna(0).abs() > 0).sum()
    # and the fixture exercised every kind of source
    assert (seen > 0).all(), seen


def _ns(frame: pd.DataFrame) -> pd.DataFrame:
    """Dates at one resolution (the drivers' dates parse to seconds or microseconds)."""
    frame = frame.copy()
    for column in frame.columns:
        if pd.api.types.is_datetime64_any_dtype(frame[column]):
            frame[column] = frame[column].astype("datetime64[ns]")
    return frame


FEATURES_SEEN = [
    "assets_avg_90",
    "commission_365",
    "active_days_365_91",
    "active_months_12",
    "custody_outs_30",
    "net_flow_90",
    "new_issue_share_90",
    "recommended_buy_share_90",
    "max_position_share",
    "contacts_90",
    "feedback_avg_180",
    "benchmark_return_90",
]


@pytest.mark.django_db
def test_a_later_snapshot_read_with_it_does_not_leak_into_an_earlier_one(branch):
    # given two snapshots read together: the data between them is in the window read
    plant_history(branch, clients=80, signal=True)
    early, late = dt.date(2025, 6, 30), dt.date(2025, 11, 30)
    policy = Policy()
    # when the early one is built alone (nothing after it read) and with the late one
    alone = training_set(branch.pk, [early], policy)
    both = training_set(branch.pk, [early, late], policy)
    # then its rows are the same
    rows = both.snapshot == np.datetime64(early, "D")
    np.testing.assert_array_equal(alone.client, both.client[rows])
    pd.testing.assert_frame_equal(
        alone.matrix, both.matrix[rows].reset_index(drop=True)
    )
    np.testing.assert_array_equal(alone.label, both.label[rows])
    assert rows.sum() < len(both.client)
