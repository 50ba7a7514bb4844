"""Cash flows: streamed, keyed by the back office's flow id."""

from clients.models import (
    CashFlow,
)

from .. import kinds as k
from ..writing import Target
from .base import _frame
from .streamed import BigImporter


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
