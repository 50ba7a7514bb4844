"""SPEC §3.2 rules on hand-built frames: just inside and just outside every threshold."""

import datetime as dt

import numpy as np
import pandas as pd
import pytest
from django.utils import translation

from tiers import labels, scoring
from tiers.policy import Policy

from .frames import D, features, strings

POLICY = Policy()


def check(actual: pd.Series, *expected) -> None:
    pd.testing.assert_series_equal(
        actual.astype(object), strings(*expected), check_names=False
    )


def test_percentile_rank_averages_ties_over_open_clients_only():
    values = pd.Series([10.0, 10.0, 30.0, 99.0], index=[1, 2, 3, 4])
    is_open = pd.Series([True, True, True, False], index=[1, 2, 3, 4])

    ranks = scoring.percentile_rank(values, is_open)

    expected = pd.Series([50.0, 50.0, 100.0, np.nan], index=[1, 2, 3, 4])
    pd.testing.assert_series_equal(ranks, expected)


def test_tier_boundaries():
    assets = pd.Series(
        [5_000_000, 4_999_999.99, 1_000_000, 999_999.99, 100_000, 99_999.99, 0.0],
        index=range(1, 8),
    )
    check(
        scoring.tier(assets, POLICY),
        "special",
        "large",
        "large",
        "medium",
        "medium",
        "small",
        "small",
    )


def test_value_score_weights_unrounded_ranks_and_rounds_at_the_end():
    # given three open clients and one closed one (not ranked)
    frame = features(
        {"commission_365": 100.0, "assets_avg_90": 10.0, "active_days_90": 5.0},
        {"commission_365": 300.0, "assets_avg_90": 30.0, "active_days_90": 5.0},
        {"commission_365": 200.0, "assets_avg_90": np.nan, "active_days_90": 1.0},
        {"commission_365": 999.0, "is_open": False},
    )
    frame["tenure_years"] = [12.0, 5.0, 0.0, 1.0]
    frame["active_months_12"] = [12.0, 6.0, 0.0, 0.0]

    # when
    scores = scoring.value_scores(frame, POLICY)

    # then: ranks of 3 (no balances ranks as 0), ties averaged
    third = 100 / 3
    commission = [third, 100.0, 2 * third]
    assets = [2 * third, 100.0, third]
    days = [250 / 3, 250 / 3, third]
    stability = [1.0, 0.5 * 0.5 + 0.5 * 0.5, 0.0]
    value = [
        0.40 * c + 0.25 * a + 0.15 * d + 0.20 * 100 * s
        for c, a, d, s in zip(commission, assets, days, stability, strict=True)
    ]
    expected = pd.Series([*value, np.nan], index=frame.index).round(1)
    pd.testing.assert_series_equal(scores["value_score"], expected, check_names=False)
    pd.testing.assert_series_equal(
        scores["contribution_score"],
        pd.Series([33.3, 100.0, 66.7, np.nan], index=frame.index),
        check_names=False,
    )


def test_maturity_stage_for_every_client_open_or_not():
    frame = features(
        {"trades_90": 1.0},
        {"interactions_90": 1.0},
        {"opened_in_90": True},
        {},
        {"is_open": False, "trades_90": 2.0},
        {"is_open": False, "opened_at": pd.NaT, "interactions_90": 1.0},
    )
    check(
        scoring.maturity_stage(frame),
        "current",
        "target",
        "target",
        "potential",
        "current",
        "target",
    )


def test_segment_boundaries():
    frame = features(
        {"trades_90": 5.0},
        {"trades_90": 0.0, "assets": 100_000.0},
        {"trades_90": 0.0, "assets": 99_999.99},
        {"trades_90": 1.0, "assets": 500_000.0},
        {"trades_90": 1.0},
    )
    value = pd.Series([80.0, 79.9, 40.0, 39.9, 10.0], index=frame.index)
    check(
        scoring.segment(frame, value, POLICY),
        "core",
        "dormant",
        "maintaining",
        "precipitating",
        "precipitating",
    )


