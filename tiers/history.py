"""A branch's sources over a window of dates, and the source frames of any date in it.

Pure: numpy and pandas, no Django, no I/O. `tiers.features.load_history` reads every
source of a branch once for a window first … last (each dated row up to `last`, and
what the first date needs from before); `sources_at(history, d, policy)` then gives,
for any d in the window, the same frames `tiers.features.load_sources` reads from the
database for d — so `tiers.scoring.features_from_sources` turns them into the very
features the nightly run computes for d (a test holds the two equal).

No value for d uses a row dated after d: every figure is the latest row on or before
a day, or a sum or count over rows dated inside a window that ends at d.

Rows are kept as `Timeline`s: sorted by (entity, day) with the key entity << 20 | day
(day = days since 1970-01-01), so "the latest row on or before a day" and "the rows
of a window" are one `searchsorted` per entity, for all entities at once.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta

import numpy as np
import pandas as pd

from .policy import Policy

DAY_BITS = 20
EPOCH = date(1970, 1, 1)


def day_number(d: date) -> int:
    """Days since 1970-01-01."""
    return (d - EPOCH).days


def month_number(days: np.ndarray) -> np.ndarray:
    """Calendar month (year × 12 + month − 1) of each day number."""
    return (
        np.asarray(days, dtype="int64")
        .astype("datetime64[D]")
        .astype("datetime64[M]")
        .astype("int64")
    )


@dataclass
class Timeline:
    """Dated rows of entities (0 … n−1), sorted by entity then day, with columns."""

    keys: np.ndarray
    columns: dict[str, np.ndarray] = field(default_factory=dict)

    @classmethod
    def build(cls, entity, day, **columns) -> Timeline:
        keys = (np.asarray(entity, dtype="int64") << DAY_BITS) | np.asarray(
            day, dtype="int64"
        )
        order = np.argsort(keys, kind="stable")
        return cls(
            keys=keys[order],
            columns={k: np.asarray(v)[order] for k, v in columns.items()},
        )

    def __getitem__(self, column: str) -> np.ndarray:
        return self.columns[column]

    def _target(self, entities: np.ndarray, day: int) -> np.ndarray:
        return (entities.astype("int64") << DAY_BITS) | int(day)

    def latest(self, entities: np.ndarray, day: int) -> np.ndarray:
        """Index of each entity's latest row on or before `day` (−1: none)."""
        pos = np.searchsorted(self.keys, self._target(entities, day), side="right") - 1
        found = pos >= 0
        found[found] = (self.keys[pos[found]] >> DAY_BITS) == entities[found]
        return np.where(found, pos, -1)

    def window(
        self, entities: np.ndarray, first: int, last: int
    ) -> tuple[np.ndarray, np.ndarray]:
        """(lo, hi): each entity's rows dated first … last are lo … hi − 1."""
        lo = np.searchsorted(self.keys, self._target(entities, first), side="left")
        hi = np.searchsorted(self.keys, self._target(entities, last), side="right")
        return lo, np.maximum(hi, lo)

    def total(self, column: str, lo: np.ndarray, hi: np.ndarray) -> np.ndarray:
        """Sum of `column` over rows lo … hi − 1 of each entity (0 for none), added
        row by row (no running total whose rounding would depend on other rows)."""
        values = np.append(self.columns[column].astype("float64"), 0.0)
        if len(lo) == 0:
            return np.zeros(0)
        bounds = np.empty(2 * len(lo), dtype="int64")
        bounds[0::2] = lo
        bounds[1::2] = hi
        sums = np.add.reduceat(values, bounds)[0::2]
        return np.where(hi > lo, sums, 0.0)

    def value_at(self, column: str, pos: np.ndarray) -> np.ndarray:
        """`column` at row `pos` (from `latest`), NaN where pos is −1."""
        values = self.columns[column].astype("float64")
        out = np.full(len(pos), np.nan)
        found = pos >= 0
        out[found] = values[pos[found]]
        return out


@dataclass
class History:
    """Every source of a branch over first … last (see `tiers.features.load_history`).

    Entities: clients are numbered by their place in `clients` (sorted by id),
    accounts by their place in `account_client`.
    """

    first: date
    last: date
    clients: pd.DataFrame  # as `load_clients`
    account_client: np.ndarray  # client id of each account
    balances: Timeline  # per account: total_assets
    client_days: (
        Timeline  # per client and trade day: trades, commission, amount, buy_amount
    )
    client_months: Timeline  # per client: one row per calendar month with a trade
    last_trade_before: pd.Series  # client id -> latest trade day before the rows
    buys: pd.DataFrame  # client_id, trade_date, new_issue_buy_90, recommended_buy_90
    positions: Timeline  # per account: position rows (day = the report's date)
    position_days: Timeline  # per account: one row per report date
    securities: pd.DataFrame  # id -> code, kind
    flows: Timeline  # per client: signed, custody_out
    interactions: Timeline  # per client: contact, minutes, activity, complaint
    contact_days: Timeline  # per client: one row per advisor contact
    contact_before: pd.Series  # client id -> latest contact before the rows
    feedback: Timeline  # per client: score
    referrals: pd.DataFrame  # referred_by_id, opened_at
    closes: Timeline  # entity 0: the benchmark index's close

    def entity(self, client_ids) -> np.ndarray:
        """The client entity numbers of client ids (−1 for ids not of the branch)."""
        return self.clients.index.get_indexer(pd.Index(client_ids))


