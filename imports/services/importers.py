"""One importer per kind: validate chunks into database rows, then write them.

The big kinds (trades, positions, balances, prices, cashflows) stream: each chunk is
validated and staged (or, for new trades and cash flows, written) as it is read, and
only natural keys stay in memory. The small
kinds (advisors, securities, clients, interactions, feedback) are read whole, since
they reference each other's rows, and written with the ORM's bulk operations.

Protocol, used by services.batches: `add(chunk)` for every chunk, `close()` once
(file-wide checks), then `write(mode)` only when the file may be written.
"""

import logging
import time
from datetime import date
from functools import cached_property

import numpy as np
import pandas as pd

from advisors.models import Advisor, Role, Team
from clients.crypto import ID_NUMBER, PHONE, Sealed, encrypt_many, lookup_hashes
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
)
from clients.services import trade_days_refresh

from . import kinds as k
from .checks import Rows, find_duplicates
from .writing import ALL, Counts, Target, writer_for

logger = logging.getLogger(__name__)


class Context:
    """What an import knows of the branch: the references its rows may name."""

    def __init__(self, branch, mode: str, *, dry_run: bool = False):
        self.branch = branch
        self.mode = mode
        self.dry_run = dry_run

    @cached_property
    def accounts(self) -> dict[str, int]:
        return dict(
            Account.objects.filter(branch=self.branch).values_list("account_no", "id")
        )

    @cached_property
    def securities(self) -> dict[str, int]:
        return dict(Security.objects.values_list("code", "id"))

    @cached_property
    def clients(self) -> dict[str, int]:
        return dict(
            Client.objects.filter(branch=self.branch).values_list("client_no", "id")
        )

    @cached_property
    def advisors(self) -> dict[str, int]:
        return dict(
            Advisor.objects.filter(branch=self.branch).values_list("employee_no", "id")
        )


class Importer:
    kind = ""

    def __init__(self, ctx: Context, errors: list):
        self.ctx = ctx
        self.errors = errors
        self.total = 0
        self.failed = 0

    @property
    def spec(self) -> k.KindSpec:
        return k.KINDS[self.kind]


# --- the big kinds: streamed and staged ----------------------------------------------


