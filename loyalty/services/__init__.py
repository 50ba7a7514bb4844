"""Writes of the points ledger: accrual, expiry, redemption, reversal, adjustments.

Every change is an appended `PointsEntry`; the database keeps each client's balance
(a trigger) and refuses to let it go below 0 (a CHECK), so the services' own checks are
for clear messages, not for safety. Redemptions, reversals and adjustments lock the
client's row, so two of them for one client run one after the other; expiry locks the
clients' points accounts; an accrual locks its branch's row, so one runs at a time.
Client, branch and item rows are locked FOR NO KEY UPDATE: the foreign-key checks of
other transactions' inserts (FOR KEY SHARE) must not queue behind them, or an accrual
and a redemption could each wait for the other.

One module per concern: `accrual` (the nightly step), `redemptions`, `corrections`
(reversals and adjustments), `merge` (duplicates), `catalogue`, `expiry` (the FIFO
rule, shared by all); `common` holds the error, the client lock and the append.
"""

from .accrual import points_accrue
from .catalogue import catalogue_seed
from .common import PointsError
from .corrections import (
    adjustment_approve,
    adjustment_reject,
    adjustment_request,
    entry_reverse,
)
from .merge import points_merge
from .redemptions import client_tier, redemption_create

__all__ = [
    "PointsError",
    "adjustment_approve",
    "adjustment_reject",
    "adjustment_request",
    "catalogue_seed",
    "client_tier",
    "entry_reverse",
    "points_accrue",
    "points_merge",
    "redemption_create",
]