def test_recommended_relationship_and_fit():
    frame = features(
        {"kind": "institution"},
        {"kind": "institution"},
        {"tenure_years": 3.0},
        {"tenure_years": 2.99},
        {},
        {"relationship_level": "alliance"},
        {"relationship_level": "priority"},
        {"relationship_level": ""},
    )
    tiers = strings(
        "large", "medium", "special", "special", "small", "large", "small", "large"
    )
    value = pd.Series(
        [10.0, 10.0, 10.0, 10.0, 80.0, 10.0, 79.9, 10.0], index=frame.index
    )

    result = scoring.relationship(frame, tiers, value, POLICY)

    check(
        result["relationship_recommended"],
        "partnership",
        "intermediary",
        "partnership",
        "priority",
        "priority",
        "priority",
        "intermediary",
        "priority",
    )
    check(
        result["relationship_fit"],
        "under-served",
        "ok",
        "under-served",
        "under-served",
        "under-served",
        "over-served",
        "over-served",
        "under-served",
    )


def test_contact_cadence_by_actual_level():
    frame = features(
        {"relationship_level": "priority", "days_since_contact": 30.0},
        {"relationship_level": "priority", "days_since_contact": 31.0},
        {"relationship_level": "partnership", "days_since_contact": 15.0},
        {"relationship_level": "alliance", "days_since_contact": 7.0},
        {"relationship_level": "alliance", "days_since_contact": np.nan},
        {"relationship_level": "intermediary", "days_since_contact": np.nan},
    )
    tiers = strings(*["small"] * 6)
    value = pd.Series([0.0] * 6, index=frame.index)

    result = scoring.relationship(frame, tiers, value, POLICY)

    assert result["cadence_days"].tolist()[:4] == [30.0, 30.0, 14.0, 7.0]
    assert np.isnan(result["cadence_days"].iloc[5])
    assert result["contact_overdue"].tolist() == [False, True, True, False, True, False]


def test_risk_appetite_boundaries_and_suitability_warning():
    frame = features(
        {"turnover_90": 3.0, "equity_share": 0.9, "risk_level": "C3"},
        {"turnover_90": 2.99, "equity_share": 0.9, "risk_level": "C3"},
        {"max_position_share": 0.5, "risk_level": "C4"},
        {"max_position_share": 0.4999, "equity_share": 0.5, "risk_level": "C1"},
        {"new_issue_share_90": 0.3, "risk_level": "C1"},
        {"equity_share": 0.2999, "turnover_90": 0.4999, "risk_level": "C1"},
        {"equity_share": 0.3, "turnover_90": 0.1, "risk_level": "C2"},
        {"equity_share": 0.1, "turnover_90": 0.5, "risk_level": ""},
    )

    result = scoring.risk_appetite(frame, POLICY)

    check(
        result["risk_appetite"],
        "high",
        "medium",
        "high",
        "medium",
        "high",
        "low",
        "medium",
        "medium",
    )
    assert result["suitability_warning"].tolist() == [
        True,
        False,
        False,
        True,
        True,
        False,
        False,
        False,
    ]


def test_trading_ability_boundaries():
    frame = features(
        {"trades_90": 2.0, "return_90": 0.5},
        {"trades_90": 3.0, "buy_amount_90": 100.0, "recommended_buy_share_90": 0.5},
        {
            "trades_90": 3.0,
            "buy_amount_90": 100.0,
            "recommended_buy_share_90": 0.49,
            "return_90": 0.05,
            "benchmark_return_90": 0.05,
        },
        {
            "trades_90": 3.0,
            "return_90": -0.05,
            "benchmark_return_90": 0.05,
            "turnover_90": 1.0,
        },
        {
            "trades_90": 3.0,
            "return_90": -0.05,
            "benchmark_return_90": 0.05,
            "turnover_90": 0.99,
        },
        {
            "trades_90": 3.0,
            "return_90": -0.0499,
            "benchmark_return_90": 0.05,
            "turnover_90": 5.0,
        },
        {"trades_90": 3.0, "return_90": np.nan, "benchmark_return_90": 0.05},
        {
            "trades_90": 3.0,
            "buy_amount_90": 0.0,
            "recommended_buy_share_90": 0.0,
            "return_90": 0.1,
        },
    )

    result = scoring.trading_ability(frame, POLICY)

    check(
        result["trading_ability"],
        None,
        "info_dependent",
        "self_directed",
        "blind",
        "self_directed",
        "self_directed",
        "self_directed",
        "self_directed",
    )
    assert result["trading_lagging"].tolist() == [
        False,
        False,
        False,
        False,
        True,
        True,
        False,
        False,
    ]