class BigImporter(Importer):
    target: Target
    key: list[str]  # database columns of the natural key
    # A natural key that is one text column of the file (trade_id, flow_id): in insert
    # mode, rows whose key is already stored are skipped before they are validated.
    text_key: str | None = None

    # Columns whose distinct values write() asks the writer for.
    tracked: tuple[str, ...] = ()

    def __init__(self, ctx, errors):
        super().__init__(ctx, errors)
        # Insert mode with a text key: each chunk's keys are checked against the
        # stored ones and the file's earlier ones as it comes, so every row that
        # reaches the writer is new and (outside a dry run) is COPYed straight in.
        self.streamed = bool(self.text_key) and ctx.mode == "insert"
        self.writer = writer_for(
            self.target,
            direct=self.streamed and not ctx.dry_run,
            track=self.tracked,
        )
        self.keys: list[pd.DataFrame] = []
        self.known = 0  # rows skipped because their key was already stored
        # Streamed: the file's keys so far (with their lines, for the messages).
        self.seen: list[pd.DataFrame] = []
        self.seen_keys: set[str] | None = None  # built once key ranges overlap
        self.ranges: list[tuple[str, str]] = []  # each chunk's lowest, highest key

    def prepare(self, rows: Rows) -> pd.DataFrame:
        raise NotImplementedError

    def add(self, chunk: pd.DataFrame) -> None:
        self.total += len(chunk)
        known_keys = None
        if self.text_key and self.ctx.mode == "insert" and len(chunk):
            # Re-importing only has to find that the rows exist: one index lookup
            # per key, and no parsing of the rest of the row.
            keys = chunk[self.text_key]
            stored = self.writer.existing(
                self.text_key, keys.tolist(), {"branch_id": self.ctx.branch.id}
            )
            if stored:
                known = (
                    np.ones(len(keys), dtype=bool)
                    if stored is ALL
                    else keys.isin(stored).to_numpy()
                )
                self.known += int(known.sum())
                known_keys = pd.DataFrame(
                    {"_line": chunk["_line"][known], self.text_key: keys[known]}
                ).assign(_known=True)
                chunk = chunk[~known].reset_index(drop=True)
        rows = Rows(chunk, self.errors)
        frame = self.prepare(rows)
        frame.insert(0, "_line", rows.lines)
        self.failed += int(rows.bad.sum())
        good = frame[~rows.bad] if rows.bad.any() else frame
        keys = good[["_line", *self.key]].assign(_known=False)
        if known_keys is not None:
            keys = pd.concat([known_keys, keys], ignore_index=True)
        if self.streamed:
            good = self.unrepeated(good, keys)
        else:
            self.keys.append(keys)
        self.adding(good)
        self.writer.add(good)

    def adding(self, good: pd.DataFrame) -> None:
        """Hook: the valid new rows of a chunk, on their way to the writer."""

    def unrepeated(self, good: pd.DataFrame, keys: pd.DataFrame) -> pd.DataFrame:
        """The chunk's good rows less those repeating a key of an earlier line.

        An earlier line is in this chunk or any before it; every repeat is reported
        as a bad row, and only the first line of a key is ever written.
        """
        if keys["_known"].any():  # known rows first: back in the file's order
            keys = keys.sort_values("_line", kind="stable", ignore_index=True)
        values = keys[self.text_key].to_numpy(dtype=object)
        maybe = keys[self.text_key].duplicated(keep="first").to_numpy()
        if len(values):
            # Files of ascending keys: a chunk whose keys lie beyond every earlier
            # key cannot repeat one, and its keys need not be kept in a set.
            low, high = min(values), max(values)
            self.ranges.append((low, high))
            if self.seen_keys is None and any(
                low <= top and bottom <= high for bottom, top in self.ranges[:-1]
            ):
                self.seen_keys = set()
                for earlier in self.seen:
                    self.seen_keys.update(earlier[self.text_key].tolist())
        seen = self.seen_keys
        if seen is not None:
            maybe = maybe | np.fromiter(
                map(seen.__contains__, values), bool, len(values)
            )
        if maybe.any():
            # Rare: the first line of each repeated key, from the keys so far.
            earlier = pd.concat([*self.seen, keys], ignore_index=True)
            repeated = find_duplicates(
                earlier[[self.text_key]], earlier["_line"].to_numpy()
            )
            label = "+".join(self.spec.key)
            for line, first in repeated:
                self.errors.append((line, label, f"duplicate of line {first}"))
            self.failed += len(repeated)
            lines = [line for line, _ in repeated]
            out = keys["_line"].isin(lines).to_numpy()
            self.known -= int(keys["_known"].to_numpy()[out].sum())
            keys, values = keys[~out], values[~out]
            good = good[~good["_line"].isin(lines).to_numpy()]
        self.seen.append(keys[["_line", self.text_key]])
        if seen is not None:
            seen.update(values.tolist())
        return good

    def close(self) -> None:
        self.writer.end()
        if not self.keys:
            return
        keys = pd.concat(self.keys, ignore_index=True)
        self.keys = []
        repeated = find_duplicates(keys[self.key], keys["_line"].to_numpy())
        label = "+".join(self.spec.key)
        for line, first in repeated:
            self.errors.append((line, label, f"duplicate of line {first}"))
        self.failed += len(repeated)
        if repeated:
            lines = [line for line, _ in repeated]
            self.known -= int(keys.loc[keys["_line"].isin(lines), "_known"].sum())
            self.writer.drop(lines)

    def count(self, mode: str) -> Counts:
        """A dry run: the counts write() would give, with nothing written."""
        self.writer.checked = bool(self.text_key) and mode == "insert"
        counts = self.writer.count(mode)
        counts.skipped += self.known
        return counts

    def write(self, mode: str) -> Counts:
        self.writer.checked = bool(self.text_key) and mode == "insert"
        counts = self.writer.write(mode)
        counts.skipped += self.known
        return counts

    def abort(self) -> None:
        self.writer.abort()


def _frame(rows: Rows, **columns) -> pd.DataFrame:
    return pd.DataFrame(
        {
            name: (value.to_numpy() if isinstance(value, pd.Series) else value)
            for name, value in columns.items()
        },
        index=range(rows.n),
    )


FEES = ("commission", "stamp_tax", "transfer_fee", "other_fees")


