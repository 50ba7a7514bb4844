"""SPEC §5's KPIs as pure functions of frames: no Django, no I/O.

`kpi_table` takes one frame per source (documented below) and returns one row per
advisor and one for the branch (employee_no "*"), with the columns of `KPI_COLUMNS`
as plain Python values (int, Decimal or None). Money is handled in integer cents so
sums are exact; ratios are rounded once, at the end, with Python's `round`.

Inputs (client ids are ints):
- clients: index client_id; advisor_id (the advisor at E, nullable), opened_at,
  closed_at (datetime64, NaT when empty), is_open (at E), segment, tier,
  maturity_stage (the run's values, null for clients not open except maturity),
  assets (float CNY at E), return_90 (float, NaN when null).
- advisors: advisor_id, employee_no (every advisor of the branch).
- flows: client_id, cents (signed net flow S … E, per client).
- commission: client_id, cents (commission S … E, per client).
- contacted: client ids with a contact (call/visit/email/message) dated E−29 … E.
- minutes: advisor_id (who logged it, nullable), client_id, minutes (contacts S … E).
- flags_open: client_id, code (one row per flag open after E's run).
- flags_resolved: client_id, code, outcome, days (resolved day − raised day),
  one row per flag resolved in S … E.
- feedback: client_id, score (one row per feedback dated S … E).
"""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import numpy as np
import pandas as pd

BRANCH_ROW = "*"
CORE_DORMANT = ("core", "dormant")
MINUTE_GROUPS = {
    "core": "minutes_core_dormant",
    "dormant": "minutes_core_dormant",
    "maintaining": "minutes_maintaining",
    "precipitating": "minutes_precipitating",
}
RANKED = {
    "rank_aum": "aum",
    "rank_commission": "commission",
    "rank_net_new_assets": "net_new_assets",
    "rank_contact_coverage": "contact_coverage",
}
KPI_COLUMNS = [
    "clients",
    "aum",
    "net_new_assets",
    "new_clients",
    "lost_clients",
    "commission",
    "avg_return_90",
    "contact_coverage",
    "minutes_core_dormant",
    "minutes_maintaining",
    "minutes_precipitating",
    "flags_open",
    "flags_resolved",
    "median_resolve_days",
    "satisfaction",
    "rank_aum",
    "rank_commission",
    "rank_net_new_assets",
    "rank_contact_coverage",
    "churn_rate_12m",
]
MONEY_COLUMNS = ("aum", "net_new_assets", "commission")
#: Each row's mix: counts the pages chart (not part of the export).
MIX_COLUMNS = ("segment", "tier", "maturity_stage")


def month_start(day: date) -> date:
    return day.replace(day=1)


def _cents(values: pd.Series) -> pd.Series:
    return np.round(values.astype("float64").fillna(0.0) * 100).astype("int64")


def _money(cents) -> Decimal:
    return (Decimal(int(cents)) / 100).quantize(Decimal("0.01"))


def _dec(value, places: int) -> Decimal | None:
    if value is None or pd.isna(value):
        return None
    return Decimal(str(round(float(value), places))).quantize(
        Decimal(1).scaleb(-places)
    )


def _in(series: pd.Series, start: date, end: date) -> pd.Series:
    return (series >= pd.Timestamp(start)) & (series <= pd.Timestamp(end))


def _open_on(clients: pd.DataFrame, day: date) -> pd.Series:
    ts = pd.Timestamp(day)
    opened = clients["opened_at"].notna() & (clients["opened_at"] <= ts)
    return opened & (clients["closed_at"].isna() | (clients["closed_at"] > ts))


def churn_rate_12m(clients: pd.DataFrame, end: date) -> Decimal | None:
    """100 × closed in E−364 … E ÷ mean(open at E−365, open at E), one decimal."""
    closed = int(_in(clients["closed_at"], end - timedelta(364), end).sum())
    mean_open = (
        int(_open_on(clients, end - timedelta(365)).sum())
        + int(_open_on(clients, end).sum())
    ) / 2
    if mean_open <= 0:
        return None
    return _dec(100 * closed / mean_open, 1)


def _per_client(clients, flows, commission, contacted, feedback, start, end):
    frame = pd.DataFrame(index=clients.index)
    is_open = clients["is_open"].fillna(False).astype(bool)
    frame["open"] = is_open.astype("int64")
    frame["aum"] = _cents(clients["assets"]).where(is_open, 0)
    frame["net_new_assets"] = (
        flows.groupby("client_id")["cents"].sum().reindex(clients.index, fill_value=0)
        if len(flows)
        else 0
    )
    frame["commission"] = (
        commission.groupby("client_id")["cents"]
        .sum()
        .reindex(clients.index, fill_value=0)
        if len(commission)
        else 0
    )
    frame["new_clients"] = _in(clients["opened_at"], start, end).astype("int64")
    frame["lost_clients"] = _in(clients["closed_at"], start, end).astype("int64")
    returns = clients["return_90"].astype("float64").where(is_open)
    frame["return_sum"] = returns.fillna(0.0)
    frame["return_n"] = returns.notna().astype("int64")
    core_dormant = is_open & clients["segment"].isin(CORE_DORMANT)
    frame["cd"] = core_dormant.astype("int64")
    frame["cd_contacted"] = (core_dormant & clients.index.isin(list(contacted))).astype(
        "int64"
    )
    if len(feedback):
        grouped = feedback.groupby("client_id")["score"]
        frame["fb_sum"] = grouped.sum().reindex(clients.index, fill_value=0)
        frame["fb_n"] = grouped.count().reindex(clients.index, fill_value=0)
    else:
        frame["fb_sum"] = 0
        frame["fb_n"] = 0
    return frame


