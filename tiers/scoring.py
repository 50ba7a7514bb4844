"""SPEC §3: features into classifications. Pure pandas: no Django, no I/O.

`features_from_sources` turns the source frames of `tiers.features.load_sources` into
one features frame; `classify` turns a features frame and a `Policy` into every
classification of §3.2; `position_alerts` gives the §3.4 alerts. Churn flags live in
`churn.scoring`.

Features frame: one row per client (index client_id) with the §3.1 columns — assets,
assets_30_ago, assets_90_ago, assets_avg_90, commission_365, commission_90, trades_90,
active_days_90, last_trade_date, amount_90, buy_amount_90, net_flow_30, net_flow_90,
return_90, benchmark_return_90, turnover_90, max_position_share, equity_share,
new_issue_share_90, tenure_years, active_months_12, contacts_90, contact_minutes_90,
referrals_365, feedback_avg_180 — and the client's attributes and helper counts: is_open,
kind, opened_at, investing_since, relationship_level, risk_level, active_days_365_91
(days with trades D−365 … D−91), active_days_60, custody_outs_30, interactions_90,
activities_365, complaints_90, recommended_buy_share_90, redeemed_365, opened_in_90,
days_since_contact, concentration, drawdown.

Comparisons at a threshold allow a relative tolerance of 1e-9, so that a value exactly
at the threshold in decimal (a 50% share, 15% below cost) is inside it even when the
binary float of the ratio lands a hair short.
"""

from __future__ import annotations

from datetime import date

import numpy as np
import pandas as pd

from .policy import Policy

EPS = 1e-9
TIER_ORDER = {"small": 0, "medium": 1, "large": 2, "special": 3}
LEVEL_ORDER = {"intermediary": 0, "priority": 1, "partnership": 2, "alliance": 3}


def ge(values, threshold) -> pd.Series:
    """values ≥ threshold, allowing float noise at the threshold (null is False)."""
    values = pd.Series(values, dtype="float64")
    return (values >= threshold - EPS * max(1.0, abs(threshold))).fillna(False)


def le(values, threshold) -> pd.Series:
    """values ≤ threshold, allowing float noise at the threshold (null is False)."""
    values = pd.Series(values, dtype="float64")
    return (values <= threshold + EPS * max(1.0, abs(threshold))).fillna(False)


def lt(values, threshold) -> pd.Series:
    return ~ge(values, threshold) & pd.Series(values, dtype="float64").notna()


def percentile_rank(values: pd.Series, is_open: pd.Series) -> pd.Series:
    """100 × average-tie rank / n among open clients; null for the others."""
    ranks = values[is_open].rank(pct=True, method="average") * 100
    return ranks.reindex(values.index)


# --- features --------------------------------------------------------------------


def is_open_on(clients: pd.DataFrame, as_of: date) -> pd.Series:
    """SPEC §3: opened on or before D and not closed by D; prospects are not open."""
    day = pd.Timestamp(as_of)
    opened = clients["opened_at"]
    closed = clients["closed_at"]
    return (opened.notna() & (opened <= day) & (closed.isna() | (closed > day))).astype(
        bool
    )


def client_positions(positions: pd.DataFrame) -> pd.DataFrame:
    """Account holdings → one row per client and security (SPEC §3 conventions)."""
    if "security_id" not in positions.columns:
        return positions.copy()
    pos = positions.copy()
    costed = pos["cost_price"].notna()
    pos["cost_quantity"] = pos["quantity"].where(costed, 0.0)
    pos["cost_amount"] = (pos["quantity"] * pos["cost_price"]).where(costed, 0.0)
    grouped = pos.groupby(["client_id", "security_id"], sort=False).agg(
        kind=("kind", "first"),
        quantity=("quantity", "sum"),
        market_value=("market_value", "sum"),
        cost_quantity=("cost_quantity", "sum"),
        cost_amount=("cost_amount", "sum"),
    )
    has_cost = grouped["cost_quantity"] != 0
    grouped["cost_price"] = (grouped["cost_amount"] / grouped["cost_quantity"]).where(
        has_cost
    )
    return grouped.drop(columns=["cost_quantity", "cost_amount"]).reset_index()


