"""A synthetic branch history for the churn model's tests, written straight to the DB.

`plant_history(branch, signal=True)`: clients with balances every two weeks and
advisor calls about monthly over 18 months; about a third of them leave (closed_at)
at some day. With `signal`, most leavers stop answering calls in the 120 days before
they leave (and a few stayers go quiet too): something the hand weights never look
at, so a model can beat them. Without it, calls and leaving are independent.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import numpy as np

from clients.models import Account, Balance, Client, Interaction

START = dt.date(2025, 1, 1)
END = dt.date(2026, 6, 30)


def plant_history(branch, *, clients: int = 360, signal: bool = True, seed: int = 7):
    rng = np.random.default_rng(seed)
    days = (END - START).days
    made = Client.objects.bulk_create(
        Client(
            branch=branch,
            client_no=f"S{i:05d}",
            name=f"Synthetic {i}",
            opened_at=dt.date(2020, 1, 1),
        )
        for i in range(clients)
    )
    accounts = Account.objects.bulk_create(
        Account(branch=branch, client=c, account_no=f"77{i:06d}")
        for i, c in enumerate(made)
    )
    balances, calls, closing = [], [], []
    for client, account in zip(made, accounts, strict=True):
        leaves = rng.random() < 0.35
        leave = (
            START + dt.timedelta(days=int(rng.integers(60, days))) if leaves else None
        )
        last = leave - dt.timedelta(days=1) if leave else END
        assets = float(np.exp(rng.normal(np.log(200_000), 0.8)))
        day = START
        while day <= last:
            assets *= float(np.exp(rng.normal(0.0, 0.03)))
            value = Decimal(f"{assets:.2f}")
            balances.append(
                Balance(
                    account=account,
                    date=day,
                    cash=Decimal("0"),
                    market_value=value,
                    total_assets=value,
                )
            )
            day += dt.timedelta(days=14)
        if signal:
            quiet_from = None
            if leave is not None and rng.random() < 0.8:
                quiet_from = leave - dt.timedelta(days=int(rng.integers(90, 150)))
            elif leave is None and rng.random() < 0.12:
                quiet_from = START + dt.timedelta(days=int(rng.integers(0, days)))
            quiet_to = quiet_from + dt.timedelta(days=150) if quiet_from else None
        day = START + dt.timedelta(days=int(rng.integers(0, 30)))
        while day <= last:
            if signal:
                answered = not (quiet_from and quiet_from <= day <= quiet_to)
                answered = answered and rng.random() < 0.9
            else:
                answered = rng.random() < 0.6
            if answered:
                calls.append(
                    Interaction(
                        branch=branch,
                        interaction_id=f"SI{len(calls):07d}",
                        date=day,
                        client=client,
                        channel="call",
                        minutes=int(rng.integers(3, 20)),
                    )
                )
            day += dt.timedelta(days=int(rng.integers(25, 35)))
        if leave is not None:
            client.closed_at = leave
            closing.append(client)
    Balance.objects.bulk_create(balances, batch_size=5000)
    Interaction.objects.bulk_create(calls, batch_size=5000)
    Client.objects.bulk_update(closing, ["closed_at"], batch_size=1000)
    return made
