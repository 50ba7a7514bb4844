"""Positions: streamed, one row per account, day and security."""

from clients.models import (
    Position,
)

from ..writing import Target
from .base import _frame
from .streamed import BigImporter


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