class TradeImporter(BigImporter):
    kind = "trades"
    target = Target(
        Trade,
        [
            "branch_id",
            "trade_id",
            "trade_date",
            "account_id",
            "security_id",
            "side",
            "quantity",
            "price",
            "amount",
            *FEES,
        ],
        ["branch_id", "trade_id"],
        dict.fromkeys(FEES, "0"),
        frozenset(["trade_date", "side", "quantity", "price", "amount", *FEES]),
    )
    key = ["trade_id"]
    text_key = "trade_id"
    tracked = ("trade_date",)

    def __init__(self, ctx, errors):
        super().__init__(ctx, errors)
        # Insert mode: the new rows' per account-day totals, added onto the stored
        # days at write() instead of re-totalling every trade of the dates. None:
        # some amount cannot be summed exactly in cents, so re-total the dates.
        self.days: list[pd.DataFrame] | None = (
            [] if self.streamed and not ctx.dry_run else None
        )
        self.day_rows = 0

    def prepare(self, rows):
        ctx = self.ctx
        trade_id = rows.text("trade_id", 40, required=True)
        trade_date = rows.date("trade_date", required=True, not_future=True)
        account = rows.lookup("account_no", ctx.accounts, "account", required=True)
        security = rows.lookup("code", ctx.securities, "security", required=True)
        side = rows.choice("side", k.SIDES, required=True)
        quantity, quantity_text = rows.number(
            "quantity", required=True, minimum=0, max_digits=20, places=4
        )
        price, price_text = rows.number("price", required=True, minimum=0, places=4)
        amount, amount_text = rows.number("amount", required=True, minimum=0)
        fee_numbers = {fee: rows.number(fee, minimum=0) for fee in FEES}
        fees = {fee: text for fee, (_, text) in fee_numbers.items()}
        q, p, a = quantity.to_numpy(), price.to_numpy(), amount.to_numpy()
        expected = q * p
        # 0.01 CNY of rounding per lot of 100 shares (prices are often averages).
        tolerance = 0.01 * np.maximum(1.0, np.ceil(q / 100.0)) + 1e-9
        with np.errstate(invalid="ignore"):
            off = np.abs(a - expected) > tolerance
        off &= ~(np.isnan(q) | np.isnan(p) | np.isnan(a))
        where = np.flatnonzero(off)
        rows.fail_rows(
            where,
            "amount",
            [
                f"{a[i]:.2f} is not quantity × price ({q[i]:g} × {p[i]:g} = "
                f"{expected[i]:.2f})"
                for i in where
            ],
        )
        frame = _frame(
            rows,
            branch_id=ctx.branch.id,
            trade_id=trade_id,
            trade_date=trade_date,
            account_id=account,
            security_id=security,
            side=side,
            quantity=quantity_text,
            price=price_text,
            amount=amount_text,
            **fees,
        )
        # For the day totals (not written to the trade table).
        frame["_amount"] = a
        frame["_commission"] = fee_numbers["commission"][0].to_numpy()
        return frame

    def adding(self, good):
        if self.days is None or good.empty:
            return
        amount = _cents(good["_amount"].to_numpy())
        commission = _cents(np.nan_to_num(good["_commission"].to_numpy()))
        if amount is None or commission is None:
            self.days = None
            return
        day = pd.DataFrame(
            {
                "account_id": good["account_id"].to_numpy(),
                "date": good["trade_date"].to_numpy(),
                "trades": np.ones(len(good), dtype=np.int64),
                "commission": commission,
                "amount": amount,
                "buy_amount": np.where(good["side"].to_numpy() == "B", amount, 0),
            }
        )
        self.days.append(day.groupby(["account_id", "date"], sort=False).sum())
        self.day_rows += len(good)

    def write(self, mode):
        # The trade dates to re-total: the file's, and on upsert the dates the
        # matched trades had before (a corrected trade_date moves a trade).
        dates = self.writer.distinct("trade_date", existing_too=mode == "upsert")
        # Totalled while the server still inserts the last chunk of a direct write.
        days = _day_rows(self.days) if self.days else None
        counts = super().write(mode)
        if days is not None and counts.new == self.day_rows and counts.new:
            # Only new trades, each of them totalled: their totals add onto the
            # stored days (which hold every other trade's) with no re-totalling.
            started = time.monotonic()
            added = trade_days_refresh(branch_id=self.ctx.branch.id, added=days)
            logger.info(
                "trade days: %s account-days added to in %.2fs",
                added,
                time.monotonic() - started,
            )
            return counts
        if counts.new or counts.updated:
            started = time.monotonic()
            trade_days_refresh(branch_id=self.ctx.branch.id, dates=_dates(dates))
            logger.info(
                "trade days of %s dates refreshed in %.2fs",
                len(dates),
                time.monotonic() - started,
            )
        return counts


def _cents(values: np.ndarray) -> np.ndarray | None:
    """Money as int64 cents, or None unless every value converts exactly.

    A value within 1e-4 cent of a whole cent is the one PostgreSQL stores for it
    (numeric(…, 2) rounds); below 1e9 a float's own error is far smaller than that.
    """
    if not len(values):
        return np.zeros(0, dtype=np.int64)
    if np.isnan(values).any() or np.abs(values).max() >= 1e9:
        return None
    scaled = values * 100.0
    cents = np.rint(scaled)
    if np.abs(scaled - cents).max() > 1e-4:
        return None
    return cents.astype(np.int64)


