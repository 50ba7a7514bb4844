"""The demo branch as import files of every kind in SPEC §2 (canonical English headers).

UTF-8 CSV, dates YYYY-MM-DD, money with two decimals, empty for null; a client with
several accounts has one `clients` row per account (a prospect one row without).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from .generate import DemoData

KINDS = (
    "advisors",
    "clients",
    "securities",
    "prices",
    "trades",
    "positions",
    "balances",
    "cashflows",
    "interactions",
    "feedback",
)


def _money(cents) -> np.ndarray:
    return np.array(
        [f"{c / 100:.2f}" for c in np.asarray(cents).tolist()], dtype=object
    )


def _price(thousandths) -> np.ndarray:
    """Stock prices have two decimals, fund prices three: write what the price has."""
    return np.array(
        [
            f"{p / 1000:.2f}" if p % 10 == 0 else f"{p / 1000:.3f}"
            for p in np.asarray(thousandths).tolist()
        ],
        dtype=object,
    )


def _date(values) -> list[str]:
    return ["" if v is None else v.isoformat() for v in values]


def export_frames(data: DemoData) -> dict[str, pd.DataFrame]:
    """One frame of strings and integers per import kind, in canonical column order."""
    days = np.array([d.isoformat() for d in data.days], dtype=object)
    sec = data.securities
    codes = sec["code"].to_numpy(dtype=object)
    sec_names = sec["name"].to_numpy(dtype=object)
    cl = data.clients
    client_no = cl["client_no"].to_numpy(dtype=object)
    employee = np.append(data.advisors["employee_no"].to_numpy(dtype=object), "")
    acc = data.accounts
    account_no = acc["account_no"].to_numpy(dtype=object)

    frames = {
        "advisors": data.advisors[["employee_no", "name", "team", "role", "email"]]
    }

    clients = pd.DataFrame(
        {
            "client_no": client_no,
            "name": cl["name"],
            "kind": cl["kind"],
            "gender": cl["gender"],
            "birth_date": _date(cl["birth_date"]),
            "id_number": cl["id_number"],
            "phone": cl["phone"],
            "opened_at": _date(cl["opened_at"]),
            "closed_at": _date(cl["closed_at"]),
            "advisor": employee[cl["advisor"].to_numpy()],
            "referred_by": np.append(client_no, "")[cl["referred_by"].to_numpy()],
            "investing_since": _date(cl["investing_since"]),
            "time_availability": cl["time_availability"],
            "onsite": np.where(cl["onsite"], "Y", "N"),
            "relationship_level": cl["relationship_level"],
            "risk_level": cl["risk_level"],
        }
    )
    accounts = pd.DataFrame(
        {"client_no": client_no[acc["client"].to_numpy()], "account_no": account_no}
    )
    clients = clients.merge(accounts, on="client_no", how="left", sort=False)
    clients["account_no"] = clients["account_no"].fillna("")
    columns = [
        "client_no",
        "account_no",
        *[c for c in clients if c not in ("client_no", "account_no")],
    ]
    frames["clients"] = clients[columns]

    frames["securities"] = pd.DataFrame(
        {
            "code": codes,
            "name": sec_names,
            "kind": sec["kind"],
            "industry": sec["industry"],
            "listed_on": _date(sec["listed_on"]),
        }
    )
    p = data.prices
    frames["prices"] = pd.DataFrame(
        {
            "date": days[p["day"]],
            "code": codes[p["security"]],
            "close": _price(p["close"]),
        }
    )
    t = data.trades
    frames["trades"] = pd.DataFrame(
        {
            "trade_id": t["trade_id"],
            "trade_date": days[t["day"]],
            "account_no": account_no[t["account"]],
            "code": codes[t["security"]],
            "name": sec_names[t["security"]],
            "side": t["side"],
            "quantity": t["quantity"],
            "price": _price(t["price"]),
            "amount": _money(t["amount"]),
            "commission": _money(t["commission"]),
            "stamp_tax": _money(t["stamp_tax"]),
            "transfer_fee": _money(t["transfer_fee"]),
            "other_fees": _money(t["other_fees"]),
        }
    )
    pos = data.positions
    frames["positions"] = pd.DataFrame(
        {
            "date": days[pos["day"]],
            "account_no": account_no[pos["account"]],
            "code": codes[pos["security"]],
            "quantity": pos["quantity"],
            "cost_price": [f"{c / 10000:.4f}" for c in pos["cost"].tolist()],
            "market_value": _money(pos["market_value"]),
        }
    )
    bal = data.balances
    frames["balances"] = pd.DataFrame(
        {
            "date": days[bal["day"]],
            "account_no": account_no[bal["account"]],
            "cash": _money(bal["cash"]),
            "market_value": _money(bal["market_value"]),
            "total_assets": _money(bal["total_assets"]),
        }
    )
    cf = data.cashflows
    frames["cashflows"] = pd.DataFrame(
        {
            "flow_id": cf["flow_id"],
            "date": days[cf["day"]],
            "account_no": account_no[cf["account"]],
            "type": cf["type"],
            "amount": _money(cf["amount"]),
        }
    )
    it = data.interactions
    frames["interactions"] = pd.DataFrame(
        {
            "interaction_id": it["interaction_id"],
            "date": _date(it["date"]),
            "client_no": client_no[it["client"]],
            "advisor": employee[it["advisor"].to_numpy()],
            "channel": it["channel"],
            "minutes": it["minutes"],
            "summary": it["summary"],
            "recommended_codes": [";".join(codes[list(r)]) for r in it["recommended"]],
        }
    )
    fb = data.feedback
    frames["feedback"] = pd.DataFrame(
        {
            "feedback_id": fb["feedback_id"],
            "date": _date(fb["date"]),
            "client_no": client_no[fb["client"]],
            "topic": fb["topic"],
            "score": fb["score"],
            "comment": fb["comment"],
        }
    )
    return frames


def export_csv(data: DemoData, directory: str | Path) -> dict[str, int]:
    """Write DIR/<kind>.csv for every kind; returns the rows written per kind."""
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    written = {}
    for kind, frame in export_frames(data).items():
        frame.to_csv(
            directory / f"{kind}.csv",
            index=False,
            encoding="utf-8",
            lineterminator="\n",
        )
        written[kind] = len(frame)
    return written
