"""Balances: streamed, one row per account and day."""

from clients.models import (
    Balance,
)

from ..writing import Target
from .base import _frame
from .streamed import BigImporter


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