def _day_rows(parts: list[pd.DataFrame]) -> list[tuple]:
    """(account_id, date, trades, commission, amount, buy_amount) per account-day,
    every cell as text (made while the database still inserts the trades)."""
    # In key order: the days table and its indexes then fill page by page.
    days = pd.concat(parts).groupby(level=[0, 1]).sum().reset_index()

    def money(cents):
        return [f"{c // 100}.{c % 100:02d}" for c in cents.tolist()]

    return list(
        zip(
            days["account_id"].to_numpy().astype(str).tolist(),
            days["date"].tolist(),
            days["trades"].to_numpy().astype(str).tolist(),
            money(days["commission"]),
            money(days["amount"]),
            money(days["buy_amount"]),
            strict=True,
        )
    )


def _dates(values) -> list:
    return [v if isinstance(v, date) else date.fromisoformat(str(v)) for v in values]


class PositionImporter(BigImporter):
    kind = "positions"
    target = Target(
        Position,
        ["account_id", "date", "security_id", "quantity", "cost_price", "market_value"],
        ["account_id", "date", "security_id"],
        {},
        frozenset(["date", "quantity", "cost_price", "market_value"]),
    )
    key = ["date", "account_id", "security_id"]

    def prepare(self, rows):
        ctx = self.ctx
        return _frame(
            rows,
            date=rows.date("date", required=True, not_future=True),
            account_id=rows.lookup(
                "account_no", ctx.accounts, "account", required=True
            ),
            security_id=rows.lookup("code", ctx.securities, "security", required=True),
            quantity=rows.number(
                "quantity", required=True, minimum=0, max_digits=20, places=4
            )[1],
            cost_price=rows.number("cost_price", minimum=0, places=4)[1],
            market_value=rows.number("market_value", required=True, minimum=0)[1],
        )


class BalanceImporter(BigImporter):
    kind = "balances"
    target = Target(
        Balance,
        ["account_id", "date", "cash", "market_value", "total_assets"],
        ["account_id", "date"],
        {},
        frozenset(["date", "cash", "market_value", "total_assets"]),
    )
    key = ["date", "account_id"]

    def prepare(self, rows):
        ctx = self.ctx
        return _frame(
            rows,
            date=rows.date("date", required=True, not_future=True),
            account_id=rows.lookup(
                "account_no", ctx.accounts, "account", required=True
            ),
            # Cash may be negative (margin); holdings and assets may not.
            cash=rows.number("cash", required=True)[1],
            market_value=rows.number("market_value", required=True, minimum=0)[1],
            total_assets=rows.number("total_assets", required=True, minimum=0)[1],
        )


class PriceImporter(BigImporter):
    kind = "prices"
    target = Target(
        Price,
        ["security_id", "date", "close"],
        ["security_id", "date"],
        {},
        frozenset(["date", "close"]),
    )
    key = ["security_id", "date"]

    def prepare(self, rows):
        return _frame(
            rows,
            date=rows.date("date", required=True, not_future=True),
            security_id=rows.lookup(
                "code", self.ctx.securities, "security", required=True
            ),
            close=rows.number("close", required=True, minimum=0, places=4)[1],
        )


class CashFlowImporter(BigImporter):
    kind = "cashflows"
    target = Target(
        CashFlow,
        ["branch_id", "flow_id", "account_id", "date", "type", "amount"],
        ["branch_id", "flow_id"],
        {},
        frozenset(["date", "type", "amount"]),
    )
    key = ["flow_id"]
    text_key = "flow_id"

    def prepare(self, rows):
        ctx = self.ctx
        return _frame(
            rows,
            branch_id=ctx.branch.id,
            flow_id=rows.text("flow_id", 40, required=True),
            account_id=rows.lookup(
                "account_no", ctx.accounts, "account", required=True
            ),
            date=rows.date("date", required=True, not_future=True),
            type=rows.choice("type", k.CASH_FLOW_TYPES, required=True),
            amount=rows.number("amount", required=True, minimum=0)[1],
        )


# --- the small kinds: read whole, written with the ORM --------------------------------


class SmallImporter(Importer):
    """Validates the whole file at close(); `self.rows` and `self.good` hold the result."""

    def __init__(self, ctx, errors):
        super().__init__(ctx, errors)
        self.frames: list[pd.DataFrame] = []
        self.rows: Rows | None = None

    def add(self, chunk):
        self.frames.append(chunk)

    def abort(self):
        pass

    def count(self, mode: str) -> Counts:
        # Small files: write inside the import's transaction, which is rolled back.
        return self.write(mode)

    def close(self):
        frame = (
            pd.concat(self.frames, ignore_index=True)
            if self.frames
            else pd.DataFrame({"_line": pd.Series([], dtype=int)})
        )
        self.frames = []
        self.rows = Rows(frame, self.errors)
        self.values = self.prepare(self.rows)
        self.total = self.rows.n
        self.failed = int(self.rows.bad.sum())

    def prepare(self, rows: Rows) -> pd.DataFrame:
        raise NotImplementedError

    def unique(self, rows: Rows, frame: pd.DataFrame, columns: list[str]) -> None:
        """Report rows repeating the natural key of an earlier row of the file."""
        keys = frame[columns]
        usable = ~rows.bad
        repeated = find_duplicates(keys[usable], rows.lines[usable])
        if repeated:
            position = {line: i for i, line in enumerate(rows.lines)}
            label = "+".join(self.spec.key)
            rows.fail_rows(
                [position[line] for line, _ in repeated],
                label,
                [f"duplicate of line {first}" for _, first in repeated],
            )

    def good(self) -> list[dict]:
        frame = self.values[~self.rows.bad]
        return frame.to_dict("records")


