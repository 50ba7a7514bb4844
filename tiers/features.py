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

import io
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

from .history import DAY_BITS, History, Timeline, month_number, window_start
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
    recs = _recommendations(branch_id, w90 - timedelta(days), d)
    buys = buy_kinds(buys, recs, policy)
    return buys.groupby("client_id")[["new_issue_buy_90", "recommended_buy_90"]].sum()


def _recommendations(branch_id: int, first: date, before: date) -> pd.DataFrame:
    """(client_id, security_id, rec_date) of every interaction naming a security
    dated first … before − 1."""
    rec_table = connection.ops.quote_name(
        Interaction.recommended.through._meta.db_table
    )
    recs = _frame(
        f"SELECT i.client_id, r.security_id, i.date FROM {_t(Interaction)} i "  # nosec B608 # identifiers from model _meta, values bound
        f"JOIN {rec_table} r ON r.interaction_id = i.id "
        "WHERE i.branch_id = %s AND i.date >= %s AND i.date < %s",
        [branch_id, first, before],
        ["client_id", "security_id", "rec_date"],
    )
    return _dates(recs, ["rec_date"])


def buy_kinds(buys: pd.DataFrame, recs: pd.DataFrame, policy: Policy) -> pd.DataFrame:
    """Each buy's amount as a new-issue buy and as a recommended buy (else 0).

    New issue: listed less than `new_issue_days` before the trade; recommended: an
    interaction of the client named the security 1 … `recommendation_days` days
    before the buy. A buy's kinds depend on its own date only, never on D.
    """
    days = policy.trading.recommendation_days
    new_issue = (buys["trade_date"] - buys["listed_on"]).dt.days < (
        policy.risk.new_issue_days
    )
    matched = buys[["trade_id", "client_id", "security_id", "trade_date"]].merge(
        recs, on=["client_id", "security_id"]
    )
    gap = (matched["trade_date"] - matched["rec_date"]).dt.days
    recommended_ids = set(matched.loc[(gap >= 1) & (gap <= days), "trade_id"])
    buys = buys.copy()
    buys["new_issue_buy_90"] = buys["amount"].where(new_issue, 0.0)
    buys["recommended_buy_90"] = buys["amount"].where(
        buys["trade_id"].isin(recommended_ids), 0.0
    )
    return buys


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


