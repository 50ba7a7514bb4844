"""Prices: streamed, one close per security and day."""

from clients.models import (
    Price,
)

from ..writing import Target
from .base import _frame
from .streamed import BigImporter


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
