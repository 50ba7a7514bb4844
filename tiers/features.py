"""Load the SPEC §3.1 features of every client of a branch as of a date, set-based.

One query per source (clients, account balances, trade days, the few w90 buys that
need looking at one by one, positions, cash flows, interactions, feedback, referrals,
the benchmark), each grouped in the database, never a query per client. Trades are
read through `TradeDay` (per account per day totals kept by every writer of trades);
only w90 buys of recently listed or recommended securities are read individually.

The result is one row per client of the branch (prospects and closed clients too),
indexed by client id, with the columns `tiers.scoring` documents.
"""

from __future__ import annotations

import time
from datetime import date, timedelta

import numpy as np
import pandas as pd
from django.db import connection

from clients.models import (
    Account,
    Balance,
    CashFlow,
    Client,
    Feedback,
    Interaction,
    Position,
    Price,
    Security,
    Trade,
    TradeDay,
)

from .policy import Policy


def _t(model) -> str:
    return connection.ops.quote_name(model._meta.db_table)


def _frame(sql: str, params, columns: list[str]) -> pd.DataFrame:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        rows = cursor.fetchall()
    return pd.DataFrame.from_records(rows, columns=columns)


def _num(frame: pd.DataFrame, columns) -> pd.DataFrame:
    for column in columns:
        frame[column] = pd.to_numeric(frame[column], errors="coerce").astype("float64")
    return frame


def _dates(frame: pd.DataFrame, columns) -> pd.DataFrame:
    for column in columns:
        frame[column] = pd.to_datetime(frame[column], errors="coerce")
    return frame


def load_clients(branch_id: int) -> pd.DataFrame:
    """The branch's clients with the attributes the rules read."""
    frame = _frame(
        f"SELECT id, client_no, kind, opened_at, closed_at, investing_since, "  # nosec B608 # identifiers from model _meta, values bound
        f"relationship_level, risk_level, advisor_id FROM {_t(Client)} "
        f"WHERE branch_id = %s",
        [branch_id],
        [
            "client_id",
            "client_no",
            "kind",
            "opened_at",
            "closed_at",
            "investing_since",
            "relationship_level",
            "risk_level",
            "advisor_id",
        ],
    )
    frame = _dates(frame, ["opened_at", "closed_at", "investing_since"])
    return frame.set_index("client_id").sort_index()


def load_balances(branch_id: int, d: date) -> pd.DataFrame:
    """Per client: assets at D, D−30, D−90 (latest row on or before), the w90 mean
    (per account, summed over the client's accounts) and the last trade date."""
    bal = _t(Balance)

    def at(day_param: str) -> str:
        return (
            f"(SELECT b.total_assets FROM {bal} b WHERE b.account_id = a.id "  # nosec B608 # identifiers from model _meta, values bound
            f"AND b.date <= {day_param} ORDER BY b.date DESC LIMIT 1)"
        )

    sql = (
        f"SELECT a.client_id, {at('%s')}, {at('%s')}, {at('%s')}, "  # nosec B608 # identifiers from model _meta, values bound
        f"(SELECT AVG(b.total_assets) FROM {bal} b WHERE b.account_id = a.id "
        f"AND b.date >= %s AND b.date <= %s), "
        f"(SELECT td.date FROM {_t(TradeDay)} td WHERE td.account_id = a.id "
        "AND td.date <= %s ORDER BY td.date DESC LIMIT 1) "
        f"FROM {_t(Account)} a WHERE a.branch_id = %s"
    )
    params = [
        d,
        d - timedelta(30),
        d - timedelta(90),
        d - timedelta(89),
        d,
        d,
        branch_id,
    ]
    money = ["assets", "assets_30_ago", "assets_90_ago", "assets_avg_90"]
    frame = _frame(sql, params, ["client_id", *money, "last_trade_date"])
    frame = _dates(_num(frame, money), ["last_trade_date"])
    grouped = frame.groupby("client_id")
    # min_count=1: a client none of whose accounts has a row gets null, not 0.
    result = grouped[money].sum(min_count=1)
    result["last_trade_date"] = grouped["last_trade_date"].max()
    return result