def test_loyalty_type_order():
    frame = features(
        {"referrals_365": 1.0, "trades_90": 1.0},
        {"activities_365": 1.0, "trades_90": 1.0},
        {"redeemed_365": True},
        {"trades_90": 1.0},
        {},
    )
    check(
        scoring.loyalty_type(frame),
        "emotional",
        "attitudinal",
        "attitudinal",
        "behavioural",
        "none",
    )


def test_experience_two_calendar_years_before_d():
    frame = features(
        {"investing_since": pd.Timestamp("2024-06-30")},
        {"investing_since": pd.Timestamp("2024-07-01")},
        {"investing_since": pd.NaT, "opened_at": pd.Timestamp("2025-01-01")},
        {
            "investing_since": pd.Timestamp("2010-01-01"),
            "opened_at": pd.Timestamp("2026-01-01"),
        },
    )
    check(scoring.experience(frame, D), "seasoned", "new", "new", "seasoned")


def test_experience_on_29_february():
    frame = features(
        {"investing_since": pd.Timestamp("2026-02-28")},
        {"investing_since": pd.Timestamp("2026-03-01")},
    )
    check(scoring.experience(frame, dt.date(2028, 2, 29)), "seasoned", "new")


def test_clients_not_open_get_nothing_but_maturity():
    # given an open client, a closed one and a prospect, all with the same figures
    common = {"assets": 2_000_000.0, "trades_90": 5.0, "referrals_365": 1.0}
    frame = features(
        common,
        {**common, "is_open": False, "closed_at": pd.Timestamp("2026-06-01")},
        {**common, "is_open": False, "opened_at": pd.NaT},
    )

    # when
    result = scoring.classify(frame, POLICY, D)

    # then
    assert result.loc[1, "tier"] == "large"
    assert result.loc[1, "loyalty_type"] == "emotional"
    for client_id in (2, 3):
        row = result.loc[client_id]
        assert row["maturity_stage"] == "current"
        for column in (
            "tier",
            "value_score",
            "contribution_score",
            "segment",
            "relationship_recommended",
            "relationship_fit",
            "risk_appetite",
            "trading_ability",
            "loyalty_type",
            "experience",
        ):
            assert row[column] is None or pd.isna(row[column]), column


def test_is_open_on_d():
    clients = pd.DataFrame(
        {
            "opened_at": pd.to_datetime(
                ["2026-06-30", "2026-07-01", None, "2020-01-01", "2020-01-01"]
            ),
            "closed_at": pd.to_datetime([None, None, None, "2026-06-30", "2026-07-01"]),
        }
    )
    assert scoring.is_open_on(clients, D).tolist() == [True, False, False, False, True]