def position_features(
    positions: pd.DataFrame, assets: pd.Series, policy: Policy
) -> pd.DataFrame:
    """max_position_share, equity_share and the two alerts from latest positions.

    `positions`: client_id, security_id, kind, quantity, cost_price, market_value
    (rows of each account's latest position date, quantity 0 already dropped). A
    client's position in a security is summed over the client's accounts (SPEC §3):
    quantity and market_value added, cost the quantity-weighted average cost_price.
    Without a security_id column each row is its own position. `assets` by client.
    """
    out = pd.DataFrame(
        {
            "max_position_share": 0.0,
            "equity_share": 0.0,
            "concentration": False,
            "drawdown": False,
        },
        index=assets.index,
    )
    if positions.empty:
        return out
    pos = client_positions(positions)
    pos["assets"] = pos["client_id"].map(assets).astype("float64")
    has_assets = pos["assets"].fillna(0) > 0
    pos["share"] = (pos["market_value"] / pos["assets"]).where(has_assets, 0.0)
    per_share = pos["market_value"] / pos["quantity"]
    below_cost = (pos["cost_price"] - per_share) / pos["cost_price"]
    below_cost = below_cost.where(pos["cost_price"] > 0)
    alerts = policy.alerts
    pos["concentration"] = ge(pos["share"], alerts.concentration_share).to_numpy() & (
        has_assets.to_numpy()
    )
    pos["drawdown"] = (
        ge(pos["share"], alerts.drawdown_position_share).to_numpy()
        & ge(below_cost, alerts.drawdown_below_cost).to_numpy()
        & has_assets.to_numpy()
    )
    pos["stock_value"] = pos["market_value"].where(pos["kind"] == "stock", 0.0)
    grouped = pos.groupby("client_id").agg(
        max_market_value=("market_value", "max"),
        stock_value=("stock_value", "sum"),
        concentration=("concentration", "any"),
        drawdown=("drawdown", "any"),
    )
    grouped = grouped.reindex(assets.index)
    client_assets = assets.astype("float64")
    positive = client_assets.fillna(0) > 0
    out["max_position_share"] = (
        (grouped["max_market_value"] / client_assets).where(positive, 0.0).fillna(0.0)
    )
    out["equity_share"] = (
        (grouped["stock_value"] / client_assets).where(positive, 0.0).fillna(0.0)
    )
    out["concentration"] = grouped["concentration"].fillna(False).astype(bool)
    out["drawdown"] = grouped["drawdown"].fillna(False).astype(bool)
    return out


def features_from_sources(
    sources: dict, as_of: date, policy: Policy, redeemed: set[int] | None = None
) -> pd.DataFrame:
    """One features row per client of the branch from the loaded source frames."""
    day = pd.Timestamp(as_of)
    clients = sources["clients"]
    frame = clients.copy()
    frame["is_open"] = is_open_on(clients, as_of)
    for key in ("balances", "trade_days", "buys", "cash_flows", "interactions"):
        frame = frame.join(sources[key], how="left")
    frame = frame.join(sources["feedback"], how="left")
    frame = frame.join(sources["referrals"], how="left")
    zero_fill = [
        "commission_365",
        "commission_90",
        "trades_90",
        "active_days_90",
        "amount_90",
        "buy_amount_90",
        "active_days_365_91",
        "active_days_60",
        "active_months_12",
        "new_issue_buy_90",
        "recommended_buy_90",
        "net_flow_30",
        "net_flow_90",
        "custody_outs_30",
        "contacts_90",
        "contact_minutes_90",
        "interactions_90",
        "activities_365",
        "complaints_90",
        "referrals_365",
    ]
    for column in zero_fill:
        frame[column] = frame[column].astype("float64").fillna(0.0)
    for column in ("last_trade_date", "last_contact_date"):
        frame[column] = pd.to_datetime(frame[column])
    frame["assets"] = frame["assets"].astype("float64").fillna(0.0)
    for column in ("assets_30_ago", "assets_90_ago", "assets_avg_90"):
        frame[column] = frame[column].astype("float64")
    frame["feedback_avg_180"] = frame["feedback_avg_180"].astype("float64")

    denominator = frame["assets_90_ago"] + 0.5 * frame["net_flow_90"]
    frame["return_90"] = (
        (frame["assets"] - frame["assets_90_ago"] - frame["net_flow_90"]) / denominator
    ).where(denominator > 0)
    frame["benchmark_return_90"] = float(sources["benchmark_return_90"])
    avg = frame["assets_avg_90"]
    frame["turnover_90"] = (frame["amount_90"] / avg).where(avg > 0, 0.0).fillna(0.0)
    buys = frame["buy_amount_90"]
    frame["new_issue_share_90"] = (
        (frame["new_issue_buy_90"] / buys).where(buys > 0, 0.0).fillna(0.0)
    )
    frame["recommended_buy_share_90"] = (
        (frame["recommended_buy_90"] / buys).where(buys > 0, 0.0).fillna(0.0)
    )
    frame["tenure_years"] = (day - frame["opened_at"]).dt.days / 365.25
    frame = frame.join(
        position_features(sources["positions"], frame["assets"], policy), how="left"
    )
    redeemed = redeemed or set()
    frame["redeemed_365"] = frame.index.isin(list(redeemed))
    w90_start = day - pd.Timedelta(days=89)
    frame["opened_in_90"] = (
        frame["opened_at"].notna()
        & (frame["opened_at"] >= w90_start)
        & (frame["opened_at"] <= day)
    )
    frame["days_since_contact"] = (day - frame["last_contact_date"]).dt.days.astype(
        "float64"
    )
    return frame