def _read_settings() -> None:
    """Inside the reading transaction on PostgreSQL: the grouped reads hash a few
    hundred thousand client-days, so give them the memory not to spill, and skip JIT,
    which costs more than it saves here."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SET LOCAL work_mem = '256MB'")
            cursor.execute("SET LOCAL jit = off")


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
    _read_settings()
    for name, load in loaders.items():
        started = time.monotonic()
        sources[name] = load()
        if timings is not None:
            timings[f"load_{name}"] = round(time.monotonic() - started, 3)
    return sources


# --- a window of dates at once (the churn model's training set) -------------------


def _day_sql(column: str) -> str:
    """A date column as days since 1970-01-01 (an integer)."""
    if connection.vendor == "postgresql":
        return f"({column} - DATE '1970-01-01')"
    return f"CAST(julianday({column}) - 2440587.5 AS INTEGER)"


def _bulk_frame(sql: str, params, columns: list[str]) -> pd.DataFrame:
    """A large read: COPY … TO STDOUT as CSV on PostgreSQL (no Python object per
    value), else one fetch. Columns come back as pandas parses them."""
    if connection.vendor != "postgresql":
        return _frame(sql, params, columns)
    buffer = io.BytesIO()
    with (
        connection.cursor() as cursor,
        cursor.cursor.copy(f"COPY ({sql}) TO STDOUT WITH (FORMAT csv)", params) as copy,
    ):
        for block in copy:
            buffer.write(block)
    buffer.seek(0)
    if not buffer.getbuffer().nbytes:
        return pd.DataFrame({c: [] for c in columns})
    return pd.read_csv(buffer, names=columns, header=None)


def _entities(index: pd.Index, ids) -> np.ndarray:
    return index.get_indexer(pd.Index(np.asarray(ids, dtype="int64")))


def load_history(branch_id: int, first: date, last: date, policy: Policy) -> History:
    """Every source of a branch for the dates first … last, one read each.

    Rows dated up to `last` only; from before `first`, what the windows of `first`
    reach back to (and each account's latest balance and position report before them,
    each client's latest trade day and contact before them). `tiers.history.sources_at`
    turns it into any date's source frames.
    """
    starts = window_start(first, policy)
    _read_settings()
    clients = load_clients(branch_id)
    accounts = _frame(
        f"SELECT id, client_id FROM {_t(Account)} WHERE branch_id = %s ORDER BY id",  # nosec B608 # identifiers from model _meta, values bound
        [branch_id],
        ["account_id", "client_id"],
    )
    account_index = pd.Index(accounts["account_id"].astype("int64"))
    account_client = accounts["client_id"].to_numpy(dtype="int64")

    def since(table, day: date) -> str:
        # Each account's latest row on or before `day` (and every later row).
        return (
            f"WITH since AS (SELECT a.id AS account_id, (SELECT MAX(x.date) "  # nosec B608 # identifiers from model _meta, values bound
            f"FROM {table} x WHERE x.account_id = a.id AND x.date <= %s) AS day "
            f"FROM {_t(Account)} a WHERE a.branch_id = %s) "
        ), [day, branch_id]

    head, head_params = since(_t(Balance), starts["balances"])
    bal = _bulk_frame(
        f"{head}SELECT b.account_id, {_day_sql('b.date')}, b.total_assets "  # nosec B608 # identifiers from model _meta, values bound
        f"FROM {_t(Balance)} b JOIN since s ON s.account_id = b.account_id "
        "WHERE b.date <= %s AND b.date >= COALESCE(s.day, %s)",
        [*head_params, last, starts["balances"]],
        ["account_id", "day", "total_assets"],
    )
    bal = _num(bal, ["total_assets"])
    balances = Timeline.build(
        _entities(account_index, bal["account_id"]),
        bal["day"],
        total_assets=bal["total_assets"].to_numpy(),
    )

    td = _bulk_frame(
        f"SELECT a.client_id, {_day_sql('td.date')}, td.trades, td.commission, "  # nosec B608 # identifiers from model _meta, values bound
        f"td.amount, td.buy_amount FROM {_t(TradeDay)} td "
        f"JOIN {_t(Account)} a ON a.id = td.account_id "
        "WHERE a.branch_id = %s AND td.date >= %s AND td.date <= %s",
        [branch_id, starts["trade_days"], last],
        ["client_id", "day", "trades", "commission", "amount", "buy_amount"],
    )
    sums = ["trades", "commission", "amount", "buy_amount"]
    td = _num(td, sums)
    # A client's trade day is one day however many of its accounts traded.
    td = td.groupby(["client_id", "day"], sort=False, as_index=False)[sums].sum()
    td_client = _entities(clients.index, td["client_id"])
    client_days = Timeline.build(
        td_client, td["day"], **{c: td[c].to_numpy() for c in sums}
    )
    months = np.unique(
        (td_client.astype("int64") << DAY_BITS) | month_number(td["day"].to_numpy())
    )
    client_months = Timeline(keys=months)
    before = _frame(
        f"SELECT a.client_id, MAX(td.date) FROM {_t(TradeDay)} td "  # nosec B608 # identifiers from model _meta, values bound
        f"JOIN {_t(Account)} a ON a.id = td.account_id "
        "WHERE a.branch_id = %s AND td.date < %s GROUP BY a.client_id",
        [branch_id, starts["trade_days"]],
        ["client_id", "day"],
    )
    last_trade_before = pd.to_datetime(before.set_index("client_id")["day"])

    buys = _history_buys(branch_id, starts["buys"], last, policy)

    head, head_params = since(_t(Position), starts["positions"])
    pos = _bulk_frame(
        f"{head}SELECT p.account_id, {_day_sql('p.date')}, p.security_id, "  # nosec B608 # identifiers from model _meta, values bound
        f"p.quantity, p.cost_price, p.market_value FROM {_t(Position)} p "
        "JOIN since s ON s.account_id = p.account_id "
        "WHERE p.date <= %s AND p.date >= COALESCE(s.day, %s)",
        [*head_params, last, starts["positions"]],
        ["account_id", "day", "security_id", "quantity", "cost_price", "market_value"],
    )
    pos = _num(pos, ["quantity", "cost_price", "market_value"])
    pos_account = _entities(account_index, pos["account_id"])
    positions = Timeline.build(
        pos_account,
        pos["day"],
        security_id=pos["security_id"].to_numpy(dtype="int64"),
        quantity=pos["quantity"].to_numpy(),
        cost_price=pos["cost_price"].to_numpy(),
        market_value=pos["market_value"].to_numpy(),
    )
    position_days = Timeline(keys=np.unique(positions.keys))
    securities = _frame(
        f"SELECT id, code, kind FROM {_t(Security)} WHERE id IN ("  # nosec B608 # identifiers from model _meta, values bound
        f"SELECT DISTINCT p.security_id FROM {_t(Position)} p "
        f"JOIN {_t(Account)} a ON a.id = p.account_id WHERE a.branch_id = %s)",
        [branch_id],
        ["security_id", "code", "kind"],
    ).set_index("security_id")

    flows = _bulk_frame(
        f"SELECT a.client_id, {_day_sql('f.date')}, f.type, f.amount "  # nosec B608 # identifiers from model _meta, values bound
        f"FROM {_t(CashFlow)} f JOIN {_t(Account)} a ON a.id = f.account_id "
        "WHERE f.branch_id = %s AND f.date >= %s AND f.date <= %s",
        [branch_id, starts["flows"], last],
        ["client_id", "day", "type", "amount"],
    )
    flows = _num(flows, ["amount"])
    sign = np.select(
        [
            flows["type"].isin(["deposit", "custody_in"]),
            flows["type"].isin(["withdrawal", "custody_out"]),
        ],
        [1.0, -1.0],
        0.0,
    )
    flow_timeline = Timeline.build(
        _entities(clients.index, flows["client_id"]),
        flows["day"],
        signed=(flows["amount"] * sign).to_numpy(),
        custody_out=(flows["type"] == "custody_out").to_numpy(dtype="float64"),
    )

    contact_channels = ["call", "visit", "email", "message"]
    inter = _bulk_frame(
        f"SELECT client_id, {_day_sql('date')}, channel, minutes "  # nosec B608 # identifiers from model _meta, values bound
        f"FROM {_t(Interaction)} WHERE branch_id = %s AND date >= %s AND date <= %s",
        [branch_id, starts["interactions"], last],
        ["client_id", "day", "channel", "minutes"],
    )
    inter = _num(inter, ["minutes"])
    contact = inter["channel"].isin(contact_channels).to_numpy()
    inter_client = _entities(clients.index, inter["client_id"])
    interactions = Timeline.build(
        inter_client,
        inter["day"],
        contact=contact.astype("float64"),
        contact_minutes=np.where(contact, inter["minutes"].fillna(0.0), 0.0),
        activity=inter["channel"].isin(["seminar", "survey"]).to_numpy("float64"),
        complaint=(inter["channel"] == "complaint").to_numpy("float64"),
    )
    contact_days = Timeline(
        keys=np.unique(
            (inter_client[contact].astype("int64") << DAY_BITS)
            | inter["day"].to_numpy(dtype="int64")[contact]
        )
    )
    contacts = ", ".join(f"'{c}'" for c in contact_channels)
    before = _frame(
        f"SELECT client_id, MAX(date) FROM {_t(Interaction)} "  # nosec B608 # identifiers from model _meta, values bound
        f"WHERE branch_id = %s AND date < %s AND channel IN ({contacts}) "
        "GROUP BY client_id",
        [branch_id, starts["interactions"]],
        ["client_id", "day"],
    )
    contact_before = pd.to_datetime(before.set_index("client_id")["day"])

    fb = _bulk_frame(
        f"SELECT client_id, {_day_sql('date')}, score FROM {_t(Feedback)} "  # nosec B608 # identifiers from model _meta, values bound
        "WHERE branch_id = %s AND date >= %s AND date <= %s",
        [branch_id, starts["feedback"], last],
        ["client_id", "day", "score"],
    )
    fb = _num(fb, ["score"])
    feedback = Timeline.build(
        _entities(clients.index, fb["client_id"]),
        fb["day"],
        score=fb["score"].to_numpy(),
    )

    referrals = _dates(
        _frame(
            f"SELECT r.referred_by_id, r.opened_at FROM {_t(Client)} r "  # nosec B608 # identifiers from model _meta, values bound
            f"JOIN {_t(Client)} c ON c.id = r.referred_by_id WHERE c.branch_id = %s "
            "AND r.opened_at >= %s AND r.opened_at <= %s",
            [branch_id, starts["referrals"], last],
            ["referred_by_id", "opened_at"],
        ),
        ["opened_at"],
    )
    closes = _num(
        _frame(
            f"SELECT {_day_sql('p.date')}, p.close FROM {_t(Price)} p "  # nosec B608 # identifiers from model _meta, values bound
            f"JOIN {_t(Security)} s ON s.id = p.security_id "
            "WHERE s.code = %s AND s.kind = 'index' AND p.date <= %s",
            [policy.trading.benchmark_code, last],
            ["day", "close"],
        ),
        ["close"],
    )
    return History(
        first=first,
        last=last,
        clients=clients,
        account_client=account_client,
        balances=balances,
        client_days=client_days,
        client_months=client_months,
        last_trade_before=last_trade_before,
        buys=buys,
        positions=positions,
        position_days=position_days,
        securities=securities,
        flows=flow_timeline,
        interactions=interactions,
        contact_days=contact_days,
        contact_before=contact_before,
        feedback=feedback,
        referrals=referrals,
        closes=Timeline.build(
            np.zeros(len(closes), dtype="int64"),
            closes["day"],
            close=closes["close"].to_numpy(),
        ),
    )


def _history_buys(
    branch_id: int, first: date, last: date, policy: Policy
) -> pd.DataFrame:
    """Every buy dated first … last that may be a new-issue or a recommended buy for
    some date of the window, with its amounts as each (`buy_kinds`)."""
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
        first,
        last,
        first - timedelta(policy.risk.new_issue_days),
        first - timedelta(days),
        last,
    ]
    buys = _frame(
        sql,
        params,
        ["trade_id", "client_id", "trade_date", "security_id", "amount", "listed_on"],
    )
    buys = _num(_dates(buys, ["trade_date", "listed_on"]), ["amount"])
    if buys.empty:
        return pd.DataFrame(
            {
                "client_id": pd.Series([], dtype="int64"),
                "trade_date": pd.Series([], dtype="datetime64[s]"),
                "new_issue_buy_90": pd.Series([], dtype="float64"),
                "recommended_buy_90": pd.Series([], dtype="float64"),
            }
        )
    recs = _recommendations(branch_id, first - timedelta(days), last)
    columns = ["client_id", "trade_date", "new_issue_buy_90", "recommended_buy_90"]
    return buy_kinds(buys, recs, policy)[columns]
