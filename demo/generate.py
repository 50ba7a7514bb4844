"""A deterministic synthetic branch for `seed_demo`: pure numpy/pandas, no Django.

`generate(DemoConfig(...))` returns a `DemoData`: every table of SPEC §2 as a frame with
integer indexes into the lookup tables (days, securities, accounts, clients, advisors),
money in integer cents, prices in integer thousandths, costs in ten-thousandths, so the
database rows and the exported files come from the same exact numbers.

The branch is built from personas, each making some rule of SPEC §3/§4 fire (dormant,
outflow, losses, blind, info-dependent, new-issue buyers, concentrated and drawdown
holders, closed and new clients, prospects); the rest are ordinary clients with
lognormal assets. A client's book is simulated account by account (a few dozen events
each, in Python); the big tables (balances, positions) are derived with numpy.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import numpy as np
import pandas as pd

from . import names

TRADING_DAYS_PER_YEAR = 261
COMMISSION_RATE = 0.00025
MIN_COMMISSION_CENTS = 500
STAMP_TAX_RATE = 0.0005  # sells of stocks only
TRANSFER_FEE_RATE = 0.00001  # stocks, both sides

# (persona, share of clients, minimum count): the rule-firing patterns of SPEC §3.
PERSONAS = (
    ("prospect", 0.04, 2),
    ("closed", 0.06, 3),
    ("wobbler", 0.05, 1),
    ("new", 0.05, 2),
    ("dormant", 0.07, 3),
    ("outflow_cash", 0.015, 2),
    ("outflow_custody", 0.015, 2),
    ("loser", 0.02, 2),
    ("blind", 0.03, 2),
    ("follower", 0.03, 2),
    ("newissue", 0.03, 2),
    ("concentrated", 0.04, 2),
    ("drawdown", 0.02, 2),
    ("quiet", 0.06, 1),
)
MIN_CLIENTS = 40
MIN_DAYS = 30


@dataclass(frozen=True)
class DemoConfig:
    """What to generate: sizes, the seed and the last day (D) of the history."""

    end: dt.date
    clients: int = 2000
    advisors: int = 8
    days: int = 365
    seed: int = 42
    benchmark_code: str = "000300"


@dataclass
class DemoData:
    """One synthetic branch. Frames use row indexes into the lookup frames.

    days: np.ndarray of datetime.date (weekdays from start to end)
    advisors: employee_no, name, team, role, email
    households: name, kind
    clients: client_no, name, kind, gender, birth_date, id_number, phone, opened_at,
        closed_at, advisor (row or -1), referred_by (row or -1), investing_since,
        time_availability, onsite, relationship_level, risk_level, household (row or
        -1), persona
    accounts: account_no, client (row)
    securities: code, name, kind, industry, listed_on
    prices: security, day, close (thousandths)
    trades: trade_id, day, account, security, side, quantity, price (thousandths),
        amount, commission, stamp_tax, transfer_fee, other_fees (cents)
    positions: day, account, security, quantity, cost (ten-thousandths), market_value
    balances: day, account, cash, market_value, total_assets (cents)
    cashflows: flow_id, day, account, type, amount (cents)
    interactions: interaction_id, date, client, advisor (row or -1), channel, minutes,
        summary, recommended (tuple of security rows)
    feedback: feedback_id, date, client, topic, score, comment
    """

    config: DemoConfig
    days: np.ndarray
    advisors: pd.DataFrame
    households: pd.DataFrame
    clients: pd.DataFrame
    accounts: pd.DataFrame
    securities: pd.DataFrame
    prices: pd.DataFrame
    trades: pd.DataFrame
    positions: pd.DataFrame
    balances: pd.DataFrame
    cashflows: pd.DataFrame
    interactions: pd.DataFrame
    feedback: pd.DataFrame


# --- calendar ---------------------------------------------------------------------


@dataclass(frozen=True)
class _Calendar:
    start: dt.date
    end: dt.date
    days: np.ndarray  # datetime.date objects, weekdays only
    ordinals: np.ndarray

    @property
    def n(self) -> int:
        return len(self.days)

    def index(self, day: dt.date) -> int:
        """Index of the first weekday on or after `day` (n when none)."""
        return int(np.searchsorted(self.ordinals, day.toordinal(), side="left"))

    def ago(self, n_days: int) -> int:
        return self.index(self.end - dt.timedelta(days=n_days))


def _calendar(cfg: DemoConfig) -> _Calendar:
    start = cfg.end - dt.timedelta(days=cfg.days - 1)
    every = [start + dt.timedelta(days=i) for i in range(cfg.days)]
    days = np.array([d for d in every if d.weekday() < 5], dtype=object)
    ordinals = np.array([d.toordinal() for d in days], dtype=np.int64)
    return _Calendar(start=start, end=cfg.end, days=days, ordinals=ordinals)


def _weekday_on_or_before(day: dt.date) -> dt.date:
    while day.weekday() >= 5:
        day -= dt.timedelta(days=1)
    return day


# --- securities and prices --------------------------------------------------------


def _securities(rng, cfg: DemoConfig, cal: _Calendar):
    """~300 stocks (some newly listed), bonds, funds and the benchmark index."""
    words = [(w, ind) for ind, ws in names.INDUSTRIES.items() for w in ws]
    combos = [(p + w, ind) for p in names.STOCK_PREFIXES for w, ind in words]
    picks = rng.choice(len(combos), 300, replace=False)
    sh = 600000 + np.sort(rng.choice(4000, 150, replace=False))
    sz_pool = np.array([k for k in range(1, 3000) if k != 300])
    sz = np.sort(rng.choice(sz_pool, 100, replace=False))
    cy = 300000 + np.sort(rng.choice(np.arange(1, 1000), 30, replace=False))
    star = 688000 + np.sort(rng.choice(np.arange(1, 800), 12, replace=False))
    cy_new = 301000 + np.sort(rng.choice(np.arange(1, 600), 8, replace=False))
    codes = [f"{c}" for c in sh] + [f"{c:06d}" for c in sz] + [f"{c}" for c in cy]
    new_codes = [f"{c}" for c in star] + [f"{c}" for c in cy_new]
    rows = []
    for i, code in enumerate(codes):
        name, industry = combos[picks[i]]
        listed = dt.date(1995, 1, 3) + dt.timedelta(days=int(rng.integers(0, 9000)))
        rows.append((code, name, "stock", industry, _weekday_on_or_before(listed), ""))
    for i, code in enumerate(new_codes):
        name, industry = combos[picks[len(codes) + i]]
        listed = cfg.end - dt.timedelta(days=int(rng.integers(60, 330)))
        rows.append(
            (code, name, "stock", industry, _weekday_on_or_before(listed), "new")
        )
    for i in range(20):
        year = 19 + i % 7
        rows.append(
            (
                f"0196{i + 10:02d}",
                f"{year}国债{i % 12 + 1:02d}",
                "bond",
                "国债",
                dt.date(2000 + year, 1 + i % 12, 15),
                "",
            )
        )
    for i, fund in enumerate(names.FUNDS):
        code = f"{510010 + i * 10}" if i % 2 == 0 else f"{159900 + i}"
        rows.append((code, fund, "fund", "ETF", dt.date(2012 + i % 10, 5, 20), ""))
    rows.append((cfg.benchmark_code, "沪深300", "index", "", dt.date(2005, 4, 8), ""))
    frame = pd.DataFrame(
        rows, columns=["code", "name", "kind", "industry", "listed_on", "group"]
    )
    # Special price paths in the last ~90 days: crashes make LOSSES and DRAWDOWN,
    # slides make the blind traders lag the benchmark.
    old_stocks = np.flatnonzero((frame["kind"] == "stock") & (frame["group"] == ""))
    special = rng.choice(old_stocks, 22, replace=False)
    group = frame["group"].to_numpy(dtype=object).copy()
    group[special[:8]] = "crash"
    group[special[8:16]] = "slide"
    group[special[16:]] = "rally"
    frame["group"] = group
    return frame


def _prices(rng, cfg: DemoConfig, cal: _Calendar, sec: pd.DataFrame) -> np.ndarray:
    """Daily closes (thousandths) of every security on every weekday; 0 = not listed."""
    n, m = cal.n, len(sec)
    market = rng.normal(0.0003, 0.011, n)
    drift_from = min(max(cal.ago(92), 1), n - 1)
    w90 = min(cal.ago(89), n - 1)
    log = np.zeros((m, n))
    start_price = np.zeros(m)
    tick = np.full(m, 10, dtype=np.int64)
    kinds = sec["kind"].to_numpy()
    groups = sec["group"].to_numpy()
    betas = rng.uniform(0.6, 1.4, m)
    sigmas = rng.uniform(0.012, 0.03, m)
    noise = rng.standard_normal((m, n))
    for i in range(m):
        if kinds[i] == "stock":
            sigma = 0.01 if groups[i] in ("crash", "slide") else sigmas[i]
            r = betas[i] * market + sigma * noise[i]
            start_price[i] = float(
                np.clip(np.exp(rng.normal(np.log(12), 0.7)), 2.5, 180)
            )
        elif kinds[i] == "bond":
            r = 0.0001 + 0.0015 * noise[i]
            start_price[i] = rng.uniform(98, 103)
        elif kinds[i] == "fund":
            r = 0.9 * market + 0.004 * noise[i]
            start_price[i] = rng.uniform(0.8, 4.0)
            tick[i] = 1
        else:
            r = market.copy()
            start_price[i] = 3800.0
        r[0] = 0.0
        total = {"crash": -0.6, "slide": -0.3, "rally": 0.3}.get(groups[i])
        if total is not None:
            r[drift_from:] += total / (n - drift_from)
        log[i] = np.cumsum(r)
    index_rows = np.flatnonzero(kinds == "index")
    for i in index_rows:
        # The benchmark rises about 4% over w90, so laggards clearly lag.
        actual = log[i, -1] - log[i, w90 - 1 if w90 > 0 else 0]
        span = n - w90
        if span > 0:
            log[i, w90:] += np.arange(1, span + 1) * (np.log(1.04) - actual) / span
    price = start_price[:, None] * np.exp(log)
    price = np.maximum(price, np.where(kinds == "stock", 1.0, 0.1)[:, None])
    closes = (np.rint(price * 1000 / tick[:, None]) * tick[:, None]).astype(np.int64)
    listed = np.array([cal.index(d) for d in sec["listed_on"]])
    closes[np.arange(n)[None, :] < listed[:, None]] = 0
    return closes


# --- clients ----------------------------------------------------------------------


def _person_name(rng, surname: str | None = None) -> str:
    surname = surname or names.SURNAMES[rng.integers(len(names.SURNAMES))]
    given = "".join(
        names.GIVEN[k] for k in rng.integers(len(names.GIVEN), size=rng.integers(1, 3))
    )
    return surname + given


_ID_WEIGHTS = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2]


def _id_number(rng, birth: dt.date, male: bool) -> str:
    seq = int(rng.integers(0, 500)) * 2 + (1 if male else 0)
    body = (
        names.REGIONS[rng.integers(len(names.REGIONS))]
        + birth.strftime("%Y%m%d")
        + f"{seq:03d}"
    )
    check = "10X98765432"[
        sum(int(c) * w for c, w in zip(body, _ID_WEIGHTS, strict=True)) % 11
    ]
    return body + check


def _days_before(day: dt.date, low: int, high: int, rng) -> dt.date:
    return _weekday_on_or_before(day - dt.timedelta(days=int(rng.integers(low, high))))


def _clients(rng, cfg: DemoConfig, cal: _Calendar, n_advisors: int):
    n = cfg.clients
    counts = {p: max(mn, round(share * n)) for p, share, mn in PERSONAS}
    counts["regular"] = n - sum(counts.values())
    persona = rng.permutation(np.repeat(list(counts), list(counts.values())))
    # Institutions among the ordinary and concentrated holders.
    eligible = np.flatnonzero(np.isin(persona, ["regular", "concentrated", "quiet"]))
    n_inst = max(2, round(0.03 * n))
    institutions = np.sort(rng.choice(eligible, n_inst, replace=False))
    kind = np.full(n, "individual", dtype=object)
    kind[institutions] = "institution"
    broker = (kind == "individual") & (rng.random(n) < 0.10)
    kind[broker] = "broker_introduced"

    assets = np.exp(rng.normal(np.log(120_000), 1.35, n)).clip(3_000, 60_000_000)
    assets[institutions] = np.exp(rng.normal(np.log(3_000_000), 0.9, n_inst)).clip(
        800_000, 200_000_000
    )
    assets[institutions[0]] = max(assets[institutions[0]], 8_000_000)
    assets[institutions[1]] = max(assets[institutions[1]], 1_800_000)
    for p, low in (("outflow_cash", 200_000), ("outflow_custody", 150_000)):
        rows = persona == p
        assets[rows] = np.maximum(assets[rows], rng.uniform(low, 1_500_000, rows.sum()))
    risky = np.isin(
        persona, ["loser", "blind", "follower", "newissue", "concentrated", "drawdown"]
    )
    assets[risky] = assets[risky].clip(40_000, 5_000_000)

    # Opening and closing dates.
    opened = np.empty(n, dtype=object)
    closed = np.full(n, None, dtype=object)
    regular = np.flatnonzero(persona == "regular")
    recent = rng.choice(regular, max(3, round(0.08 * len(regular))), replace=False)
    is_recent = np.zeros(n, bool)
    is_recent[recent] = True
    closed_rows = np.flatnonzero(persona == "closed")
    closed_early = set(closed_rows[rng.random(len(closed_rows)) < 0.3].tolist()) - {
        int(closed_rows[0])
    }
    for i in range(n):
        p = persona[i]
        if p == "prospect":
            opened[i] = None
        elif p == "new":
            opened[i] = cal.days[rng.integers(cal.ago(85), cal.n - 2)]
        elif is_recent[i]:
            opened[i] = _days_before(cal.end, 91, 364, rng)
        else:
            opened[i] = _days_before(cal.start, 30, 15 * 365, rng)
        if p == "closed":
            if i in closed_early:
                gap = (cal.start - opened[i]).days
                closed[i] = _days_before(cal.start, 5, max(6, min(gap - 5, 400)), rng)
            else:
                closed[i] = cal.days[rng.integers(min(15, cal.n - 5), cal.n - 3)]

    # People and companies.
    male = rng.random(n) < 0.55
    names_, genders, births, ids, phones = [], [], [], [], []
    for i in range(n):
        phones.append(
            "1" + "3589"[rng.integers(4)] + "".join(map(str, rng.integers(0, 10, 9)))
        )
        if kind[i] == "institution":
            place = names.COMPANY_PLACES[rng.integers(len(names.COMPANY_PLACES))]
            word = names.COMPANY_WORDS[rng.integers(len(names.COMPANY_WORDS))]
            names_.append(f"上海{place}{word}有限公司")
            genders.append("")
            births.append(None)
            code = "".join(
                "0123456789ABCDEFGHJKLMNPQRTUWXY"[k] for k in rng.integers(0, 31, 10)
            )
            ids.append("91310000" + code)
        else:
            names_.append(_person_name(rng))
            genders.append("M" if male[i] else "F")
            birth = cfg.end - dt.timedelta(days=int(rng.integers(22 * 365, 78 * 365)))
            births.append(birth)
            ids.append(_id_number(rng, birth, bool(male[i])))

    # Households: families of 2-3 individuals sharing a surname.
    individuals = np.flatnonzero((kind != "institution") & (persona != "prospect"))
    in_family = rng.choice(individuals, max(4, round(0.08 * n)), replace=False)
    household = np.full(n, -1, dtype=np.int64)
    households = []
    k = 0
    while k + 1 < len(in_family):
        size = min(int(rng.integers(2, 4)), len(in_family) - k)
        members = in_family[k : k + size]
        surname = names_[members[0]][0]
        for member in members[1:]:
            names_[member] = _person_name(rng, surname)
        household[members] = len(households)
        households.append((f"{surname}{names_[members[0]][1:]}家庭", "family"))
        k += size
    # A few likely duplicates: the same person opened twice (same ID, name, phone).
    quiet_or_regular = np.flatnonzero(
        np.isin(persona, ["regular", "quiet"]) & (kind == "individual")
    )
    for j in range(max(1, n // 500)):
        a, b = quiet_or_regular[2 * j], quiet_or_regular[2 * j + 1]
        names_[b], ids[b], phones[b] = names_[a], ids[a], phones[a]
        genders[b], births[b] = genders[a], births[a]

    # Advisors: the first (the demo advisor) has the biggest book.
    if n_advisors > 1:
        advisor = rng.integers(1, n_advisors, n)
        advisor[rng.choice(n, round(0.18 * n), replace=False)] = 0
    else:
        advisor = np.zeros(n, dtype=np.int64)
    advisor[rng.random(n) < 0.02] = -1

    # Referrals: long-standing clients referred some of this year's new clients.
    open_now = np.array(
        [opened[i] is not None and closed[i] is None for i in range(n)], dtype=bool
    )
    this_year = np.array(
        [
            opened[i] is not None and opened[i] > cal.end - dt.timedelta(days=365)
            for i in range(n)
        ]
    )
    referrers = rng.choice(
        np.flatnonzero(open_now & ~this_year & (persona == "regular")),
        max(2, round(0.05 * n)),
        replace=False,
    )
    referred_by = np.full(n, -1, dtype=np.int64)
    targets = np.flatnonzero(this_year & open_now)
    chosen = targets[rng.random(len(targets)) < 0.6]
    if len(chosen) < 2:
        chosen = targets[:2]
    referred_by[chosen] = rng.choice(referrers, len(chosen))
    assets[chosen] = np.maximum(assets[chosen], 15_000)
    assets[chosen[0]] = 6_000  # one referral has not reached the 10,000 threshold yet

    # Relationship levels set by hand: mostly intermediary; over- and under-served.
    level = np.full(n, "intermediary", dtype=object)
    u = rng.random(n)
    big = assets >= 1_000_000
    level[big & (u < 0.6)] = "priority"
    level[big & (u >= 0.9)] = "partnership"
    level[(assets < 100_000) & (u < 0.03)] = "priority"  # over-served
    level[(kind == "institution") & big & (u < 0.7)] = "partnership"
    level[(kind == "institution") & big & (u >= 0.7)] = "intermediary"  # under-served
    level[institutions[0]] = "alliance"
    level[np.argsort(-assets)[1]] = "alliance"
    level[persona == "prospect"] = "intermediary"

    risk = rng.choice(["C1", "C2", "C3", "C4", "C5"], n, p=[0.1, 0.2, 0.35, 0.25, 0.1])
    risk = risk.astype(object)
    risk[rng.random(n) < 0.12] = ""
    risky_rows = np.flatnonzero(risky)
    risk[risky_rows] = rng.choice(["C1", "C2", "C3", "C4", "C5"], len(risky_rows))
    risk[risky_rows[:4]] = ["C2", "C3", "C1", "C2"][: min(4, len(risky_rows))]

    since = np.full(n, None, dtype=object)
    for i in range(n):
        if opened[i] is None:
            continue
        if opened[i] > cal.end - dt.timedelta(days=700):
            since[i] = opened[i]
        elif rng.random() > 0.1:
            since[i] = opened[i] - dt.timedelta(days=int(rng.integers(0, 8 * 365)))
    time_availability = rng.choice(
        ["low", "medium", "high", ""], n, p=[0.35, 0.35, 0.2, 0.1]
    ).astype(object)
    clients = pd.DataFrame(
        {
            "client_no": [f"C{i + 1:06d}" for i in range(n)],
            "name": names_,
            "kind": kind,
            "gender": genders,
            "birth_date": births,
            "id_number": ids,
            "phone": phones,
            "opened_at": opened,
            "closed_at": closed,
            "advisor": advisor.astype(np.int64),
            "referred_by": referred_by,
            "investing_since": since,
            "time_availability": time_availability,
            "onsite": rng.random(n) < 0.15,
            "relationship_level": level,
            "risk_level": risk,
            "household": household,
            "persona": persona,
            "target_assets": assets,
        }
    )
    households_frame = pd.DataFrame(households, columns=["name", "kind"])
    return clients, households_frame


def _advisors(rng, cfg: DemoConfig) -> pd.DataFrame:
    n_teams = 2 if cfg.advisors < 6 else 3
    rows = []
    for i in range(cfg.advisors):
        rows.append(
            (
                f"E{i + 1:03d}",
                _person_name(rng),
                names.TEAMS[i % n_teams],
                "advisor",
                f"e{i + 1:03d}@demo-branch.example",
            )
        )
    return pd.DataFrame(rows, columns=["employee_no", "name", "team", "role", "email"])


# --- the book: positions, trades and flows, account by account ---------------------


class _Book:
    """Collects every account's events while each account is simulated in day order."""

    def __init__(self, rng, prices: np.ndarray, sec: pd.DataFrame, cal: _Calendar):
        self.rng = rng
        self.P = prices
        self.tick = np.where(sec["kind"].to_numpy() == "fund", 1, 10)
        groups = sec["group"].to_numpy()
        kinds = sec["kind"].to_numpy()
        self.pool = {
            "main": np.flatnonzero((kinds == "stock") & np.isin(groups, ["", "rally"])),
            "crash": np.flatnonzero(groups == "crash"),
            "slide": np.flatnonzero(groups == "slide"),
            "new": np.flatnonzero(groups == "new"),
            "bond": np.flatnonzero(kinds == "bond"),
            "fund": np.flatnonzero(kinds == "fund"),
        }
        self.pool["inst"] = np.concatenate(
            [self.pool["main"], self.pool["bond"], self.pool["fund"]]
        )
        self.pair_account: list[int] = []
        self.pair_security: list[int] = []
        self.states: list[tuple[int, int, int, int]] = []  # pair, day, qty, cost
        self.trades: list[tuple[int, int, int, int, int, int]] = []
        self.flows: list[tuple[int, int, str, int, float]] = []  # amount -1 = fraction
        self.recommendations: list[tuple[int, int, int]] = []  # account, day, security
        self.complaints: dict[int, list[int]] = {}  # client -> days

    # helpers
    def pick(self, pool: str, day: int, value: float, exclude=()) -> int:
        candidates = self.pool[pool]
        price = self.P[candidates, day]
        ok = (price > 0) & (price <= 0.15 * value * 100)
        if exclude:
            ok &= ~np.isin(candidates, list(exclude))
        if not ok.any():
            listed = candidates[price > 0]
            return int(listed[np.argmin(self.P[listed, day])])
        return int(self.rng.choice(candidates[ok]))

    def lots(self, value_cny: float, price_milli: int) -> int:
        return max(100, round(value_cny * 1000 / price_milli / 100) * 100)

    def trade_price(self, sec: int, day: int) -> int:
        close = self.P[sec, day]
        tick = self.tick[sec]
        price = close * (1 + self.rng.normal(0, 0.004))
        return max(int(tick), int(round(price / tick)) * int(tick))