def _finish(sums: pd.DataFrame) -> pd.DataFrame:
    out = pd.DataFrame(index=sums.index)
    out["clients"] = sums["open"]
    for column in (*MONEY_COLUMNS, "new_clients", "lost_clients"):
        out[column] = sums[column]
    out["avg_return_90"] = (sums["return_sum"] / sums["return_n"]).where(
        sums["return_n"] > 0
    )
    out["contact_coverage"] = (100 * sums["cd_contacted"] / sums["cd"]).where(
        sums["cd"] > 0
    )
    out["satisfaction"] = (sums["fb_sum"] / sums["fb_n"]).where(sums["fb_n"] > 0)
    # The figures as reported (rounded): ranks and pages read these.
    out["avg_return_90"] = out["avg_return_90"].round(4)
    out["contact_coverage"] = out["contact_coverage"].map(
        lambda v: v if pd.isna(v) else round(float(v), 1)
    )
    out["satisfaction"] = out["satisfaction"].map(
        lambda v: v if pd.isna(v) else round(float(v), 2)
    )
    return out


def _minutes(minutes, clients, key) -> pd.DataFrame:
    columns = sorted(set(MINUTE_GROUPS.values()))
    if not len(minutes):
        return pd.DataFrame(columns=columns, dtype="int64")
    is_open = clients["is_open"].fillna(False).astype(bool)
    segment = clients["segment"].where(is_open)
    frame = minutes.copy()
    frame["group"] = frame["client_id"].map(segment).map(MINUTE_GROUPS)
    frame = frame[frame["group"].notna()]
    frame["key"] = key(frame)
    table = frame.pivot_table(
        index="key", columns="group", values="minutes", aggfunc="sum", fill_value=0
    )
    return table.reindex(columns=columns, fill_value=0).astype("int64")


def _flags(flags_open, flags_resolved, owner_of) -> pd.DataFrame:
    out = {}
    if len(flags_open):
        out["flags_open"] = flags_open.groupby(owner_of(flags_open)).size()
    if len(flags_resolved):
        keys = owner_of(flags_resolved)
        grouped = flags_resolved.groupby(keys)["days"]
        out["flags_resolved"] = grouped.size()
        out["median_resolve_days"] = grouped.median()
    return pd.DataFrame(out)


def _mix(clients, keys) -> dict:
    """{key: {"segment": {...}, "tier": {...}, "maturity_stage": {...}}}."""
    result: dict = {}
    for column in MIX_COLUMNS:
        values = clients[column]
        if column != "maturity_stage":
            values = values.where(clients["is_open"].fillna(False).astype(bool))
        counts = (
            pd.DataFrame({"key": keys, "value": values})
            .dropna()
            .groupby(["key", "value"])
            .size()
        )
        for (key, value), n in counts.items():
            result.setdefault(key, {}).setdefault(column, {})[str(value)] = int(n)
    return result


