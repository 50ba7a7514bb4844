"""Trades: streamed; new trades' day totals are added onto the stored account-days."""

import logging
import time
from datetime import date

import numpy as np
import pandas as pd

from clients.models import (
    Trade,
)
from clients.services import trade_days_refresh

from .. import kinds as k
from ..writing import Target
from .base import _frame
from .streamed import BigImporter

logger = logging.getLogger(__name__)


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
            "amount_mismatch",
            [
                {
                    "amount": f"{a[i]:.2f}",
                    "quantity": f"{q[i]:g}",
                    "price": f"{p[i]:g}",
                    "expected": f"{expected[i]:.2f}",
                }
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