def _check(history: History, d: date) -> None:
    if not history.first <= d <= history.last:
        raise ValueError(f"{d} is outside the history {history.first} … {history.last}")


def _client_sum(
    history: History, per_account: pd.DataFrame, columns: list[str]
) -> pd.DataFrame:
    per_account["client_id"] = history.account_client
    # min_count=1: a client none of whose accounts has a row gets null, not 0.
    return per_account.groupby("client_id")[columns].sum(min_count=1)


def _balances(history: History, d: date) -> pd.DataFrame:
    day = day_number(d)
    accounts = np.arange(len(history.account_client), dtype="int64")
    bal = history.balances
    lo, hi = bal.window(accounts, day - 89, day)
    count = hi - lo
    total = bal.total("total_assets", lo, hi)
    money = ["assets", "assets_30_ago", "assets_90_ago", "assets_avg_90"]
    per_account = pd.DataFrame(
        {
            "assets": bal.value_at("total_assets", bal.latest(accounts, day)),
            "assets_30_ago": bal.value_at(
                "total_assets", bal.latest(accounts, day - 30)
            ),
            "assets_90_ago": bal.value_at(
                "total_assets", bal.latest(accounts, day - 90)
            ),
            "assets_avg_90": np.where(count > 0, total / np.maximum(count, 1), np.nan),
        }
    )
    result = _client_sum(history, per_account, money)
    clients = np.arange(len(history.clients), dtype="int64")
    last = _latest_day(history.client_days, clients, day, history.clients.index)
    before = history.last_trade_before.reindex(history.clients.index)
    last = last.fillna(before.astype("datetime64[s]"))
    result["last_trade_date"] = last.reindex(result.index)
    return result


def _latest_day(
    timeline: Timeline, entities: np.ndarray, day: int, index: pd.Index
) -> pd.Series:
    """Each entity's latest row day on or before `day` as a timestamp (NaT: none)."""
    pos = timeline.latest(entities, day)
    keys = np.append(timeline.keys, 0)  # pos −1 reads the 0 appended, then masked
    days = pd.Series(keys[pos] & ((1 << DAY_BITS) - 1), index=index).where(pos >= 0)
    return pd.to_datetime(days, unit="D", origin="unix").astype("datetime64[s]")