TRADE_DAY_COLUMNS = [
    "commission_365",
    "commission_90",
    "trades_90",
    "active_days_90",
    "amount_90",
    "buy_amount_90",
    "active_days_365_91",
    "active_days_60",
    "active_months_12",
]
DAY_COUNT_COLUMNS = [
    "active_days_90",
    "active_days_365_91",
    "active_days_60",
    "active_months_12",
]


def _months_sql(column: str, since: date) -> str:
    """Active calendar months since `since`: a bit mask on PostgreSQL, else a count.

    The mask (bit k = k-th month since `since`) lets PostgreSQL aggregate in
    parallel without a DISTINCT; `_months_count` turns it into the count.
    """
    if connection.vendor == "postgresql":
        base = since.year * 12 + since.month
        return (
            f"BIT_OR(1 << ((date_part('year', {column}) * 12 "
            f"+ date_part('month', {column}))::int - {base:d})) "
            f"FILTER (WHERE {column} >= %s)"
        )
    return (
        f"COUNT(DISTINCT strftime('%%Y-%%m', {column})) FILTER (WHERE {column} >= %s)"
    )


def _months_count(values: pd.Series) -> pd.Series:
    if connection.vendor != "postgresql":
        return values
    return values.fillna(0).astype("int64").map(int.bit_count).astype("float64")


def _trade_day_sums(d: date) -> tuple[str, list]:
    """The aggregate select list over rows `cd` (date, trades, commission, …).

    FILTER, not CASE: rows outside a window skip the aggregate altogether.
    """
    w365, w90 = d - timedelta(364), d - timedelta(89)
    if d.month == 12:
        twelve_months = date(d.year, 1, 1)
    else:
        twelve_months = date(d.year - 1, d.month + 1, 1)
    sql = (
        "SUM(cd.commission) FILTER (WHERE cd.date >= %s), "
        "SUM(cd.commission) FILTER (WHERE cd.date >= %s), "
        "SUM(cd.trades) FILTER (WHERE cd.date >= %s), "
        "COUNT(*) FILTER (WHERE cd.date >= %s), "
        "SUM(cd.amount) FILTER (WHERE cd.date >= %s), "
        "SUM(cd.buy_amount) FILTER (WHERE cd.date >= %s), "
        "COUNT(*) FILTER (WHERE cd.date <= %s), "
        "COUNT(*) FILTER (WHERE cd.date >= %s), "
        f"{_months_sql('cd.date', twelve_months)}"
    )
    params = [w365, w90, w90, w90, w90, w90, d - timedelta(91), d - timedelta(59)]
    return sql, [*params, twelve_months]


def load_trade_days(branch_id: int, d: date) -> pd.DataFrame:
    """Per client trade totals over D−365 … D from TradeDay, grouped in SQL.

    Sums add up over accounts, so the big read groups per account in one level; the
    distinct-day counts of the few clients with several accounts are then counted
    over their client-days (accounts merged per day) by a second, small query.
    """
    sums, sum_params = _trade_day_sums(d)
    window = [branch_id, d - timedelta(365), d]
    per_account = _frame(
        f"SELECT MIN(a.client_id), {sums} "  # nosec B608 # identifiers from model _meta, values bound
        f"FROM {_t(TradeDay)} cd JOIN {_t(Account)} a ON a.id = cd.account_id "
        "WHERE a.branch_id = %s AND cd.date >= %s AND cd.date <= %s "
        "GROUP BY cd.account_id",
        [*sum_params, *window],
        ["client_id", *TRADE_DAY_COLUMNS],
    )
    per_account = _num(per_account, TRADE_DAY_COLUMNS).fillna(0.0)
    per_account["active_months_12"] = _months_count(per_account["active_months_12"])
    frame = per_account.groupby("client_id").sum()
    accounts = _t(Account)
    merged = _frame(
        f"SELECT cd.client_id, {sums} "  # nosec B608 # identifiers from model _meta, values bound
        "FROM (SELECT a.client_id AS client_id, td.date AS date, "
        "SUM(td.trades) AS trades, SUM(td.commission) AS commission, "
        "SUM(td.amount) AS amount, SUM(td.buy_amount) AS buy_amount "
        f"FROM {_t(TradeDay)} td JOIN {accounts} a ON a.id = td.account_id "
        "WHERE a.branch_id = %s AND td.date >= %s AND td.date <= %s "
        f"AND a.client_id IN (SELECT m.client_id FROM {accounts} m "
        "WHERE m.branch_id = %s GROUP BY m.client_id HAVING COUNT(*) > 1) "
        "GROUP BY a.client_id, td.date) cd GROUP BY cd.client_id",
        [*sum_params, *window, branch_id],
        ["client_id", *TRADE_DAY_COLUMNS],
    )
    merged = _num(merged, TRADE_DAY_COLUMNS).fillna(0.0).set_index("client_id")
    merged["active_months_12"] = _months_count(merged["active_months_12"])
    if not merged.empty:
        frame.loc[merged.index, DAY_COUNT_COLUMNS] = merged[DAY_COUNT_COLUMNS]
    return frame