def test_position_features_and_alert_boundaries():
    assets = pd.Series([1000.0, 1000.0, 1000.0, 0.0, 1000.0], index=[1, 2, 3, 4, 5])
    positions = pd.DataFrame(
        {
            "client_id": [1, 2, 2, 3, 4, 5],
            "kind": ["stock", "fund", "stock", "stock", "stock", "bond"],
            "quantity": [100.0, 10.0, 10.0, 10.0, 10.0, 20.0],
            "cost_price": [1.0, 1.0, 23.53, 23.52, 5.0, None],
            "market_value": [500.0, 499.99, 200.0, 200.0, 50.0, 600.0],
        }
    )

    result = scoring.position_features(positions, assets, POLICY)

    # 1: 50% exactly (concentration); 2: 49.999% fund + a 20% stock 15.0% below cost
    assert result["concentration"].tolist() == [True, False, False, False, True]
    assert result["drawdown"].tolist() == [False, True, False, False, False]
    pd.testing.assert_series_equal(
        result["max_position_share"],
        pd.Series([0.5, 0.49999, 0.2, 0.0, 0.6], index=assets.index),
        check_names=False,
    )
    pd.testing.assert_series_equal(
        result["equity_share"],
        pd.Series([0.5, 0.2, 0.2, 0.0, 0.0], index=assets.index),
        check_names=False,
    )


@pytest.mark.parametrize(
    ("before", "flow", "now", "expected"),
    [
        (100_000.0, 0.0, 110_000.0, 0.1),
        (100_000.0, 20_000.0, 110_000.0, -10_000 / 110_000),
        (0.0, 0.0, 10_000.0, None),
        (10_000.0, -20_000.0, 0.0, None),
        (None, 0.0, 10_000.0, None),
    ],
)
def test_return_90_modified_dietz_null_when_denominator_not_positive(
    before, flow, now, expected
):
    sources = _sources(
        balances={"assets": now, "assets_90_ago": before, "assets_avg_90": now},
        cash_flows={"net_flow_30": 0.0, "net_flow_90": flow, "custody_outs_30": 0.0},
    )
    frame = scoring.features_from_sources(sources, D, POLICY)
    value = frame.loc[1, "return_90"]
    if expected is None:
        assert pd.isna(value)
    else:
        assert value == pytest.approx(expected)


def test_features_without_balances_or_trades():
    # given an open client with no balance and no trade at all
    frame = scoring.features_from_sources(_sources(), D, POLICY)
    row = frame.loc[1]

    assert row["assets"] == 0.0
    assert pd.isna(row["assets_90_ago"])
    assert pd.isna(row["return_90"])
    assert row["turnover_90"] == 0.0
    assert row["max_position_share"] == 0.0
    assert row["equity_share"] == 0.0
    assert row["new_issue_share_90"] == 0.0
    assert row["trades_90"] == 0.0
    assert row["tenure_years"] == pytest.approx((D - dt.date(2020, 1, 1)).days / 365.25)


def test_new_issue_and_recommended_shares_of_buys():
    sources = _sources(
        balances={"assets": 1.0, "assets_90_ago": 1.0, "assets_avg_90": 1.0},
        trade_days={"buy_amount_90": 1000.0, "amount_90": 1500.0, "trades_90": 3.0},
        buys={"new_issue_buy_90": 300.0, "recommended_buy_90": 500.0},
    )
    frame = scoring.features_from_sources(sources, D, POLICY)
    assert frame.loc[1, "new_issue_share_90"] == 0.3
    assert frame.loc[1, "recommended_buy_share_90"] == 0.5
    assert frame.loc[1, "turnover_90"] == 1500.0