def _set(obj, field: str, value, *, upsert: bool) -> bool:
    """Set a field from a file cell: empty cells never overwrite. True if it changed."""
    if value is None or value == "" or (isinstance(value, float) and np.isnan(value)):
        return False
    if getattr(obj, field) == value:
        return False
    setattr(obj, field, value)
    return True


def _update(obj, row: dict, fields) -> bool:
    """Apply every non-empty cell of `fields` to obj; True if any value changed."""
    changed = False
    for f in fields:
        changed |= _set(obj, f, row[f], upsert=True)
    return changed


def _date(text: str):
    return date.fromisoformat(text) if text else None


class AdvisorImporter(SmallImporter):
    kind = "advisors"

    def prepare(self, rows):
        email = rows.text("email", 254)
        bad_email = (email != "") & ~email.str.contains(
            r"^[^@\s]+@[^@\s]+\.[^@\s]+$", regex=True
        )
        rows.fail(bad_email.to_numpy(), "email", lambda v: f'"{v}" is not an email')
        frame = _frame(
            rows,
            employee_no=rows.text("employee_no", 32, required=True),
            name=rows.text("name", 100, required=True),
            team=rows.text("team", 100),
            role=rows.choice("role", k.ROLES),
            email=email,
        )
        self.unique(rows, frame, ["employee_no"])
        return frame

    def write(self, mode):
        branch = self.ctx.branch
        good = self.good()
        existing = {
            a.employee_no: a
            for a in Advisor.objects.filter(
                branch=branch, employee_no__in=[r["employee_no"] for r in good]
            )
        }
        teams = {t.name: t for t in Team.objects.filter(branch=branch)}
        for name in {r["team"] for r in good if r["team"]} - set(teams):
            teams[name] = Team.objects.create(branch=branch, name=name)
        counts, creating, changed = Counts(), [], []
        for r in good:
            team = teams.get(r["team"])
            advisor = existing.get(r["employee_no"])
            if advisor is None:
                creating.append(
                    Advisor(
                        branch=branch,
                        employee_no=r["employee_no"],
                        name=r["name"],
                        team=team,
                        role=r["role"] or Role.ADVISOR,
                        email=r["email"],
                    )
                )
            elif mode == "upsert" and _update(
                advisor, {**r, "team": team}, ["name", "team", "role", "email"]
            ):
                changed.append(advisor)
            else:
                counts.skipped += 1
        Advisor.objects.bulk_create(creating, batch_size=1000)
        Advisor.objects.bulk_update(
            changed, ["name", "team", "role", "email"], batch_size=1000
        )
        counts.new, counts.updated = len(creating), len(changed)
        return counts


class SecurityImporter(SmallImporter):
    kind = "securities"

    def prepare(self, rows):
        frame = _frame(
            rows,
            code=rows.text("code", 32, required=True),
            name=rows.text("name", 100),
            kind=rows.choice("kind", k.SECURITY_KINDS),
            industry=rows.text("industry", 100),
            listed_on=rows.date("listed_on"),
        )
        self.unique(rows, frame, ["code"])
        return frame

    def write(self, mode):
        good = self.good()
        existing = {
            s.code: s
            for s in Security.objects.filter(code__in=[r["code"] for r in good])
        }
        counts, creating, changed = Counts(), [], []
        fields = ["name", "kind", "industry", "listed_on"]
        for r in good:
            r["listed_on"] = _date(r["listed_on"])
            security = existing.get(r["code"])
            if security is None:
                creating.append(
                    Security(
                        code=r["code"],
                        name=r["name"],
                        kind=r["kind"] or "stock",
                        industry=r["industry"],
                        listed_on=r["listed_on"],
                    )
                )
            elif mode == "upsert" and _update(security, r, fields):
                changed.append(security)
            else:
                counts.skipped += 1
        Security.objects.bulk_create(creating, batch_size=1000)
        Security.objects.bulk_update(changed, fields, batch_size=1000)
        counts.new, counts.updated = len(creating), len(changed)
        return counts


