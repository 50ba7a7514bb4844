"""SPEC §3.3 churn rules on hand-built frames: just inside and just outside each one."""

import numpy as np
import pandas as pd

from churn.scoring import churn_flags, churn_risk, flag_codes
from tests.tiers.frames import features
from tiers.policy import Policy

POLICY = Policy()


def fired(frame: pd.DataFrame, code: str) -> list[bool]:
    return churn_flags(frame, POLICY)[code].tolist()


def test_outflow_half_of_assets_at_d30_and_50k():
    frame = features(
        {"assets_30_ago": 100_000.0, "net_flow_30": -50_000.0},
        {"assets_30_ago": 100_000.0, "net_flow_30": -49_999.99},
        {"assets_30_ago": 100_000.02, "net_flow_30": -50_000.0},
        {"assets_30_ago": 20_000.0, "net_flow_30": -49_999.99},
        {"assets_30_ago": np.nan, "net_flow_30": -80_000.0},
        {"assets_30_ago": 1e9, "custody_outs_30": 1.0},
    )
    assert fired(frame, "OUTFLOW") == [True, False, False, False, False, True]


def test_losses_return_and_shrinking_assets():
    frame = features(
        {"return_90": -0.20, "assets": 70_000.0, "assets_90_ago": 100_000.0},
        {"return_90": -0.1999, "assets": 50_000.0, "assets_90_ago": 100_000.0},
        {"return_90": -0.5, "assets": 70_000.01, "assets_90_ago": 100_000.0},
        {"return_90": np.nan, "assets": 0.0, "assets_90_ago": 100_000.0},
    )
    assert fired(frame, "LOSSES") == [True, False, False, False]


def test_dormant_three_active_days_earlier_none_in_60():
    frame = features(
        {"active_days_365_91": 3.0, "active_days_60": 0.0},
        {"active_days_365_91": 2.0, "active_days_60": 0.0},
        {"active_days_365_91": 10.0, "active_days_60": 1.0},
    )
    assert fired(frame, "DORMANT") == [True, False, False]


def test_dissatisfied_feedback_or_complaint():
    frame = features(
        {"feedback_avg_180": 2.0},
        {"feedback_avg_180": 2.01},
        {"feedback_avg_180": np.nan, "complaints_90": 1.0},
        {"feedback_avg_180": np.nan},
    )
    assert fired(frame, "DISSATISFIED") == [True, False, True, False]


def test_no_flags_for_clients_not_open():
    frame = features(
        {"is_open": False, "custody_outs_30": 1.0, "complaints_90": 2.0},
        {"is_open": False, "opened_at": pd.NaT, "complaints_90": 1.0},
    )
    flags = churn_flags(frame, POLICY)
    assert not flags.to_numpy().any()
    assert churn_risk(frame, flags, POLICY).isna().all()


def test_flag_codes_are_sorted_and_joined():
    frame = features(
        {"custody_outs_30": 1.0, "complaints_90": 1.0},
        {},
        {"active_days_365_91": 5.0},
    )
    codes = flag_codes(churn_flags(frame, POLICY))
    pd.testing.assert_series_equal(
        codes,
        pd.Series(
            ["DISSATISFIED;OUTFLOW", "", "DORMANT"], index=frame.index, dtype=object
        ),
        check_names=False,
    )


def test_churn_risk_grows_with_flags_and_falling_assets_within_0_100():
    frame = features(
        {},
        {"assets": 25_000.0, "assets_90_ago": 100_000.0},
        {
            "custody_outs_30": 1.0,
            "complaints_90": 1.0,
            "active_days_365_91": 4.0,
            "return_90": -0.9,
            "assets": 0.0,
            "assets_90_ago": 100_000.0,
        },
    )
    risk = churn_risk(frame, churn_flags(frame, POLICY), POLICY)
    assert risk.iloc[0] == 0.0
    assert 0 < risk.iloc[1] < risk.iloc[2]
    assert risk.iloc[2] == 100.0
