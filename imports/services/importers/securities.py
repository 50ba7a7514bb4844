"""Securities: the codes trades and positions name."""

from clients.models import (
    Security,
)

from .. import kinds as k
from ..writing import Counts
from .base import _frame
from .small import SmallImporter, _date, _update


class SecurityImporter(SmallImporter):
    kind = "securities"

    def prepare(self, rows):
        frame = _frame(
            rows,
            code=rows.text("code", 32, required=True),
            name=rows.text("name", 100),
            kind=rows.choice("kind", k.SECURITY_KINDS),
            industry=rows.text("industry", 100),
            listed_on=rows.date("listed_on"),
        )
        self.unique(rows, frame, ["code"])
        return frame

    def write(self, mode):
        good = self.good()
        existing = {
            s.code: s
            for s in Security.objects.filter(code__in=[r["code"] for r in good])
        }
        counts, creating, changed = Counts(), [], []
        fields = ["name", "kind", "industry", "listed_on"]
        for r in good:
            r["listed_on"] = _date(r["listed_on"])
            security = existing.get(r["code"])
            if security is None:
                creating.append(
                    Security(
                        code=r["code"],
                        name=r["name"],
                        kind=r["kind"] or "stock",
                        industry=r["industry"],
                        listed_on=r["listed_on"],
                    )
                )
            elif mode == "upsert" and _update(security, r, fields):
                changed.append(security)
            else:
                counts.skipped += 1
        Security.objects.bulk_create(creating, batch_size=1000)
        Security.objects.bulk_update(changed, fields, batch_size=1000)
        counts.new, counts.updated = len(creating), len(changed)
        return counts