def load_buys(branch_id: int, d: date, policy: Policy) -> pd.DataFrame:
    """The w90 buys that may count as new-issue or recommended buys, one by one.

    Pre-filtered in SQL (security listed within a year before the window, or named by
    an interaction of the client shortly before the window's end); the exact day
    rules are applied in pandas.
    """
    w90 = d - timedelta(89)
    days = policy.trading.recommendation_days
    rec_table = connection.ops.quote_name(
        Interaction.recommended.through._meta.db_table
    )
    sql = (
        "SELECT t.id, a.client_id, t.trade_date, t.security_id, t.amount, s.listed_on "  # nosec B608 # identifiers from model _meta, values bound
        f"FROM {_t(Trade)} t JOIN {_t(Account)} a ON a.id = t.account_id "
        f"JOIN {_t(Security)} s ON s.id = t.security_id "
        "WHERE t.branch_id = %s AND t.side = 'B' AND t.trade_date >= %s "
        "AND t.trade_date <= %s AND (s.listed_on > %s OR EXISTS ("
        f"SELECT 1 FROM {_t(Interaction)} i JOIN {rec_table} r "
        "ON r.interaction_id = i.id WHERE i.client_id = a.client_id "
        "AND r.security_id = t.security_id AND i.date >= %s AND i.date < %s))"
    )
    params = [
        branch_id,
        w90,
        d,
        w90 - timedelta(policy.risk.new_issue_days),
        w90 - timedelta(days),
        d,
    ]
    buys = _frame(
        sql,
        params,
        ["trade_id", "client_id", "trade_date", "security_id", "amount", "listed_on"],
    )
    buys = _num(_dates(buys, ["trade_date", "listed_on"]), ["amount"])
    if buys.empty:
        return pd.DataFrame(
            {"new_issue_buy_90": [], "recommended_buy_90": []},
            index=pd.Index([], name="client_id"),
        )
    new_issue = (buys["trade_date"] - buys["listed_on"]).dt.days < (
        policy.risk.new_issue_days
    )
    recs = _frame(
        f"SELECT i.client_id, r.security_id, i.date FROM {_t(Interaction)} i "  # nosec B608 # identifiers from model _meta, values bound
        f"JOIN {rec_table} r ON r.interaction_id = i.id "
        "WHERE i.branch_id = %s AND i.date >= %s AND i.date < %s",
        [branch_id, w90 - timedelta(days), d],
        ["client_id", "security_id", "rec_date"],
    )
    recs = _dates(recs, ["rec_date"])
    matched = buys[["trade_id", "client_id", "security_id", "trade_date"]].merge(
        recs, on=["client_id", "security_id"]
    )
    gap = (matched["trade_date"] - matched["rec_date"]).dt.days
    recommended_ids = set(matched.loc[(gap >= 1) & (gap <= days), "trade_id"])
    buys["new_issue_buy_90"] = buys["amount"].where(new_issue, 0.0)
    buys["recommended_buy_90"] = buys["amount"].where(
        buys["trade_id"].isin(recommended_ids), 0.0
    )
    return buys.groupby("client_id")[["new_issue_buy_90", "recommended_buy_90"]].sum()


