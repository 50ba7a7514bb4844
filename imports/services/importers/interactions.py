"""Interactions: contacts with clients and prospects."""

import numpy as np

from clients.models import (
    Interaction,
    InteractionChange,
)

from .. import kinds as k
from ..writing import Counts
from .base import _frame
from .small import SmallImporter, _date, _update


def _codes_list(text: str) -> list[str]:
    for separator in ("；", ",", "，", " "):
        text = text.replace(separator, ";")
    return [code for code in (part.strip() for part in text.split(";")) if code]


class InteractionImporter(SmallImporter):
    kind = "interactions"

    def prepare(self, rows):
        ctx = self.ctx
        advisor = rows.lookup("advisor", ctx.advisors, "advisor")
        codes = rows.raw("recommended_codes").map(_codes_list)
        unknown = [
            (i, [c for c in listed if c not in ctx.securities])
            for i, listed in enumerate(codes)
            if listed
        ]
        unknown = [(i, missing) for i, missing in unknown if missing]
        rows.fail_rows(
            [i for i, _ in unknown],
            "recommended_codes",
            "unknown_security",
            [{"value": ", ".join(missing)} for _, missing in unknown],
        )
        frame = _frame(
            rows,
            interaction_id=rows.text("interaction_id", 40, required=True),
            date=rows.date("date", required=True, not_future=True),
            client_id=rows.lookup("client_no", ctx.clients, "client", required=True),
            advisor_id=np.where(advisor > 0, advisor, 0),
            channel=rows.choice("channel", k.CHANNELS, required=True),
            minutes=rows.number("minutes", minimum=0, integer=True, max_digits=9)[1],
            summary=rows.raw("summary"),
            recommended=codes,
        )
        frame["has_recommended"] = rows.has("recommended_codes")
        self.unique(rows, frame, ["interaction_id"])
        return frame

    def write(self, mode):
        branch, securities = self.ctx.branch, self.ctx.securities
        good = self.good()
        existing = {
            i.interaction_id: i
            for i in Interaction.objects.filter(
                branch=branch, interaction_id__in=[r["interaction_id"] for r in good]
            ).prefetch_related("recommended")
        }
        counts, creating, changed, links = Counts(), [], [], {}
        moved = []  # date or channel changed: the points accrual reads them again
        fields = ["date", "client_id", "advisor_id", "channel", "minutes", "summary"]
        for r in good:
            r["date"] = _date(r["date"])
            r["advisor_id"] = int(r["advisor_id"]) or None
            r["minutes"] = int(r["minutes"]) if r["minutes"] else None
            r["client_id"] = int(r["client_id"])
            wanted = {securities[c] for c in r["recommended"]}
            interaction = existing.get(r["interaction_id"])
            if interaction is None:
                interaction = Interaction(
                    branch=branch,
                    interaction_id=r["interaction_id"],
                    date=r["date"],
                    client_id=r["client_id"],
                    advisor_id=r["advisor_id"],
                    channel=r["channel"],
                    minutes=r["minutes"] or 0,
                    summary=r["summary"],
                )
                creating.append(interaction)
                links[r["interaction_id"]] = wanted
                continue
            if mode != "upsert":
                counts.skipped += 1
                continue
            before = (interaction.date, interaction.channel)
            updated = _update(interaction, r, fields)
            if (interaction.date, interaction.channel) != before:
                moved.append(interaction)
            have = {s.pk for s in interaction.recommended.all()}
            if wanted and wanted != have:
                interaction.recommended.set(wanted)
                updated = True
            if updated:
                changed.append(interaction)
                counts.updated += 1
            else:
                counts.skipped += 1
        Interaction.objects.bulk_create(creating, batch_size=1000)
        through = Interaction.recommended.through
        through.objects.bulk_create(
            [
                through(interaction_id=i.pk, security_id=s)
                for i in creating
                for s in sorted(links[i.interaction_id])
            ],
            batch_size=2000,
        )
        Interaction.objects.bulk_update(changed, fields, batch_size=1000)
        InteractionChange.objects.bulk_create(
            [InteractionChange(interaction=i) for i in moved], batch_size=1000
        )
        counts.new = len(creating)
        return counts
