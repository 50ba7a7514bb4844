"""Clients and their accounts."""

import numpy as np

from clients.crypto import ID_NUMBER, PHONE, Sealed, encrypt_many, lookup_hashes
from clients.models import (
    Account,
    Client,
)

from .. import kinds as k
from ..checks import find_duplicates
from ..writing import Counts
from .base import _frame
from .small import SmallImporter, _date, _update

CLIENT_FIELDS = [
    "name",
    "kind",
    "gender",
    "birth_date",
    "id_number",
    "phone",
    "opened_at",
    "closed_at",
    "advisor_id",
    "investing_since",
    "time_availability",
    "onsite",
    "relationship_level",
    "risk_level",
]
#: The encrypted columns, matched and compared through their lookup hashes.
PERSONAL_FIELDS = {"id_number": ID_NUMBER, "phone": PHONE}
OTHER_CLIENT_FIELDS = [f for f in CLIENT_FIELDS if f not in PERSONAL_FIELDS]
CLIENT_DATES = ("birth_date", "opened_at", "closed_at", "investing_since")


class ClientImporter(SmallImporter):
    """Clients and their accounts: one row per account, referrals resolved in two passes."""

    kind = "clients"

    def prepare(self, rows):
        ctx = self.ctx
        advisor = rows.lookup("advisor", ctx.advisors, "advisor")
        frame = _frame(
            rows,
            client_no=rows.text("client_no", 32, required=True),
            account_no=rows.text("account_no", 32),
            name=rows.text("name", 200, required=True),
            kind=rows.choice("kind", k.CLIENT_KINDS),
            gender=rows.choice("gender", k.GENDERS),
            birth_date=rows.date("birth_date", not_future=True),
            id_number=rows.text("id_number", 64),
            phone=rows.text("phone", 32),
            opened_at=rows.date("opened_at", not_future=True),
            closed_at=rows.date("closed_at"),
            advisor_id=np.where(advisor > 0, advisor, 0),
            referred_by=rows.text("referred_by", 32),
            investing_since=rows.date("investing_since"),
            time_availability=rows.choice("time_availability", k.TIME_AVAILABILITY),
            onsite=rows.choice("onsite", k.YES_NO),
            relationship_level=rows.choice("relationship_level", k.RELATIONSHIP_LEVELS),
            risk_level=rows.choice("risk_level", k.RISK_LEVELS),
        )
        opened, closed = frame["opened_at"], frame["closed_at"]
        before = ((opened != "") & (closed != "") & (closed < opened)).to_numpy()
        rows.fail(before, "closed_at", "before_opening")
        # The referrer may be an existing client or one further down this file.
        known = set(ctx.clients) | set(frame["client_no"])
        referred = frame["referred_by"]
        unknown = ((referred != "") & ~referred.isin(known)).to_numpy()
        rows.fail(unknown, "referred_by", "unknown_client")
        itself = ((referred != "") & (referred == frame["client_no"])).to_numpy()
        rows.fail(itself, "referred_by", "self_referral")
        with_account = (frame["account_no"] != "").to_numpy()
        self.unique_accounts(rows, frame, with_account)
        return frame

    def unique_accounts(self, rows, frame, with_account):
        """An account belongs to one client, in the file and in the database."""
        owners = dict(
            Account.objects.filter(
                branch=self.ctx.branch,
                account_no__in=frame.loc[with_account, "account_no"].tolist(),
            ).values_list("account_no", "client__client_no")
        )
        account_nos = frame["account_no"].tolist()
        client_nos = frame["client_no"].tolist()
        where = [
            i
            for i in np.flatnonzero(with_account)
            if owners.get(account_nos[i], client_nos[i]) != client_nos[i]
        ]
        rows.fail_rows(
            where,
            "account_no",
            "account_of_other_client",
            [
                {"account": account_nos[i], "client": owners[account_nos[i]]}
                for i in where
            ],
        )
        usable = with_account & ~rows.bad
        repeated = find_duplicates(
            frame.loc[usable, ["account_no"]], rows.lines[usable]
        )
        position = {line: i for i, line in enumerate(rows.lines)}
        rows.fail_rows(
            [position[line] for line, _ in repeated],
            "account_no",
            "account_repeated",
            [{"first": first} for _, first in repeated],
        )

    def write(self, mode):
        branch = self.ctx.branch
        good = self.good()
        for r in good:
            for f in CLIENT_DATES:
                r[f] = _date(r[f])
            r["advisor_id"] = int(r["advisor_id"]) or None
            r["onsite"] = {"Y": True, "N": False}.get(r["onsite"])
        numbers = sorted({r["client_no"] for r in good})
        # Personal data is matched through its keyed hash, never decrypted here.
        existing = {
            c.client_no: c
            for c in Client.objects.filter(branch=branch, client_no__in=numbers).defer(
                *PERSONAL_FIELDS
            )
        }
        for field, kind in PERSONAL_FIELDS.items():
            hashes = lookup_hashes(kind, [r[field] for r in good])
            for r, digest in zip(good, hashes, strict=True):
                r[f"{field}_hash"] = digest
        personal_changes: dict[str, list] = {field: [] for field in PERSONAL_FIELDS}
        changed_nos: set[str] = set()
        counts = Counts()
        first_rows: dict[str, dict] = {}
        creating, changed = [], []
        outcome: dict[str, str] = {}
        for r in good:
            if r["client_no"] in first_rows:
                continue
            first_rows[r["client_no"]] = r
            client = existing.get(r["client_no"])
            if client is None:
                client = Client(
                    branch=branch,
                    client_no=r["client_no"],
                    name=r["name"],
                    kind=r["kind"] or "individual",
                    gender=r["gender"],
                    birth_date=r["birth_date"],
                    id_number_hash=r["id_number_hash"],
                    phone_hash=r["phone_hash"],
                    opened_at=r["opened_at"],
                    closed_at=r["closed_at"],
                    advisor_id=r["advisor_id"],
                    investing_since=r["investing_since"],
                    time_availability=r["time_availability"],
                    onsite=bool(r["onsite"]),
                    relationship_level=r["relationship_level"] or "intermediary",
                    risk_level=r["risk_level"],
                )
                creating.append(client)
                outcome[r["client_no"]] = "new"
            elif mode == "upsert":
                updated = _update(client, r, OTHER_CLIENT_FIELDS)
                if updated:
                    changed.append(client)
                    changed_nos.add(r["client_no"])
                for field in PERSONAL_FIELDS:
                    hashed = f"{field}_hash"
                    if r[hashed] and r[hashed] != getattr(client, hashed):
                        setattr(client, field, r[field])
                        personal_changes[field].append(client)
                        updated = True
                if updated:
                    outcome[r["client_no"]] = "updated"
        # Encrypted in one pass per column (each distinct value once), not per row.
        for field in PERSONAL_FIELDS:
            tokens = encrypt_many([first_rows[c.client_no][field] for c in creating])
            for client, token in zip(creating, tokens, strict=True):
                setattr(client, field, Sealed(token))
        Client.objects.bulk_create(creating, batch_size=1000)
        # Second pass: referrers, now that every client of the file has an id.
        ids = dict(Client.objects.filter(branch=branch).values_list("client_no", "id"))
        created = {c.client_no: c for c in creating}
        referrals = []
        for no, r in first_rows.items():
            if not r["referred_by"]:
                continue
            client = created.get(no)
            if client is None and mode == "upsert":
                client = existing[no]
            if client is None or client.referred_by_id == ids[r["referred_by"]]:
                continue
            client.referred_by_id = ids[r["referred_by"]]
            if no in created:
                referrals.append(client)
            elif no not in changed_nos:
                changed.append(client)
                changed_nos.add(no)
                outcome[no] = "updated"
        Client.objects.bulk_update(referrals, ["referred_by"], batch_size=1000)
        Client.objects.bulk_update(
            changed, [*OTHER_CLIENT_FIELDS, "referred_by"], batch_size=1000
        )
        for field, clients in personal_changes.items():
            Client.objects.bulk_update(clients, [field], batch_size=1000)
        accounts = set(
            Account.objects.filter(branch=branch).values_list("account_no", flat=True)
        )
        new_accounts = []
        for r in good:
            no = r["client_no"]
            row_outcome = outcome.pop(no, None)  # the client's change counts once
            if r["account_no"] and r["account_no"] not in accounts:
                accounts.add(r["account_no"])
                new_accounts.append(
                    Account(
                        branch=branch, account_no=r["account_no"], client_id=ids[no]
                    )
                )
                row_outcome = row_outcome or "new"
            if row_outcome == "new":
                counts.new += 1
            elif row_outcome == "updated":
                counts.updated += 1
            else:
                counts.skipped += 1
        Account.objects.bulk_create(new_accounts, batch_size=1000)
        return counts