# --- classifications -------------------------------------------------------------


def tier(assets: pd.Series, policy: Policy) -> pd.Series:
    t = policy.tier
    return pd.Series(
        np.select(
            [ge(assets, t.special), ge(assets, t.large), ge(assets, t.medium)],
            ["special", "large", "medium"],
            "small",
        ),
        index=assets.index,
        dtype=object,
    )


def stability(features: pd.DataFrame, policy: Policy) -> pd.Series:
    cap = policy.value.tenure_cap_years
    tenure = features["tenure_years"].clip(upper=cap)
    return 0.5 * tenure / cap + 0.5 * features["active_months_12"] / 12


def value_scores(features: pd.DataFrame, policy: Policy) -> pd.DataFrame:
    """Contribution and value scores with the ranks behind them (open clients only)."""
    is_open = features["is_open"]
    v = policy.value
    out = pd.DataFrame(index=features.index)
    out["commission_rank"] = percentile_rank(features["commission_365"], is_open)
    out["assets_rank"] = percentile_rank(features["assets_avg_90"].fillna(0.0), is_open)
    out["active_days_rank"] = percentile_rank(features["active_days_90"], is_open)
    out["stability"] = stability(features, policy).where(is_open)
    value = (
        v.weight_commission * out["commission_rank"]
        + v.weight_assets * out["assets_rank"]
        + v.weight_active_days * out["active_days_rank"]
        + v.weight_stability * 100 * out["stability"]
    )
    out["contribution_score"] = out["commission_rank"].round(1)
    out["value_score"] = value.round(1)
    return out


def maturity_stage(features: pd.DataFrame) -> pd.Series:
    """current / target / potential, for every client (open or not)."""
    traded = features["trades_90"] > 0
    touched = (features["interactions_90"] > 0) | features["opened_in_90"]
    return pd.Series(
        np.select([traded, touched], ["current", "target"], "potential"),
        index=features.index,
        dtype=object,
    )


def segment(features: pd.DataFrame, value: pd.Series, policy: Policy) -> pd.Series:
    s = policy.segment
    core = ge(value, s.core_min_value)
    dormant = (features["trades_90"] == 0) & ge(
        features["assets"], s.dormant_min_assets
    )
    maintaining = ge(value, s.maintaining_min_value)
    return pd.Series(
        np.select(
            [core, dormant, maintaining],
            ["core", "dormant", "maintaining"],
            "precipitating",
        ),
        index=features.index,
        dtype=object,
    )


def relationship(
    features: pd.DataFrame, tiers: pd.Series, value: pd.Series, policy: Policy
) -> pd.DataFrame:
    """Recommended level, its fit against the actual level, and the contact cadence."""
    r = policy.relationship
    rank = tiers.map(TIER_ORDER)
    large_up = rank >= TIER_ORDER["large"]
    partnership = (large_up & (features["kind"] == "institution")) | (
        (tiers == "special")
        & ge(features["tenure_years"], r.partnership_min_tenure_years)
    )
    priority = large_up | ge(value, r.priority_min_value)
    recommended = pd.Series(
        np.select([partnership, priority], ["partnership", "priority"], "intermediary"),
        index=features.index,
        dtype=object,
    )
    actual = (
        features["relationship_level"]
        .replace("", "intermediary")
        .fillna("intermediary")
        .map(LEVEL_ORDER)
        .fillna(0)
    )
    wanted = recommended.map(LEVEL_ORDER)
    fit = pd.Series(
        np.select(
            [actual > wanted, actual < wanted], ["over-served", "under-served"], "ok"
        ),
        index=features.index,
        dtype=object,
    )
    cadence = (
        features["relationship_level"]
        .map(
            {
                "priority": r.cadence_days_priority,
                "partnership": r.cadence_days_partnership,
                "alliance": r.cadence_days_alliance,
            }
        )
        .astype("float64")
    )
    overdue = cadence.notna() & (
        features["days_since_contact"].isna()
        | (features["days_since_contact"] > cadence)
    )
    return pd.DataFrame(
        {
            "relationship_recommended": recommended,
            "relationship_fit": fit,
            "cadence_days": cadence,
            "contact_overdue": overdue,
        }
    )


