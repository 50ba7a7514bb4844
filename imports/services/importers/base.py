"""What every importer shares: the branch's references, the protocol, frames."""

from functools import cached_property

import pandas as pd

from advisors.models import Advisor
from clients.models import (
    Account,
    Client,
    Security,
)

from .. import kinds as k
from ..checks import Rows


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


def _frame(rows: Rows, **columns) -> pd.DataFrame:
    return pd.DataFrame(
        {
            name: (value.to_numpy() if isinstance(value, pd.Series) else value)
            for name, value in columns.items()
        },
        index=range(rows.n),
    )