def _sources(balances=None, trade_days=None, buys=None, cash_flows=None) -> dict:
    index = pd.Index([1], name="client_id")
    clients = pd.DataFrame(
        {
            "client_no": ["C1"],
            "kind": ["individual"],
            "opened_at": pd.to_datetime(["2020-01-01"]),
            "closed_at": pd.to_datetime([None]),
            "investing_since": pd.to_datetime([None]),
            "relationship_level": ["intermediary"],
            "risk_level": [""],
            "advisor_id": [1],
        },
        index=index,
    )

    def one(values, columns):
        if values is None:
            return pd.DataFrame(columns=columns, index=pd.Index([], name="client_id"))
        return pd.DataFrame({c: [values.get(c, 0.0)] for c in columns}, index=index)

    return {
        "clients": clients,
        "balances": one(
            balances, ["assets", "assets_30_ago", "assets_90_ago", "assets_avg_90"]
        ),
        "trade_days": one(
            trade_days,
            [
                "commission_365",
                "commission_90",
                "trades_90",
                "active_days_90",
                "amount_90",
                "buy_amount_90",
                "active_days_365_91",
                "active_days_60",
                "active_months_12",
                "last_trade_date",
            ],
        ),
        "buys": one(buys, ["new_issue_buy_90", "recommended_buy_90"]),
        "positions": pd.DataFrame(
            columns=["client_id", "kind", "quantity", "cost_price", "market_value"]
        ),
        "cash_flows": one(
            cash_flows, ["net_flow_30", "net_flow_90", "custody_outs_30"]
        ),
        "interactions": one(
            None,
            [
                "contacts_90",
                "contact_minutes_90",
                "interactions_90",
                "activities_365",
                "complaints_90",
                "last_contact_date",
            ],
        ),
        "feedback": one(None, ["feedback_avg_180"]),
        "referrals": one(None, ["referrals_365"]),
        "benchmark_return_90": 0.02,
    }


def test_explanation_names_the_deciding_values():
    score = {
        "tier": "large",
        "value_score": 86.4,
        "segment": "core",
        "maturity_stage": "current",
        "relationship_recommended": "priority",
        "relationship_fit": "ok",
        "risk_appetite": "high",
        "trading_ability": "self_directed",
        "trading_lagging": True,
        "churn_risk": 12.0,
        "churn_flags": "",
    }
    features = {
        "commission_rank": 97.0,
        "assets_rank": 88.0,
        "active_days_rank": 75.0,
        "stability": 0.62,
        "assets": 1_500_000.0,
        "trades_90": 12.0,
        "turnover_90": 3.2,
        "max_position_share": 0.3,
        "return_90": np.nan,
    }

    lines = labels.explain(score, features)

    assert lines["segment"] == (
        "Core: value 86.4 (commission rank 97, assets rank 88, active-days rank 75, "
        "stability 0.62)"
    )
    assert lines["tier"] == "Large: assets 1,500,000"
    assert lines["risk_appetite"].startswith(
        "High: turnover 3.20, largest position 30%"
    )
    assert "lagging" in lines["trading_ability"]
    assert lines["maturity_stage"] == "Current client: 12 trades in the last 90 days"
    with translation.override("zh-hans"):
        chinese = labels.explain(score, features)
    assert chinese["tier"].startswith("大")
    assert "1500000" in chinese["tier"].replace(",", "")
    assert not any(word in " ".join(chinese.values()) for word in ("value", "rank"))


def test_a_position_is_summed_over_the_clients_accounts():
    # given one stock held in two accounts at 29% of assets each (58% together), the
    # second lot bought dearer, and a fund in one account
    assets = pd.Series([1000.0], index=[1])
    positions = pd.DataFrame(
        {
            "client_id": [1, 1, 1],
            "security_id": [7, 7, 8],
            "kind": ["stock", "stock", "fund"],
            "quantity": [10.0, 30.0, 5.0],
            "cost_price": [30.0, 50.0, 1.0],
            "market_value": [290.0, 290.0, 100.0],
        }
    )

    # when the client's positions are formed
    merged = scoring.client_positions(positions)
    result = scoring.position_features(positions, assets, POLICY)

    # then the stock is one position of 40 shares at the weighted cost of 45
    stock = merged[merged["security_id"] == 7].iloc[0]
    assert (stock["quantity"], stock["market_value"]) == (40.0, 580.0)
    assert stock["cost_price"] == pytest.approx(45.0)
    # 58% of assets: concentration, and the largest position; 14.50 a share is
    # 67.8% below the 45 cost on a position ≥ 20%: drawdown
    assert result.loc[1, "max_position_share"] == pytest.approx(0.58)
    assert bool(result.loc[1, "concentration"]) is True
    assert bool(result.loc[1, "drawdown"]) is True
    assert result.loc[1, "equity_share"] == pytest.approx(0.58)