def load_positions(branch_id: int, d: date) -> pd.DataFrame:
    """Each account's holdings on its latest position date ≤ D, quantity-0 rows dropped.

    The latest date is taken over every row, so an account whose latest report holds
    only zero rows has sold out: it has no holdings, not the older ones.
    """
    pos = _t(Position)
    sql = (
        "WITH latest AS (SELECT a.id AS account_id, a.client_id AS client_id, "  # nosec B608 # identifiers from model _meta, values bound
        f"(SELECT p2.date FROM {pos} p2 WHERE p2.account_id = a.id AND p2.date <= %s "
        "ORDER BY p2.date DESC LIMIT 1) AS day "
        f"FROM {_t(Account)} a WHERE a.branch_id = %s) "
        "SELECT l.client_id, p.security_id, s.code, s.kind, p.quantity, p.cost_price, "
        f"p.market_value FROM latest l JOIN {pos} p ON p.account_id = l.account_id "
        f"AND p.date = l.day JOIN {_t(Security)} s ON s.id = p.security_id "
        "WHERE p.quantity <> 0"
    )
    frame = _frame(
        sql,
        [d, branch_id],
        [
            "client_id",
            "security_id",
            "code",
            "kind",
            "quantity",
            "cost_price",
            "market_value",
        ],
    )
    return _num(frame, ["quantity", "cost_price", "market_value"])


def load_cash_flows(branch_id: int, d: date) -> pd.DataFrame:
    """Per client net flows in w30 and w90 and custody-outs in w30."""
    signed = (
        "CASE WHEN f.type IN ('deposit', 'custody_in') THEN f.amount "
        "WHEN f.type IN ('withdrawal', 'custody_out') THEN -f.amount ELSE 0 END"
    )
    w30 = d - timedelta(29)
    sql = (
        f"SELECT a.client_id, SUM(CASE WHEN f.date >= %s THEN {signed} ELSE 0 END), "  # nosec B608 # identifiers from model _meta, values bound
        f"SUM({signed}), SUM(CASE WHEN f.date >= %s AND f.type = 'custody_out' "
        "THEN 1 ELSE 0 END) "
        f"FROM {_t(CashFlow)} f JOIN {_t(Account)} a ON a.id = f.account_id "
        "WHERE f.branch_id = %s AND f.date >= %s AND f.date <= %s GROUP BY a.client_id"
    )
    frame = _frame(
        sql,
        [w30, w30, branch_id, d - timedelta(89), d],
        ["client_id", "net_flow_30", "net_flow_90", "custody_outs_30"],
    )
    return _num(frame, ["net_flow_30", "net_flow_90", "custody_outs_30"]).set_index(
        "client_id"
    )


def load_interactions(branch_id: int, d: date) -> pd.DataFrame:
    """Per client contacts, activities, complaints and the last advisor contact."""
    contact = "i.channel IN ('call', 'visit', 'email', 'message')"
    w90, w365 = d - timedelta(89), d - timedelta(364)
    sql = (
        "SELECT i.client_id, "  # nosec B608 # identifiers from model _meta, values bound
        f"SUM(CASE WHEN i.date >= %s AND {contact} THEN 1 ELSE 0 END), "
        f"SUM(CASE WHEN i.date >= %s AND {contact} THEN i.minutes ELSE 0 END), "
        "SUM(CASE WHEN i.date >= %s THEN 1 ELSE 0 END), "
        "SUM(CASE WHEN i.date >= %s AND i.channel IN ('seminar', 'survey') "
        "THEN 1 ELSE 0 END), "
        "SUM(CASE WHEN i.date >= %s AND i.channel = 'complaint' THEN 1 ELSE 0 END), "
        f"MAX(CASE WHEN {contact} THEN i.date END) "
        f"FROM {_t(Interaction)} i WHERE i.branch_id = %s AND i.date <= %s "
        "GROUP BY i.client_id"
    )
    columns = [
        "contacts_90",
        "contact_minutes_90",
        "interactions_90",
        "activities_365",
        "complaints_90",
    ]
    frame = _frame(
        sql,
        [w90, w90, w90, w365, w90, branch_id, d],
        ["client_id", *columns, "last_contact_date"],
    )
    frame = _dates(_num(frame, columns), ["last_contact_date"])
    return frame.set_index("client_id")


