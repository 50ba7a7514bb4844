"""One importer per kind: validate chunks into database rows, then write them.

The big kinds (trades, positions, balances, prices, cashflows) stream: each chunk is
validated and staged (or, for new trades and cash flows, written) as it is read, and
only natural keys stay in memory. The small
kinds (advisors, securities, clients, interactions, feedback) are read whole, since
they reference each other's rows, and written with the ORM's bulk operations.

Protocol, used by services.batches: `add(chunk)` for every chunk, `close()` once
(file-wide checks), then `write(mode)` only when the file may be written.

One module per file kind; `base`, `streamed` and `small` hold what they share.
"""

from .advisors import AdvisorImporter
from .balances import BalanceImporter
from .base import Context, Importer
from .cashflows import CashFlowImporter
from .clients import ClientImporter
from .feedback import FeedbackImporter
from .interactions import InteractionImporter
from .positions import PositionImporter
from .prices import PriceImporter
from .securities import SecurityImporter
from .small import SmallImporter
from .trades import TradeImporter

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


__all__ = ["IMPORTERS", "Context", "Importer", "SmallImporter", "TradeImporter"]