def risk_appetite(features: pd.DataFrame, policy: Policy) -> pd.DataFrame:
    """Behavioural risk appetite and the suitability warning against risk_level."""
    r = policy.risk
    high = (
        ge(features["turnover_90"], r.high_turnover)
        | ge(features["max_position_share"], r.high_max_position_share)
        | ge(features["new_issue_share_90"], r.high_new_issue_share)
    )
    low = lt(features["equity_share"], r.low_equity_share) & lt(
        features["turnover_90"], r.low_turnover
    )
    appetite = pd.Series(
        np.select([high, low], ["high", "low"], "medium"),
        index=features.index,
        dtype=object,
    )
    level = features["risk_level"].fillna("")
    warning = ((appetite == "high") & level.isin(["C1", "C2", "C3"])) | (
        (appetite == "medium") & (level == "C1")
    )
    return pd.DataFrame({"risk_appetite": appetite, "suitability_warning": warning})


def trading_ability(features: pd.DataFrame, policy: Policy) -> pd.DataFrame:
    """info_dependent / self_directed / blind (+ lagging note); null under 3 trades."""
    t = policy.trading
    info = (features["buy_amount_90"] > 0) & ge(
        features["recommended_buy_share_90"], t.info_dependent_share
    )
    excess = features["return_90"] - features["benchmark_return_90"]
    ahead = excess.isna() | ge(excess, 0.0)
    blind = le(excess, t.blind_excess_return) & ge(
        features["turnover_90"], t.blind_min_turnover
    )
    ability = pd.Series(
        np.select(
            [info, ahead, blind],
            ["info_dependent", "self_directed", "blind"],
            "self_directed",
        ),
        index=features.index,
        dtype=object,
    )
    lagging = ~info & ~ahead & ~blind
    enough = features["trades_90"] >= t.min_trades
    return pd.DataFrame(
        {
            "trading_ability": ability.where(enough, None),
            "trading_lagging": lagging & enough,
            "excess_return_90": excess,
        }
    )


def loyalty_type(features: pd.DataFrame) -> pd.Series:
    emotional = features["referrals_365"] >= 1
    attitudinal = (features["activities_365"] > 0) | features["redeemed_365"].astype(
        bool
    )
    behavioural = features["trades_90"] > 0
    return pd.Series(
        np.select(
            [emotional, attitudinal, behavioural],
            ["emotional", "attitudinal", "behavioural"],
            "none",
        ),
        index=features.index,
        dtype=object,
    )


def experience(features: pd.DataFrame, as_of: date) -> pd.Series:
    """new when investing since (else opened) after the same day two years before D."""
    try:
        cutoff = as_of.replace(year=as_of.year - 2)
    except ValueError:  # 29 February
        cutoff = as_of.replace(year=as_of.year - 2, day=28)
    since = features["investing_since"].fillna(features["opened_at"])
    result = pd.Series(
        np.where(since > pd.Timestamp(cutoff), "new", "seasoned"),
        index=features.index,
        dtype=object,
    )
    return result.where(since.notna(), None)


def classify(features: pd.DataFrame, policy: Policy, as_of: date) -> pd.DataFrame:
    """Every §3.2 classification; null for clients not open on D except maturity."""
    is_open = features["is_open"].astype(bool)
    scores = value_scores(features, policy)
    out = pd.DataFrame(index=features.index)
    out["tier"] = tier(features["assets"], policy)
    out["value_score"] = scores["value_score"]
    out["contribution_score"] = scores["contribution_score"]
    out["maturity_stage"] = maturity_stage(features)
    out["segment"] = segment(features, scores["value_score"], policy)
    out = out.join(relationship(features, out["tier"], scores["value_score"], policy))
    out = out.join(risk_appetite(features, policy))
    out = out.join(trading_ability(features, policy))
    out["loyalty_type"] = loyalty_type(features)
    out["experience"] = experience(features, as_of)
    out["concentration"] = features["concentration"].astype(bool)
    out["drawdown"] = features["drawdown"].astype(bool)
    for column in ("commission_rank", "assets_rank", "active_days_rank", "stability"):
        out[column] = scores[column]
    derived = [c for c in out.columns if c != "maturity_stage"]
    for column in derived:
        if out[column].dtype == bool:
            out[column] = out[column] & is_open
        else:
            out[column] = out[column].astype(object).where(is_open, None)
    return out


def alert_codes(classified: pd.DataFrame) -> pd.Series:
    """The §3.4 alert codes of each client, `;`-joined in sorted order."""
    concentration = classified["concentration"].map({True: "CONCENTRATION", False: ""})
    drawdown = classified["drawdown"].map({True: "DRAWDOWN", False: ""})
    joined = concentration + ";" + drawdown
    return joined.str.strip(";")