CLIENT_FIELDS = [
    "name",
    "kind",
    "gender",
    "birth_date",
    "id_number",
    "phone",
    "opened_at",
    "closed_at",
    "advisor_id",
    "investing_since",
    "time_availability",
    "onsite",
    "relationship_level",
    "risk_level",
]
#: The encrypted columns, matched and compared through their lookup hashes.
PERSONAL_FIELDS = {"id_number": ID_NUMBER, "phone": PHONE}
OTHER_CLIENT_FIELDS = [f for f in CLIENT_FIELDS if f not in PERSONAL_FIELDS]
CLIENT_DATES = ("birth_date", "opened_at", "closed_at", "investing_since")


class ClientImporter(SmallImporter):
    """Clients and their accounts: one row per account, referrals resolved in two passes."""

    kind = "clients"

    def prepare(self, rows):
        ctx = self.ctx
        advisor = rows.lookup("advisor", ctx.advisors, "advisor")
        frame = _frame(
            rows,
            client_no=rows.text("client_no", 32, required=True),
            account_no=rows.text("account_no", 32),
            name=rows.text("name", 200, required=True),
            kind=rows.choice("kind", k.CLIENT_KINDS),
            gender=rows.choice("gender", k.GENDERS),
            birth_date=rows.date("birth_date", not_future=True),
            id_number=rows.text("id_number", 64),
            phone=rows.text("phone", 32),
            opened_at=rows.date("opened_at", not_future=True),
            closed_at=rows.date("closed_at"),
            advisor_id=np.where(advisor > 0, advisor, 0),
            referred_by=rows.text("referred_by", 32),
            investing_since=rows.date("investing_since"),
            time_availability=rows.choice("time_availability", k.TIME_AVAILABILITY),
            onsite=rows.choice("onsite", k.YES_NO),
            relationship_level=rows.choice("relationship_level", k.RELATIONSHIP_LEVELS),
            risk_level=rows.choice("risk_level", k.RISK_LEVELS),
        )
        opened, closed = frame["opened_at"], frame["closed_at"]
        before = ((opened != "") & (closed != "") & (closed < opened)).to_numpy()
        rows.fail(before, "closed_at", lambda v: f"{v} is before the opening date")
        # The referrer may be an existing client or one further down this file.
        known = set(ctx.clients) | set(frame["client_no"])
        referred = frame["referred_by"]
        unknown = ((referred != "") & ~referred.isin(known)).to_numpy()
        rows.fail(unknown, "referred_by", lambda v: f"unknown client {v}")
        itself = ((referred != "") & (referred == frame["client_no"])).to_numpy()
        rows.fail(itself, "referred_by", "a client cannot refer themself")
        with_account = (frame["account_no"] != "").to_numpy()
        self.unique_accounts(rows, frame, with_account)
        return frame

    def unique_accounts(self, rows, frame, with_account):
        """An account belongs to one client, in the file and in the database."""
        owners = dict(
            Account.objects.filter(
                branch=self.ctx.branch,
                account_no__in=frame.loc[with_account, "account_no"].tolist(),
            ).values_list("account_no", "client__client_no")
        )
        account_nos = frame["account_no"].tolist()
        client_nos = frame["client_no"].tolist()
        where = [
            i
            for i in np.flatnonzero(with_account)
            if owners.get(account_nos[i], client_nos[i]) != client_nos[i]
        ]
        rows.fail_rows(
            where,
            "account_no",
            [
                f"account {account_nos[i]} belongs to client {owners[account_nos[i]]}"
                for i in where
            ],
        )
        usable = with_account & ~rows.bad
        repeated = find_duplicates(
            frame.loc[usable, ["account_no"]], rows.lines[usable]
        )
        position = {line: i for i, line in enumerate(rows.lines)}
        rows.fail_rows(
            [position[line] for line, _ in repeated],
            "account_no",
            [f"account already on line {first}" for _, first in repeated],
        )

    def write(self, mode):
        branch = self.ctx.branch
        good = self.good()
        for r in good:
            for f in CLIENT_DATES:
                r[f] = _date(r[f])
            r["advisor_id"] = int(r["advisor_id"]) or None
            r["onsite"] = {"Y": True, "N": False}.get(r["onsite"])
        numbers = sorted({r["client_no"] for r in good})
        # Personal data is matched through its keyed hash, never decrypted here.
        existing = {
            c.client_no: c
            for c in Client.objects.filter(branch=branch, client_no__in=numbers).defer(
                *PERSONAL_FIELDS
            )
        }
        for field, kind in PERSONAL_FIELDS.items():
            hashes = lookup_hashes(kind, [r[field] for r in good])
            for r, digest in zip(good, hashes, strict=True):
                r[f"{field}_hash"] = digest
        personal_changes: dict[str, list] = {field: [] for field in PERSONAL_FIELDS}
        changed_nos: set[str] = set()
        counts = Counts()
        first_rows: dict[str, dict] = {}
        creating, changed = [], []
        outcome: dict[str, str] = {}
        for r in good:
            if r["client_no"] in first_rows:
                continue
            first_rows[r["client_no"]] = r
            client = existing.get(r["client_no"])
            if client is None:
                client = Client(
                    branch=branch,
                    client_no=r["client_no"],
                    name=r["name"],
                    kind=r["kind"] or "individual",
                    gender=r["gender"],
                    birth_date=r["birth_date"],
                    id_number_hash=r["id_number_hash"],
                    phone_hash=r["phone_hash"],
                    opened_at=r["opened_at"],
                    closed_at=r["closed_at"],
                    advisor_id=r["advisor_id"],
                    investing_since=r["investing_since"],
                    time_availability=r["time_availability"],
                    onsite=bool(r["onsite"]),
                    relationship_level=r["relationship_level"] or "intermediary",
                    risk_level=r["risk_level"],
                )
                creating.append(client)
                outcome[r["client_no"]] = "new"
            elif mode == "upsert":
                updated = _update(client, r, OTHER_CLIENT_FIELDS)
                if updated:
                    changed.append(client)
                    changed_nos.add(r["client_no"])
                for field in PERSONAL_FIELDS:
                    hashed = f"{field}_hash"
                    if r[hashed] and r[hashed] != getattr(client, hashed):
                        setattr(client, field, r[field])
                        personal_changes[field].append(client)
                        updated = True
                if updated:
                    outcome[r["client_no"]] = "updated"
        # Encrypted in one pass per column (each distinct value once), not per row.
        for field in PERSONAL_FIELDS:
            tokens = encrypt_many([first_rows[c.client_no][field] for c in creating])
            for client, token in zip(creating, tokens, strict=True):
                setattr(client, field, Sealed(token))
        Client.objects.bulk_create(creating, batch_size=1000)
        # Second pass: referrers, now that every client of the file has an id.
        ids = dict(Client.objects.filter(branch=branch).values_list("client_no", "id"))
        created = {c.client_no: c for c in creating}
        referrals = []
        for no, r in first_rows.items():
            if not r["referred_by"]:
                continue
            client = created.get(no)
            if client is None and mode == "upsert":
                client = existing[no]
            if client is None or client.referred_by_id == ids[r["referred_by"]]:
                continue
            client.referred_by_id = ids[r["referred_by"]]
            if no in created:
                referrals.append(client)
            elif no not in changed_nos:
                changed.append(client)
                changed_nos.add(no)
                outcome[no] = "updated"
        Client.objects.bulk_update(referrals, ["referred_by"], batch_size=1000)
        Client.objects.bulk_update(
            changed, [*OTHER_CLIENT_FIELDS, "referred_by"], batch_size=1000
        )
        for field, clients in personal_changes.items():
            Client.objects.bulk_update(clients, [field], batch_size=1000)
        accounts = set(
            Account.objects.filter(branch=branch).values_list("account_no", flat=True)
        )
        new_accounts = []
        for r in good:
            no = r["client_no"]
            row_outcome = outcome.pop(no, None)  # the client's change counts once
            if r["account_no"] and r["account_no"] not in accounts:
                accounts.add(r["account_no"])
                new_accounts.append(
                    Account(
                        branch=branch, account_no=r["account_no"], client_id=ids[no]
                    )
                )
                row_outcome = row_outcome or "new"
            if row_outcome == "new":
                counts.new += 1
            elif row_outcome == "updated":
                counts.updated += 1
            else:
                counts.skipped += 1
        Account.objects.bulk_create(new_accounts, batch_size=1000)
        return counts