def _months_back(d: date, months: int) -> date:
    index = d.year * 12 + d.month - 1 - months
    return date(index // 12, index % 12 + 1, 1)


def _trade_days(history: History, d: date) -> pd.DataFrame:
    day = day_number(d)
    clients = np.arange(len(history.clients), dtype="int64")
    cd = history.client_days

    def span(first: int, last: int):
        return cd.window(clients, first, last)

    lo365, hi365 = span(day - 364, day)
    lo90, hi90 = span(day - 89, day)
    lo_old, hi_old = span(day - 365, day - 91)
    lo60, hi60 = span(day - 59, day)
    # Months with a trade among D's month and the 11 before: whole earlier months
    # from the month table, D's own month from its days up to D.
    this_month = day_number(date(d.year, d.month, 1))
    lo_m, hi_m = history.client_months.window(
        clients,
        int(month_number(np.array([day_number(_months_back(d, 11))]))[0]),
        int(month_number(np.array([day]))[0]) - 1,
    )
    lo_now, hi_now = span(this_month, day)
    frame = pd.DataFrame(
        {
            "commission_365": cd.total("commission", lo365, hi365),
            "commission_90": cd.total("commission", lo90, hi90),
            "trades_90": cd.total("trades", lo90, hi90),
            "active_days_90": (hi90 - lo90).astype("float64"),
            "amount_90": cd.total("amount", lo90, hi90),
            "buy_amount_90": cd.total("buy_amount", lo90, hi90),
            "active_days_365_91": (hi_old - lo_old).astype("float64"),
            "active_days_60": (hi60 - lo60).astype("float64"),
            "active_months_12": ((hi_m - lo_m) + (hi_now > lo_now)).astype("float64"),
        },
        index=history.clients.index,
    )
    return frame


def _buys(history: History, d: date) -> pd.DataFrame:
    buys = history.buys
    day = pd.Timestamp(d)
    inside = (buys["trade_date"] >= day - pd.Timedelta(days=89)) & (
        buys["trade_date"] <= day
    )
    return (
        buys[inside]
        .groupby("client_id")[["new_issue_buy_90", "recommended_buy_90"]]
        .sum()
    )


def _positions(history: History, d: date) -> pd.DataFrame:
    day = day_number(d)
    accounts = np.arange(len(history.account_client), dtype="int64")
    latest = history.position_days.latest(accounts, day)
    keys = history.position_days.keys[latest[latest >= 0]]
    pos = history.positions
    rows = np.flatnonzero(np.isin(pos.keys, keys) & (pos["quantity"] != 0))
    account = pos.keys[rows] >> DAY_BITS
    security = pos["security_id"][rows]
    securities = history.securities.reindex(security)
    return pd.DataFrame(
        {
            "client_id": history.account_client[account],
            "security_id": security,
            "code": securities["code"].to_numpy(),
            "kind": securities["kind"].to_numpy(),
            "quantity": pos["quantity"][rows].astype("float64"),
            "cost_price": pos["cost_price"][rows].astype("float64"),
            "market_value": pos["market_value"][rows].astype("float64"),
        }
    )


def _cash_flows(history: History, d: date) -> pd.DataFrame:
    day = day_number(d)
    clients = np.arange(len(history.clients), dtype="int64")
    flows = history.flows
    lo30, hi30 = flows.window(clients, day - 29, day)
    lo90, hi90 = flows.window(clients, day - 89, day)
    return pd.DataFrame(
        {
            "net_flow_30": flows.total("signed", lo30, hi30),
            "net_flow_90": flows.total("signed", lo90, hi90),
            "custody_outs_30": flows.total("custody_out", lo30, hi30),
        },
        index=history.clients.index,
    )


def _interactions(history: History, d: date) -> pd.DataFrame:
    day = day_number(d)
    clients = np.arange(len(history.clients), dtype="int64")
    it = history.interactions
    lo90, hi90 = it.window(clients, day - 89, day)
    lo365, hi365 = it.window(clients, day - 364, day)
    frame = pd.DataFrame(
        {
            "contacts_90": it.total("contact", lo90, hi90),
            "contact_minutes_90": it.total("contact_minutes", lo90, hi90),
            "interactions_90": (hi90 - lo90).astype("float64"),
            "activities_365": it.total("activity", lo365, hi365),
            "complaints_90": it.total("complaint", lo90, hi90),
        },
        index=history.clients.index,
    )
    last = _latest_day(history.contact_days, clients, day, history.clients.index)
    before = history.contact_before.reindex(history.clients.index)
    frame["last_contact_date"] = last.fillna(before.astype("datetime64[s]"))
    return frame


def _feedback(history: History, d: date, policy: Policy) -> pd.DataFrame:
    day = day_number(d)
    clients = np.arange(len(history.clients), dtype="int64")
    fb = history.feedback
    lo, hi = fb.window(clients, day - (policy.churn.feedback_days - 1), day)
    count = hi - lo
    mean = np.where(count > 0, fb.total("score", lo, hi) / np.maximum(count, 1), np.nan)
    return pd.DataFrame({"feedback_avg_180": mean}, index=history.clients.index)


def _referrals(history: History, d: date) -> pd.DataFrame:
    r = history.referrals
    day = pd.Timestamp(d)
    inside = (r["opened_at"] >= day - pd.Timedelta(days=364)) & (r["opened_at"] <= day)
    counts = r[inside].groupby("referred_by_id").size().astype("float64")
    counts.index.name = "client_id"
    return counts.to_frame("referrals_365")


def _benchmark(history: History, d: date) -> float:
    day = day_number(d)
    zero = np.zeros(1, dtype="int64")
    end = history.closes.value_at("close", history.closes.latest(zero, day))[0]
    start = history.closes.value_at("close", history.closes.latest(zero, day - 90))[0]
    if np.isnan(end) or np.isnan(start) or start == 0:
        return np.nan
    return float(end) / float(start) - 1.0


def sources_at(history: History, d: date, policy: Policy) -> dict:
    """The source frames of the branch for D, as `tiers.features.load_sources` reads
    them (rows of clients with nothing in a window may be absent there and zero here:
    `features_from_sources` fills both alike)."""
    _check(history, d)
    return {
        "clients": history.clients,
        "balances": _balances(history, d),
        "trade_days": _trade_days(history, d),
        "buys": _buys(history, d),
        "positions": _positions(history, d),
        "cash_flows": _cash_flows(history, d),
        "interactions": _interactions(history, d),
        "feedback": _feedback(history, d, policy),
        "referrals": _referrals(history, d),
        "benchmark_return_90": _benchmark(history, d),
    }


def window_start(first: date, policy: Policy) -> dict[str, date]:
    """The earliest day each source's rows are needed from for dates ≥ `first`
    (balances and positions also keep each account's latest row before it)."""
    return {
        "balances": first - timedelta(days=90),
        "trade_days": first - timedelta(days=365),
        "buys": first - timedelta(days=89),
        "positions": first,
        "flows": first - timedelta(days=89),
        "interactions": first - timedelta(days=364),
        "feedback": first - timedelta(days=policy.churn.feedback_days - 1),
        "referrals": first - timedelta(days=364),
    }