def load_feedback(branch_id: int, d: date, policy: Policy) -> pd.DataFrame:
    """Per client mean feedback score over the last 180 days."""
    frame = _frame(
        f"SELECT client_id, AVG(score) FROM {_t(Feedback)} WHERE branch_id = %s "  # nosec B608 # identifiers from model _meta, values bound
        "AND date >= %s AND date <= %s GROUP BY client_id",
        [branch_id, d - timedelta(policy.churn.feedback_days - 1), d],
        ["client_id", "feedback_avg_180"],
    )
    return _num(frame, ["feedback_avg_180"]).set_index("client_id")


def load_referrals(branch_id: int, d: date) -> pd.DataFrame:
    """Per referring client: referred clients who opened in w365."""
    frame = _frame(
        f"SELECT r.referred_by_id, COUNT(*) FROM {_t(Client)} r "  # nosec B608 # identifiers from model _meta, values bound
        f"JOIN {_t(Client)} c ON c.id = r.referred_by_id WHERE c.branch_id = %s "
        "AND r.opened_at >= %s AND r.opened_at <= %s GROUP BY r.referred_by_id",
        [branch_id, d - timedelta(364), d],
        ["client_id", "referrals_365"],
    )
    return _num(frame, ["referrals_365"]).set_index("client_id")


def load_benchmark_return(d: date, policy: Policy) -> float:
    """The benchmark index's return from its close at D−90 to its close at D."""
    code = policy.trading.benchmark_code

    def close_at(day_param: str) -> str:
        return (
            f"(SELECT p.close FROM {_t(Price)} p JOIN {_t(Security)} s "  # nosec B608 # identifiers from model _meta, values bound
            "ON s.id = p.security_id WHERE s.code = %s AND s.kind = 'index' "
            f"AND p.date <= {day_param} ORDER BY p.date DESC LIMIT 1)"
        )

    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT {close_at('%s')}, {close_at('%s')}",
            [code, d, code, d - timedelta(90)],
        )
        end, start = cursor.fetchone()
    if end is None or start is None or float(start) == 0:
        return np.nan
    return float(end) / float(start) - 1.0


def load_sources(
    branch_id: int, d: date, policy: Policy, timings: dict | None = None
) -> dict:
    """Every source frame of a branch for D (the I/O half of the pipeline)."""
    loaders = {
        "clients": lambda: load_clients(branch_id),
        "balances": lambda: load_balances(branch_id, d),
        "trade_days": lambda: load_trade_days(branch_id, d),
        "buys": lambda: load_buys(branch_id, d, policy),
        "positions": lambda: load_positions(branch_id, d),
        "cash_flows": lambda: load_cash_flows(branch_id, d),
        "interactions": lambda: load_interactions(branch_id, d),
        "feedback": lambda: load_feedback(branch_id, d, policy),
        "referrals": lambda: load_referrals(branch_id, d),
        "benchmark_return_90": lambda: load_benchmark_return(d, policy),
    }
    sources = {}
    if connection.vendor == "postgresql":
        # The grouped reads hash a few hundred thousand client-days: give them the
        # memory not to spill, and skip JIT, which costs more than it saves here.
        with connection.cursor() as cursor:
            cursor.execute("SET LOCAL work_mem = '256MB'")
            cursor.execute("SET LOCAL jit = off")
    for name, load in loaders.items():
        started = time.monotonic()
        sources[name] = load()
        if timings is not None:
            timings[f"load_{name}"] = round(time.monotonic() - started, 3)
    return sources