def kpi_table(
    *,
    clients: pd.DataFrame,
    advisors: pd.DataFrame,
    flows: pd.DataFrame,
    commission: pd.DataFrame,
    contacted,
    minutes: pd.DataFrame,
    flags_open: pd.DataFrame,
    flags_resolved: pd.DataFrame,
    feedback: pd.DataFrame,
    start: date,
    end: date,
) -> list[dict]:
    """The KPI rows of month start … end: advisors by employee_no, then the branch."""
    per_client = _per_client(
        clients, flows, commission, contacted, feedback, start, end
    )
    owner = clients["advisor_id"]

    def owner_of(frame):
        return frame["client_id"].map(owner)

    advisor_sums = per_client.groupby(owner).sum()
    branch_sums = per_client.sum().to_frame(BRANCH_ROW).T
    figures = pd.concat([_finish(advisor_sums), _finish(branch_sums)])

    advisor_minutes = _minutes(minutes, clients, lambda f: f["advisor_id"])
    branch_minutes = (
        _minutes(minutes, clients, lambda f: BRANCH_ROW).groupby(level=0).sum()
    )
    minute_table = pd.concat([advisor_minutes, branch_minutes])

    advisor_flags = _flags(flags_open, flags_resolved, owner_of)
    branch_flags = _flags(
        flags_open, flags_resolved, lambda f: pd.Series(BRANCH_ROW, index=f.index)
    )
    flag_table = pd.concat([advisor_flags, branch_flags])

    mix = _mix(clients, owner.astype(object))
    branch_mix = _mix(clients, pd.Series(BRANCH_ROW, index=clients.index))
    mix.update(branch_mix)
    if len(flags_open):
        codes = (
            pd.DataFrame({"key": owner_of(flags_open), "code": flags_open["code"]})
            .dropna()
            .groupby(["key", "code"])
            .size()
        )
        for (key, code), n in codes.items():
            mix.setdefault(key, {}).setdefault("flags_open", {})[code] = int(n)
        for code, n in flags_open["code"].value_counts().items():
            mix.setdefault(BRANCH_ROW, {}).setdefault("flags_open", {})[code] = int(n)
    if len(flags_resolved):
        for code, n in flags_resolved["outcome"].value_counts().items():
            mix.setdefault(BRANCH_ROW, {}).setdefault("outcomes", {})[code] = int(n)

    rows = []
    advisor_rows = advisors.sort_values("employee_no")
    keys = [*advisor_rows["advisor_id"].tolist(), BRANCH_ROW]
    employee = dict(
        zip(advisor_rows["advisor_id"], advisor_rows["employee_no"], strict=True)
    )
    employee[BRANCH_ROW] = BRANCH_ROW
    for key in keys:
        row = {"key": key, "employee_no": employee[key]}
        fig = figures.loc[key] if key in figures.index else None
        for column in ("clients", "new_clients", "lost_clients"):
            row[column] = int(fig[column]) if fig is not None else 0
        for column in MONEY_COLUMNS:
            row[column] = int(fig[column]) if fig is not None else 0
        for column in ("avg_return_90", "contact_coverage", "satisfaction"):
            row[column] = None if fig is None or pd.isna(fig[column]) else fig[column]
        for column in sorted(set(MINUTE_GROUPS.values())):
            row[column] = (
                int(minute_table.loc[key, column]) if key in minute_table.index else 0
            )
        flags = flag_table.loc[key] if key in flag_table.index else None

        def flag_value(column, flags=flags):
            if flags is None or column not in flags or pd.isna(flags[column]):
                return None
            return flags[column]

        row["flags_open"] = int(flag_value("flags_open") or 0)
        row["flags_resolved"] = int(flag_value("flags_resolved") or 0)
        row["median_resolve_days"] = flag_value("median_resolve_days")
        row["mix"] = mix.get(key, {})
        rows.append(row)

    _rank(rows)
    branch_row = rows[-1]
    branch_row["churn_rate_12m"] = churn_rate_12m(clients, end)
    for row in rows[:-1]:
        row["churn_rate_12m"] = None
    for row in rows:
        for column in MONEY_COLUMNS:
            row[column] = _money(row[column])
        row["avg_return_90"] = _dec(row["avg_return_90"], 4)
        row["contact_coverage"] = _dec(row["contact_coverage"], 1)
        row["satisfaction"] = _dec(row["satisfaction"], 2)
        row["median_resolve_days"] = _dec(row["median_resolve_days"], 1)
    return rows


def _rank(rows: list[dict]) -> None:
    """1 = highest among advisors with a client; ties share the best; null last."""
    ranked = [row for row in rows[:-1] if row["clients"] >= 1]
    for row in rows:
        for column in RANKED:
            row[column] = None
    if not ranked:
        return
    frame = pd.DataFrame(
        {figure: [row[figure] for row in ranked] for figure in RANKED.values()}
    ).astype("float64")
    for column, figure in RANKED.items():
        ranks = frame[figure].rank(method="min", ascending=False, na_option="bottom")
        for row, value in zip(ranked, ranks, strict=True):
            row[column] = int(value)


def month_changes(current: pd.DataFrame, previous: pd.DataFrame, top: int = 10):
    """Maturity moves and the top movers since the previous month's last run.

    Both frames: index client_id; maturity_stage, value_score, assets. Returns
    {"maturity_flow": {from: {to: n}}, "movers_value": [[client_id, before, after]],
    "movers_assets": [...]}, movers ordered by the size of the change.
    """
    out: dict = {"maturity_flow": {}, "movers_value": [], "movers_assets": []}
    if previous is None or not len(previous):
        return out
    joined = current.merge(
        previous, left_index=True, right_index=True, suffixes=("", "_before")
    )
    moves = (
        joined[["maturity_stage_before", "maturity_stage"]]
        .dropna()
        .value_counts()
        .sort_index()
    )
    for (before, after), n in moves.items():
        out["maturity_flow"].setdefault(str(before), {})[str(after)] = int(n)
    for column, key in (("value_score", "movers_value"), ("assets", "movers_assets")):
        before = joined[f"{column}_before"].astype("float64")
        after = joined[column].astype("float64")
        change = (after - before).dropna()
        change = change[change != 0]
        order = change.abs().sort_values(ascending=False, kind="stable").index[:top]
        out[key] = [
            [int(pk), round(float(before[pk]), 2), round(float(after[pk]), 2)]
            for pk in order
        ]
    return out
