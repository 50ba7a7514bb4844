"""SPEC §3.3 churn flags and the churn risk score. Pure pandas: no Django, no I/O.

Input: the features frame of `tiers.scoring` (columns used: is_open, assets,
assets_30_ago, assets_90_ago, net_flow_30, custody_outs_30, return_90,
active_days_365_91, active_days_60, feedback_avg_180, complaints_90) and a `Policy`.
"""

from __future__ import annotations

import pandas as pd

from tiers.policy import Policy
from tiers.scoring import le

FLAG_CODES = ("DISSATISFIED", "DORMANT", "LOSSES", "OUTFLOW")

# The values that explain each flag (kept with it; the words are `churn.labels`).
REASON_FACTS = {
    "OUTFLOW": ("net_flow_30", "assets_30_ago", "custody_outs_30"),
    "LOSSES": ("return_90", "assets", "assets_90_ago"),
    "DORMANT": ("active_days_365_91", "active_days_60"),
    "DISSATISFIED": ("feedback_avg_180", "complaints_90"),
}


def churn_flags(features: pd.DataFrame, policy: Policy) -> pd.DataFrame:
    """One boolean column per flag code: does the rule fire on D (open clients only)."""
    c = policy.churn
    flow = features["net_flow_30"]
    outflow = (
        le(flow, -c.outflow_min_amount)
        & features["assets_30_ago"].notna()
        & le(flow + c.outflow_share * features["assets_30_ago"], 0.0)
    ) | (features["custody_outs_30"] > 0)
    losses = (
        le(features["return_90"], c.losses_return)
        & features["assets_90_ago"].notna()
        & le(
            features["assets"] - c.losses_assets_ratio * features["assets_90_ago"], 0.0
        )
    )
    dormant = (features["active_days_365_91"] >= c.dormant_min_active_days) & (
        features["active_days_60"] == 0
    )
    dissatisfied = le(features["feedback_avg_180"], c.dissatisfied_max_feedback) | (
        features["complaints_90"] > 0
    )
    is_open = features["is_open"].astype(bool)
    return pd.DataFrame(
        {
            "DISSATISFIED": dissatisfied & is_open,
            "DORMANT": dormant & is_open,
            "LOSSES": losses & is_open,
            "OUTFLOW": outflow & is_open,
        },
        index=features.index,
    )


def churn_risk(
    features: pd.DataFrame, flags: pd.DataFrame, policy: Policy
) -> pd.Series:
    """0–100 by the policy's hand weights: the firing flags' weights plus the trend.

    The trend adds up to `policy.churn.trend_weight` points as assets fall from
    assets_90_ago to 0; null for clients not open on D.
    """
    c = policy.churn
    score = pd.Series(0.0, index=features.index)
    for code, weight in c.flag_weights.items():
        if code in flags:
            score = score + flags[code].astype(float) * float(weight)
    before = features["assets_90_ago"]
    fall = ((before - features["assets"]) / before).where(before > 0, 0.0)
    score = score + c.trend_weight * fall.fillna(0.0).clip(0.0, 1.0)
    score = score.clip(0.0, 100.0).round(1)
    return score.where(features["is_open"].astype(bool))


def flag_codes(flags: pd.DataFrame) -> pd.Series:
    """The firing codes of each client, `;`-joined in sorted order ('' for none)."""
    joined = pd.Series("", index=flags.index, dtype=object)
    for code in sorted(flags.columns):
        joined = joined.where(~flags[code], joined + ";" + code)
    return joined.str.lstrip(";")


def flag_facts(code: str, row: pd.Series) -> dict:
    """The deciding values of one client's flag `code`: {feature: number or None}."""
    facts = {}
    for name in REASON_FACTS[code]:
        value = row.get(name)
        facts[name] = None if value is None or pd.isna(value) else float(value)
    return facts