def _simulate_account(book: _Book, a: int, plan: dict) -> None:
    """Run one account's actions in day order, recording trades, flows and states."""
    rng, P = book.rng, book.P
    held: dict[int, list[int]] = {}  # security -> [pair, qty, cost]
    protect: set[int] = set()

    def holding(sec: int) -> list[int]:
        if sec not in held:
            book.pair_account.append(a)
            book.pair_security.append(sec)
            held[sec] = [len(book.pair_account) - 1, 0, 0]
        return held[sec]

    def state(h, day):
        book.states.append((h[0], day, h[1], h[2]))

    for sec, value, cost_factor, keep in plan["initial"]:
        price = P[sec, 0]
        if price <= 0:
            continue
        h = holding(sec)
        h[1] = book.lots(value, price)
        h[2] = int(round(price * 10 * cost_factor))
        state(h, -1)
        if keep:
            protect.add(sec)

    def buy(day, sec, value):
        if P[sec, day] <= 0 or value <= 0:
            return 0
        price = book.trade_price(sec, day)
        qty = book.lots(value, price)
        h = holding(sec)
        h[2] = (h[1] * h[2] + qty * price * 10) // (h[1] + qty)
        h[1] += qty
        book.trades.append((day, a, sec, 1, qty, price))
        state(h, day)
        return qty * price / 1000

    def sell(day, sec, fraction):
        h = held.get(sec)
        if h is None or h[1] <= 0:
            return 0
        qty = (
            h[1]
            if fraction >= 1
            else min(h[1], max(100, round(h[1] * fraction / 100) * 100))
        )
        price = book.trade_price(sec, day)
        h[1] -= qty
        book.trades.append((day, a, sec, -1, qty, price))
        state(h, day)
        return qty * price / 1000

    def movable(include_protected=False):
        return [
            s
            for s, h in held.items()
            if h[1] > 0 and (include_protected or s not in protect)
        ]

    def custody_out(day, sec, fraction):
        h = held.get(sec)
        if h is None or h[1] <= 0:
            return
        qty = (
            h[1]
            if fraction >= 1
            else min(h[1], max(100, round(h[1] * fraction / 100) * 100))
        )
        h[1] -= qty
        state(h, day)
        book.flows.append((day, a, "custody_out", qty * int(P[sec, day]) // 10, 0.0))

    actions = sorted(plan["actions"], key=lambda x: (x[0], x[1]))
    for day, _seq, kind, arg1, arg2 in actions:
        if day < plan["s"] or day >= plan["e"]:
            continue
        if kind == "buy":
            if arg1 >= 0:
                sec = arg1
            elif len(movable()) >= 6:  # a full portfolio adds to what it holds
                choices = movable()
                sec = choices[int(rng.integers(len(choices)))]
            else:
                sec = book.pick(plan["pool"], day, arg2)
            buy(day, sec, arg2)
        elif kind == "sell":
            choices = [arg1] if arg1 >= 0 else movable()
            if choices:
                sell(day, choices[int(rng.integers(len(choices)))], arg2)
        elif kind == "swap":
            choices = movable()
            if choices:
                proceeds = sell(day, choices[int(rng.integers(len(choices)))], 1.0)
                buy(day, book.pick(plan["pool"], day, proceeds), proceeds)
        elif kind == "sell_all":
            for sec in movable(include_protected=True):
                sell(day, sec, 1.0)
        elif kind == "custody_out":
            choices = movable(include_protected=True)
            if choices:
                largest = max(choices, key=lambda s: held[s][1] * int(P[s, day]))
                custody_out(day, largest, arg2)
        elif kind == "custody_out_all":
            for sec in movable(include_protected=True):
                custody_out(day, sec, 1.0)
        elif kind == "custody_in":
            sec = book.pick(plan["pool"], day, arg2)
            if P[sec, day] > 0:
                h = holding(sec)
                qty = book.lots(arg2, P[sec, day])
                h[2] = (h[1] * h[2] + qty * int(P[sec, day]) * 10) // (h[1] + qty)
                h[1] += qty
                state(h, day)
                book.flows.append(
                    (day, a, "custody_in", qty * int(P[sec, day]) // 10, 0.0)
                )
        elif kind == "deposit":
            book.flows.append((day, a, "deposit", int(arg2 * 100), 0.0))
        elif kind == "withdraw_share":
            book.flows.append((day, a, "withdrawal", -1, float(arg2)))
        elif kind == "recommended_buy":
            sec = book.pick("main", day - arg1, arg2)
            book.recommendations.append((a, day - arg1, sec))
            buy(day, sec, arg2)


def _plan_account(
    rng,
    cal: _Calendar,
    persona: str,
    assets: float,
    s: int,
    e: int,
    institution: bool,
    pools: dict,
    prices: np.ndarray,
) -> dict:
    """The actions one account takes over the window, by persona."""
    n = cal.n
    w90, w30 = min(cal.ago(89), n - 1), min(cal.ago(29), n - 1)
    quiet_from = min(cal.ago(94), n)
    pool = "inst" if institution else "main"
    actions: list[tuple] = []
    seq = iter(range(10_000))
    complaints: list[int] = []  # days of complaints that come with churn signs

    def add(day, kind, arg1=-1, arg2=0.0):
        actions.append((int(day), next(seq), kind, arg1, arg2))

    def generic(lo, hi, rate, size=(0.04, 0.2), kinds=("buy", "sell", "swap")):
        if hi <= lo:
            return
        count = min(hi - lo, int(rng.poisson(rate * (hi - lo) / TRADING_DAYS_PER_YEAR)))
        for day in np.sort(rng.choice(np.arange(lo, hi), count, replace=False)):
            u = rng.random()
            if u < 0.4 and "buy" in kinds:
                add(day, "buy", -1, assets * rng.uniform(*size))
            elif u < 0.8 and "sell" in kinds:
                add(day, "sell", -1, float(rng.choice([0.5, 1.0])))
            else:
                add(day, "swap")

    def signs(until, quiet_chance):
        """Churn signs in the 60–180 days before `until` (none at all with
        `quiet_chance`): dormancy (the caller stops trading at `since`), a large
        withdrawal, a partial transfer out, a complaint. Returns (since, the signs)."""
        since = max(lo, until - int(rng.integers(60, 180)))
        found = set()
        if rng.random() >= quiet_chance:
            odds = (("dormant", 0.7), ("outflow", 0.6), ("custody", 0.3))
            found = {sign for sign, p in odds if rng.random() < p}
            if rng.random() < 0.4:
                complaints.append(int(rng.integers(since, max(since + 1, until))))
        if "outflow" in found:
            day = int(rng.integers(since, max(since + 1, until - 4)))
            add(day, "withdraw_share", -1, rng.uniform(0.3, 0.6))
        if "custody" in found:
            add(
                int(rng.integers(since, max(since + 1, until - 4))),
                "custody_out",
                -1,
                0.5,
            )
        return since, found

    def random_stock(group):
        candidates = pools[group]
        listed = candidates[prices[candidates, 0] > 0]
        return int(rng.choice(listed))

    cash_share = rng.uniform(0.05, 0.35)
    invest = assets * (1 - cash_share)
    initial = []
    if s == 0 and e > 0:
        k = int(min(8, 1 + rng.poisson(2.2 if not institution else 4)))
        weights = rng.dirichlet(np.ones(k))
        main_weight = 1.0
        if persona == "loser":
            initial.append(
                (random_stock("crash"), assets * 0.88, rng.uniform(1.0, 1.1), True)
            )
            main_weight, cash_share = 0.04, 0.06
        elif persona == "drawdown":
            initial.append(
                (random_stock("crash"), invest * 0.35, rng.uniform(1.0, 1.15), True)
            )
            main_weight = 0.65
        elif persona == "blind":
            initial.append(
                (random_stock("slide"), invest * 0.55, rng.uniform(0.95, 1.1), True)
            )
            main_weight = 0.45
        elif persona == "concentrated":
            initial.append(
                (random_stock("main"), invest * 0.75, rng.uniform(0.8, 1.2), True)
            )
            main_weight = 0.2
        chosen = rng.choice(pools[pool], k, replace=False)
        for sec, w in zip(chosen, weights, strict=True):
            if prices[sec, 0] > 0:
                initial.append(
                    (int(sec), invest * main_weight * w, rng.uniform(0.75, 1.3), False)
                )
    elif e > s:
        # A new account: money arrives on the opening day, then the first buys.
        add(s, "deposit", -1, assets)
        for j in range(int(rng.integers(2, 5))):
            add(min(s + j, e - 1), "buy", -1, assets * rng.uniform(0.15, 0.3))
        cash_share = 0.0
    rate = float(np.clip(np.exp(rng.normal(np.log(30), 0.8)), 2, 200))
    lo = min(s + 4, e) if s > 0 else 0  # a new account's first buys come first
    if persona == "regular" or persona == "new":
        generic(lo, e, rate, size=(0.03, 0.12) if institution else (0.04, 0.2))
        if rng.random() < 0.3:
            for day in rng.integers(lo, max(lo + 1, e), int(rng.integers(1, 4))):
                add(day, "deposit", -1, assets * rng.uniform(0.05, 0.3))
        if rng.random() < 0.25:
            for day in rng.integers(lo, max(lo + 1, e), int(rng.integers(1, 3))):
                add(day, "withdraw_share", -1, rng.uniform(0.1, 0.6))
        if rng.random() < 0.04 and e > lo:
            add(rng.integers(lo, e), "custody_in", -1, assets * rng.uniform(0.1, 0.4))
        if rng.random() < 0.02 and w30 > lo:
            add(rng.integers(lo, w30), "custody_out", -1, 0.5)
    elif persona == "dormant":
        hi = min(quiet_from, e)
        if hi - lo >= 4:
            count = int(min(hi - lo, max(4, rng.poisson(rate * 0.5))))
            for day in rng.choice(np.arange(lo, hi), count, replace=False):
                add(
                    day,
                    "buy" if rng.random() < 0.5 else "swap",
                    -1,
                    assets * rng.uniform(0.05, 0.15),
                )
    elif persona == "loser":
        generic(lo, w90 - 5, 4, size=(0.01, 0.03), kinds=("buy", "sell"))
    elif persona == "drawdown":
        generic(lo, e, 8, size=(0.02, 0.06))
    elif persona == "concentrated":
        generic(lo, e, 6, size=(0.01, 0.03), kinds=("buy", "sell"))
    elif persona == "blind":
        generic(lo, w90, 10)
        for _ in range(int(rng.integers(10, 16))):
            day = int(rng.integers(w90, n - 1))
            sec = random_stock("main")
            add(day, "buy", sec, assets * rng.uniform(0.2, 0.4))
            add(min(n - 1, day + int(rng.integers(1, 6))), "sell", sec, 1.0)
    elif persona == "follower":
        generic(lo, w90, 10)
        for _ in range(int(rng.integers(3, 6))):
            rec_day = int(rng.integers(w90, n - 3))
            lag = int(rng.integers(1, 3))
            add(rec_day + lag, "recommended_buy", lag, assets * rng.uniform(0.15, 0.3))
        generic(w90, e, 4, kinds=("sell",))
    elif persona == "newissue":
        generic(lo, w90, 10)
        for _ in range(int(rng.integers(2, 5))):
            day = int(rng.integers(w90, n))
            sec = int(rng.choice(pools["new"][prices[pools["new"], day] > 0]))
            add(day, "buy", sec, assets * rng.uniform(0.1, 0.25))
        generic(w90, e, 4, size=(0.01, 0.03), kinds=("buy",))
    elif persona == "outflow_cash":
        generic(lo, w30 - 3, rate)
        day = int(rng.integers(w30, min(w30 + 4, n - 2)))
        add(day, "sell_all")
        add(day + 1, "withdraw_share", -1, 0.95)
    elif persona == "outflow_custody":
        # A competitor's transfer out, mostly preceded by signs like a leaver's.
        day = int(rng.integers(w30, n))
        since, found = signs(day, quiet_chance=0.25)
        generic(lo, since if "dormant" in found else w30, rate)
        add(day, "custody_out_all" if rng.random() < 0.5 else "custody_out", -1, 1.0)
    elif persona in ("closed", "wobbler") and e > s:
        # Leavers (closed) mostly show signs in the weeks before they go; a fifth
        # leave without any. Wobblers show the same signs once and stay.
        leaving = persona == "closed"
        until = e if leaving else int(rng.integers(min(lo + 30, n - 1), n))
        since, found = signs(until, quiet_chance=0.2 if leaving else 0.0)
        if "dormant" in found:
            generic(lo, since, rate)
            if not leaving:
                generic(min(n, until + 10), e, rate)
        else:
            generic(lo, e - 4 if leaving else e, rate)
        if leaving:
            add(e - 3, "custody_out_all" if rng.random() < 0.4 else "sell_all")
            add(e - 1, "withdraw_share", -1, 1.0)
    # quiet: holds and does nothing.
    return {
        "s": s,
        "e": e,
        "pool": pool,
        "initial": initial,
        "actions": actions,
        "cash0": assets * cash_share if s == 0 else 0.0,
        "complaints": complaints,
    }


# --- assembling -------------------------------------------------------------------


def generate(cfg: DemoConfig) -> DemoData:
    """The whole synthetic branch for `cfg`; the same config gives the same data."""
    if cfg.clients < MIN_CLIENTS:
        raise ValueError(f"--clients must be at least {MIN_CLIENTS}")
    if cfg.days < MIN_DAYS:
        raise ValueError(f"--days must be at least {MIN_DAYS}")
    if cfg.advisors < 1:
        raise ValueError("--advisors must be at least 1")
    rng = np.random.default_rng(cfg.seed)
    cal = _calendar(cfg)
    sec = _securities(rng, cfg, cal)
    prices = _prices(rng, cfg, cal, sec)
    advisors = _advisors(rng, cfg)
    clients, households = _clients(rng, cfg, cal, cfg.advisors)

    # Accounts: one per client with an opening date, a second one for some.
    acc_client, acc_share = [], []
    for i, row in enumerate(clients.itertuples(index=False)):
        if row.opened_at is None:
            continue
        acc_client.append(i)
        if row.persona == "regular" and rng.random() < 0.05:
            acc_share.append(0.7)
            acc_client.append(i)
            acc_share.append(0.3)
        else:
            acc_share.append(1.0)
    accounts = pd.DataFrame(
        {
            "account_no": [f"88{k + 1:08d}" for k in range(len(acc_client))],
            "client": np.array(acc_client, dtype=np.int64),
        }
    )
    book = _Book(rng, prices, sec, cal)
    book.account_client = np.array(acc_client, dtype=np.int64)
    n_acc = len(accounts)
    start_idx = np.zeros(n_acc, dtype=np.int64)
    end_idx = np.full(n_acc, cal.n, dtype=np.int64)
    cash0 = np.zeros(n_acc)
    rate = np.full(n_acc, COMMISSION_RATE)
    first_account = np.ones(n_acc, bool)
    for a in range(n_acc):
        c = acc_client[a]
        row = clients.iloc[c]
        first_account[a] = a == 0 or acc_client[a - 1] != c
        persona = row["persona"] if first_account[a] else "regular"
        opened, closed = row["opened_at"], row["closed_at"]
        s = 0 if opened < cal.start else cal.index(opened)
        e = (
            cal.n
            if closed is None
            else (0 if closed < cal.start else cal.index(closed))
        )
        if e == 0:
            s = 0
        start_idx[a], end_idx[a] = s, e
        institution = row["kind"] == "institution"
        rate[a] = (
            0.0002
            if institution
            else (0.0003 if rng.random() < 0.2 else COMMISSION_RATE)
        )
        plan = _plan_account(
            rng,
            cal,
            persona,
            row["target_assets"] * acc_share[a],
            s,
            e,
            institution,
            book.pool,
            prices,
        )
        cash0[a] = plan["cash0"]
        book.complaints.setdefault(c, []).extend(plan["complaints"])
        if e > s:
            _simulate_account(book, a, plan)

    trades = _trades_frame(book, sec, rate)
    cash, flows = _cash(book, cal, trades, cash0, start_idx, end_idx)
    balances, positions = _holdings(book, cal, prices, cash, start_idx, end_idx)
    interactions, feedback = _service(rng, cal, clients, book)
    price_rows = np.nonzero(prices > 0)
    price_frame = pd.DataFrame(
        {
            "security": price_rows[0].astype(np.int64),
            "day": price_rows[1].astype(np.int64),
            "close": prices[price_rows],
        }
    ).sort_values(["day", "security"], ignore_index=True)
    return DemoData(
        config=cfg,
        days=cal.days,
        advisors=advisors,
        households=households,
        clients=clients,
        accounts=accounts,
        securities=sec,
        prices=price_frame,
        trades=trades,
        positions=positions,
        balances=balances,
        cashflows=flows,
        interactions=interactions,
        feedback=feedback,
    )


def _trades_frame(book: _Book, sec: pd.DataFrame, rate: np.ndarray) -> pd.DataFrame:
    t = np.array(book.trades, dtype=np.int64).reshape(-1, 6)
    order = np.lexsort((np.arange(len(t)), t[:, 1], t[:, 0]))
    t = t[order]
    day, account, security, side, qty, price = t.T
    amount = qty * price // 10  # cents; exact because qty is whole lots
    is_stock = sec["kind"].to_numpy()[security] == "stock"
    commission = np.maximum(
        MIN_COMMISSION_CENTS, np.rint(amount * rate[account])
    ).astype(np.int64)
    stamp = np.where(is_stock & (side < 0), np.rint(amount * STAMP_TAX_RATE), 0).astype(
        np.int64
    )
    transfer = np.where(is_stock, np.rint(amount * TRANSFER_FEE_RATE), 0).astype(
        np.int64
    )
    return pd.DataFrame(
        {
            "trade_id": [f"T{k + 1:08d}" for k in range(len(t))],
            "day": day,
            "account": account,
            "security": security,
            "side": np.where(side > 0, "B", "S"),
            "quantity": qty,
            "price": price,
            "amount": amount,
            "commission": commission,
            "stamp_tax": stamp,
            "transfer_fee": transfer,
            "other_fees": np.zeros(len(t), dtype=np.int64),
        }
    )


def _cash(book, cal, trades, cash0, start_idx, end_idx):
    """Cash per account per day (cents); withdrawals by share are resolved here."""
    n_acc, n = len(cash0), cal.n
    fees = trades[["commission", "stamp_tax", "transfer_fee", "other_fees"]].sum(axis=1)
    signed = np.where(trades["side"] == "B", -trades["amount"], trades["amount"]) - fees
    delta = np.bincount(
        trades["account"].to_numpy() * n + trades["day"].to_numpy(),
        weights=signed.to_numpy(dtype=float),
        minlength=n_acc * n,
    )
    flows = pd.DataFrame(
        book.flows, columns=["day", "account", "type", "amount", "share"]
    )
    flows["seq"] = np.arange(len(flows))
    flows = flows.sort_values(["account", "day", "seq"], ignore_index=True)
    cash_flows = flows["type"].isin(["deposit", "withdrawal"]).to_numpy()
    fixed = cash_flows & (flows["amount"].to_numpy() >= 0)
    sign = np.where(flows["type"] == "deposit", 1, -1)
    delta += np.bincount(
        flows["account"].to_numpy()[fixed] * n + flows["day"].to_numpy()[fixed],
        weights=(sign * flows["amount"].to_numpy())[fixed].astype(float),
        minlength=n_acc * n,
    )
    base = np.cumsum(delta.reshape(n_acc, n), axis=1)
    # Opening deposits of new accounts absorb their shortfalls, like cash0 for the rest.
    flow_account = flows["account"].to_numpy()
    flow_day = flows["day"].to_numpy()
    opening = {}
    for k in np.flatnonzero(fixed & (flows["type"] == "deposit").to_numpy()):
        a = flow_account[k]
        if start_idx[a] > 0 and flow_day[k] == start_idx[a] and a not in opening:
            opening[a] = k
    shares = np.flatnonzero(~fixed & cash_flows)
    by_account: dict[int, list[int]] = {}
    for k in shares:
        by_account.setdefault(int(flow_account[k]), []).append(int(k))
    amounts = flows["amount"].to_numpy().astype(np.int64)
    cash0 = np.rint(cash0 * 100).astype(np.int64)
    flow_share = flows["share"].to_numpy()
    cols = np.arange(n)
    alive = (cols[None, :] >= start_idx[:, None]) & (cols[None, :] < end_idx[:, None])
    top_ups: list[tuple[int, int, str, int, float, int]] = []
    # Where cash would go below zero, the client tops up first (in round 10,000 CNY):
    # the opening cash or deposit grows, or a deposit arrives that day.
    for _round in range(200):
        out = np.zeros((n_acc, n), dtype=np.int64)
        for a, ks in by_account.items():
            taken = 0
            for k in ks:
                day = flow_day[k]
                available = cash0[a] + int(base[a, day]) - taken
                amounts[k] = max(0, int(flow_share[k] * available))
                taken += amounts[k]
                out[a, day] += amounts[k]
        path = cash0[:, None] + base.astype(np.int64) - np.cumsum(out, axis=1)
        negative = alive & (path < 0)
        short = np.flatnonzero(negative.any(axis=1))
        if not len(short):
            break
        for a in short:
            day = int(np.argmax(negative[a]))
            top_up = int(-(path[a, day] // 1_000_000) * 1_000_000)
            if day == 0:
                cash0[a] += top_up
            elif a in opening and flow_day[opening[a]] == day:
                amounts[opening[a]] += top_up
                base[a, day:] += top_up
            else:
                top_ups.append(
                    (day, int(a), "deposit", top_up, 0.0, len(flows) + len(top_ups))
                )
                base[a, day:] += top_up
    flows["amount"] = amounts
    flows = pd.concat([flows, pd.DataFrame(top_ups, columns=flows.columns)])
    flows = flows[flows["amount"] > 0]
    flows = flows.sort_values(["day", "account", "seq"], ignore_index=True)
    flows = flows.drop(columns=["share", "seq"])
    flows.insert(0, "flow_id", [f"F{k + 1:08d}" for k in range(len(flows))])
    return path, flows


def _holdings(book, cal, prices, cash, start_idx, end_idx):
    """Balances every weekday; positions at each week's last weekday and the last day."""
    n = cal.n
    n_pairs = len(book.pair_account)
    pair_account = np.array(book.pair_account, dtype=np.int64)
    pair_security = np.array(book.pair_security, dtype=np.int64)
    st = np.array(book.states, dtype=np.int64).reshape(-1, 4)
    st_pair, st_day, st_qty, st_cost = st.T
    # Quantity changes per pair per day, in the order they happened.
    order = np.lexsort((np.arange(len(st)), st_day, st_pair))
    st_pair, st_day, st_qty, st_cost = (
        st_pair[order],
        st_day[order],
        st_qty[order],
        st_cost[order],
    )
    previous = np.where(
        np.r_[True, st_pair[1:] != st_pair[:-1]], 0, np.r_[0, st_qty[:-1]]
    )
    change = st_qty - previous
    qty = np.zeros((n_pairs, n), dtype=np.int64)
    np.add.at(qty, (st_pair, np.maximum(st_day, 0)), change)
    qty = np.cumsum(qty, axis=1)
    value = qty * prices[pair_security] // 10  # cents
    n_acc = len(start_idx)
    market = np.zeros((n_acc, n), dtype=np.int64)
    if n_pairs:
        starts = np.flatnonzero(np.r_[True, pair_account[1:] != pair_account[:-1]])
        market[pair_account[starts]] = np.add.reduceat(value, starts, axis=0)
    cols = np.arange(n)
    alive = (cols[None, :] >= start_idx[:, None]) & (cols[None, :] < end_idx[:, None])
    acc, day = np.nonzero(alive)
    order = np.lexsort((acc, day))
    acc, day = acc[order], day[order]
    balances = pd.DataFrame(
        {
            "day": day,
            "account": acc,
            "cash": cash[acc, day],
            "market_value": market[acc, day],
            "total_assets": cash[acc, day] + market[acc, day],
        }
    )
    weeks = np.array([d.isocalendar()[:2] for d in cal.days])
    last_of_week = np.r_[np.any(weeks[1:] != weeks[:-1], axis=1), True]
    snaps = np.flatnonzero(last_of_week)
    held = (qty[:, snaps] > 0) & alive[pair_account][:, snaps]
    pp, jj = np.nonzero(held)
    jj = snaps[jj]
    # The cost price in force on the snapshot day: the pair's last state by then.
    keys = st_pair * (n + 1) + (st_day + 1)
    found = np.searchsorted(keys, pp * (n + 1) + (jj + 1), side="right") - 1
    positions = pd.DataFrame(
        {
            "day": jj,
            "account": pair_account[pp],
            "security": pair_security[pp],
            "quantity": qty[pp, jj],
            "cost": st_cost[found],
            "market_value": value[pp, jj],
        }
    ).sort_values(["day", "account", "security"], ignore_index=True)
    return balances, positions


def _service(rng, cal, clients, book):
    """Contacts, activities, complaints and feedback, client by client."""
    end, start = cal.end, cal.start
    rows, fb = [], []
    main = book.pool["main"]
    recs: dict[int, list[tuple[int, int]]] = {}
    for a, day, s in book.recommendations:
        recs.setdefault(int(book.account_client[a]), []).append((day, s))
    seminar_days = []
    d = start
    while d <= end:
        if d.weekday() == 5 and 8 <= d.day <= 14:
            seminar_days.append(d)
        d += dt.timedelta(days=1)
    per_level = {"intermediary": 4, "priority": 12, "partnership": 26, "alliance": 52}
    n = len(clients)
    unhappy = np.flatnonzero(
        (rng.random(n) < 0.03)
        & clients["opened_at"].notna().to_numpy()
        & clients["closed_at"].isna().to_numpy()
    )
    if len(unhappy) < 2:
        candidates = np.flatnonzero(
            clients["opened_at"].notna().to_numpy()
            & clients["closed_at"].isna().to_numpy()
        )
        unhappy = candidates[:2]
    complain = set(unhappy[::2].tolist())
    low_feedback = set(unhappy[1::2].tolist())
    minutes = {"call": (3, 20), "visit": (30, 90), "email": (5, 12), "message": (1, 5)}
    for i, row in enumerate(clients.itertuples(index=False)):
        advisor = int(row.advisor)
        if row.opened_at is None:
            lo, hi = end - dt.timedelta(days=179), end
        else:
            lo = max(start, row.opened_at)
            hi = (
                end
                if row.closed_at is None
                else min(end, row.closed_at - dt.timedelta(days=1))
            )
        if hi < lo:
            continue
        span = (hi - lo).days + 1

        def when(lo=lo, span=span):
            return lo + dt.timedelta(days=int(rng.integers(0, span)))

        if row.opened_at is None:
            count = int(rng.integers(1, 5))
        else:
            count = int(rng.poisson(per_level[row.relationship_level] * span / 365))
        for _ in range(count):
            channel = str(
                rng.choice(
                    ["call", "message", "email", "visit"], p=[0.45, 0.3, 0.1, 0.15]
                )
            )
            codes: tuple = ()
            note = names.CONTACT_NOTES[channel][
                rng.integers(len(names.CONTACT_NOTES[channel]))
            ]
            if channel != "email" and rng.random() < 0.15:
                codes = tuple(
                    sorted(
                        int(x)
                        for x in rng.choice(
                            main, int(rng.integers(1, 3)), replace=False
                        )
                    )
                )
                note = names.RECOMMEND_NOTES[rng.integers(len(names.RECOMMEND_NOTES))]
            rows.append(
                (
                    when(),
                    i,
                    advisor,
                    channel,
                    int(rng.integers(*minutes[channel])),
                    note,
                    codes,
                )
            )
        for day, s in recs.get(i, []):
            channel = "call" if rng.random() < 0.5 else "message"
            note = names.RECOMMEND_NOTES[rng.integers(len(names.RECOMMEND_NOTES))]
            rows.append(
                (
                    cal.days[day],
                    i,
                    advisor,
                    channel,
                    int(rng.integers(*minutes[channel])),
                    note,
                    (int(s),),
                )
            )
        if rng.random() < 0.2:
            usable = [d for d in seminar_days if lo <= d <= hi]
            if usable:
                for d in rng.choice(
                    len(usable),
                    min(len(usable), int(rng.integers(1, 4))),
                    replace=False,
                ):
                    note = names.CONTACT_NOTES["seminar"][rng.integers(3)]
                    rows.append(
                        (
                            usable[d],
                            i,
                            advisor,
                            "seminar",
                            int(rng.choice([90, 120])),
                            note,
                            (),
                        )
                    )
        if rng.random() < 0.12:
            rows.append(
                (
                    when(),
                    i,
                    advisor,
                    "survey",
                    10,
                    names.CONTACT_NOTES["survey"][rng.integers(2)],
                    (),
                )
            )
        if i in complain or (row.opened_at is not None and rng.random() < 0.01):
            day = end - dt.timedelta(days=int(rng.integers(0, 80)))
            if i not in complain:
                day = when()
            note = names.CONTACT_NOTES["complaint"][rng.integers(3)]
            rows.append(
                (
                    max(lo, min(hi, day)),
                    i,
                    advisor,
                    "complaint",
                    int(rng.integers(5, 30)),
                    note,
                    (),
                )
            )
        for day in book.complaints.get(i, []):
            note = names.CONTACT_NOTES["complaint"][rng.integers(3)]
            rows.append(
                (
                    cal.days[day],
                    i,
                    advisor,
                    "complaint",
                    int(rng.integers(5, 30)),
                    note,
                    (),
                )
            )
        # Feedback: most scores are good; the unhappy few score 1-2 lately.
        if row.opened_at is not None and row.closed_at is None:
            if i in low_feedback:
                for _ in range(2):
                    score = int(rng.integers(1, 3))
                    day = end - dt.timedelta(days=int(rng.integers(0, 170)))
                    fb.append((max(lo, day), i, "satisfaction", score))
            elif rng.random() < 0.25:
                for _ in range(int(rng.integers(1, 3))):
                    score = int(rng.choice([3, 4, 4, 5, 5]))
                    topic = str(rng.choice(["satisfaction", "research", "direction"]))
                    fb.append((when(), i, topic, score))
    interactions = pd.DataFrame(
        rows,
        columns=[
            "date",
            "client",
            "advisor",
            "channel",
            "minutes",
            "summary",
            "recommended",
        ],
    )
    interactions["seq"] = np.arange(len(interactions))
    interactions = interactions.sort_values(
        ["date", "client", "seq"], ignore_index=True
    )
    interactions = interactions.drop(columns="seq")
    interactions.insert(
        0, "interaction_id", [f"I{k + 1:07d}" for k in range(len(interactions))]
    )
    feedback = pd.DataFrame(fb, columns=["date", "client", "topic", "score"])
    feedback["comment"] = [
        names.FEEDBACK_COMMENTS[s][k % len(names.FEEDBACK_COMMENTS[s])]
        for k, s in enumerate(feedback["score"])
    ]
    feedback["seq"] = np.arange(len(feedback))
    feedback = feedback.sort_values(["date", "client", "seq"], ignore_index=True).drop(
        columns="seq"
    )
    feedback.insert(0, "feedback_id", [f"FB{k + 1:06d}" for k in range(len(feedback))])
    return interactions, feedback