def _codes_list(text: str) -> list[str]:
    for separator in ("；", ",", "，", " "):
        text = text.replace(separator, ";")
    return [code for code in (part.strip() for part in text.split(";")) if code]


class InteractionImporter(SmallImporter):
    kind = "interactions"

    def prepare(self, rows):
        ctx = self.ctx
        advisor = rows.lookup("advisor", ctx.advisors, "advisor")
        codes = rows.raw("recommended_codes").map(_codes_list)
        unknown = [
            (i, [c for c in listed if c not in ctx.securities])
            for i, listed in enumerate(codes)
            if listed
        ]
        unknown = [(i, missing) for i, missing in unknown if missing]
        rows.fail_rows(
            [i for i, _ in unknown],
            "recommended_codes",
            [f"unknown security {', '.join(missing)}" for _, missing in unknown],
        )
        frame = _frame(
            rows,
            interaction_id=rows.text("interaction_id", 40, required=True),
            date=rows.date("date", required=True, not_future=True),
            client_id=rows.lookup("client_no", ctx.clients, "client", required=True),
            advisor_id=np.where(advisor > 0, advisor, 0),
            channel=rows.choice("channel", k.CHANNELS, required=True),
            minutes=rows.number("minutes", minimum=0, integer=True, max_digits=9)[1],
            summary=rows.raw("summary"),
            recommended=codes,
        )
        frame["has_recommended"] = rows.has("recommended_codes")
        self.unique(rows, frame, ["interaction_id"])
        return frame

    def write(self, mode):
        branch, securities = self.ctx.branch, self.ctx.securities
        good = self.good()
        existing = {
            i.interaction_id: i
            for i in Interaction.objects.filter(
                branch=branch, interaction_id__in=[r["interaction_id"] for r in good]
            ).prefetch_related("recommended")
        }
        counts, creating, changed, links = Counts(), [], [], {}
        fields = ["date", "client_id", "advisor_id", "channel", "minutes", "summary"]
        for r in good:
            r["date"] = _date(r["date"])
            r["advisor_id"] = int(r["advisor_id"]) or None
            r["minutes"] = int(r["minutes"]) if r["minutes"] else None
            r["client_id"] = int(r["client_id"])
            wanted = {securities[c] for c in r["recommended"]}
            interaction = existing.get(r["interaction_id"])
            if interaction is None:
                interaction = Interaction(
                    branch=branch,
                    interaction_id=r["interaction_id"],
                    date=r["date"],
                    client_id=r["client_id"],
                    advisor_id=r["advisor_id"],
                    channel=r["channel"],
                    minutes=r["minutes"] or 0,
                    summary=r["summary"],
                )
                creating.append(interaction)
                links[r["interaction_id"]] = wanted
                continue
            if mode != "upsert":
                counts.skipped += 1
                continue
            updated = _update(interaction, r, fields)
            have = {s.pk for s in interaction.recommended.all()}
            if wanted and wanted != have:
                interaction.recommended.set(wanted)
                updated = True
            if updated:
                changed.append(interaction)
                counts.updated += 1
            else:
                counts.skipped += 1
        Interaction.objects.bulk_create(creating, batch_size=1000)
        through = Interaction.recommended.through
        through.objects.bulk_create(
            [
                through(interaction_id=i.pk, security_id=s)
                for i in creating
                for s in sorted(links[i.interaction_id])
            ],
            batch_size=2000,
        )
        Interaction.objects.bulk_update(changed, fields, batch_size=1000)
        counts.new = len(creating)
        return counts


