"""Hand-built features frames for the pure scoring tests: neutral defaults per column."""

import datetime as dt

import numpy as np
import pandas as pd

D = dt.date(2026, 6, 30)

NEUTRAL = {
    "client_no": "C",
    "kind": "individual",
    "opened_at": pd.Timestamp("2020-01-01"),
    "closed_at": pd.NaT,
    "investing_since": pd.NaT,
    "relationship_level": "intermediary",
    "risk_level": "",
    "advisor_id": 1,
    "is_open": True,
    "assets": 50_000.0,
    "assets_30_ago": 50_000.0,
    "assets_90_ago": 50_000.0,
    "assets_avg_90": 50_000.0,
    "commission_365": 0.0,
    "commission_90": 0.0,
    "trades_90": 0.0,
    "active_days_90": 0.0,
    "last_trade_date": pd.NaT,
    "amount_90": 0.0,
    "buy_amount_90": 0.0,
    "active_days_365_91": 0.0,
    "active_days_60": 0.0,
    "active_months_12": 0.0,
    "new_issue_buy_90": 0.0,
    "recommended_buy_90": 0.0,
    "net_flow_30": 0.0,
    "net_flow_90": 0.0,
    "custody_outs_30": 0.0,
    "contacts_90": 0.0,
    "contact_minutes_90": 0.0,
    "interactions_90": 0.0,
    "activities_365": 0.0,
    "complaints_90": 0.0,
    "last_contact_date": pd.NaT,
    "feedback_avg_180": np.nan,
    "referrals_365": 0.0,
    "return_90": 0.0,
    "benchmark_return_90": 0.0,
    "turnover_90": 0.0,
    "new_issue_share_90": 0.0,
    "recommended_buy_share_90": 0.0,
    "tenure_years": 6.5,
    "max_position_share": 0.0,
    "equity_share": 0.0,
    "concentration": False,
    "drawdown": False,
    "redeemed_365": False,
    "opened_in_90": False,
    "days_since_contact": np.nan,
}


def features(*rows: dict) -> pd.DataFrame:
    """A features frame, one row per dict (index 1, 2, …), neutral where unsaid."""
    records = [{**NEUTRAL, **row} for row in rows]
    frame = pd.DataFrame.from_records(records, index=range(1, len(rows) + 1))
    frame.index.name = "client_id"
    for column in ("opened_at", "closed_at", "investing_since", "last_contact_date"):
        frame[column] = pd.to_datetime(frame[column])
    return frame


def strings(*values) -> pd.Series:
    return pd.Series(list(values), index=range(1, len(values) + 1), dtype=object)