class FeedbackImporter(SmallImporter):
    kind = "feedback"

    def prepare(self, rows):
        frame = _frame(
            rows,
            feedback_id=rows.text("feedback_id", 40, required=True),
            date=rows.date("date", required=True, not_future=True),
            client_id=rows.lookup(
                "client_no", self.ctx.clients, "client", required=True
            ),
            topic=rows.choice("topic", k.TOPICS, required=True),
            score=rows.number(
                "score", required=True, minimum=1, maximum=5, integer=True
            )[1],
            comment=rows.raw("comment"),
        )
        self.unique(rows, frame, ["feedback_id"])
        return frame

    def write(self, mode):
        branch = self.ctx.branch
        good = self.good()
        existing = {
            f.feedback_id: f
            for f in Feedback.objects.filter(
                branch=branch, feedback_id__in=[r["feedback_id"] for r in good]
            )
        }
        counts, creating, changed = Counts(), [], []
        fields = ["date", "client_id", "topic", "score", "comment"]
        for r in good:
            r["date"] = _date(r["date"])
            r["score"] = int(r["score"])
            r["client_id"] = int(r["client_id"])
            feedback = existing.get(r["feedback_id"])
            if feedback is None:
                creating.append(
                    Feedback(
                        branch=branch,
                        feedback_id=r["feedback_id"],
                        **{f: r[f] for f in fields},
                    )
                )
            elif mode == "upsert" and _update(feedback, r, fields):
                changed.append(feedback)
            else:
                counts.skipped += 1
        Feedback.objects.bulk_create(creating, batch_size=1000)
        Feedback.objects.bulk_update(changed, fields, batch_size=1000)
        counts.new, counts.updated = len(creating), len(changed)
        return counts


IMPORTERS: dict[str, type[Importer]] = {
    cls.kind: cls
    for cls in [
        AdvisorImporter,
        SecurityImporter,
        ClientImporter,
        PriceImporter,
        TradeImporter,
        PositionImporter,
        BalanceImporter,
        CashFlowImporter,
        InteractionImporter,
        FeedbackImporter,
    ]
}
