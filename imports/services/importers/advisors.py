"""Advisors: the branch's staff, their teams and roles."""

from advisors.models import Advisor, Role, Team

from .. import kinds as k
from ..writing import Counts
from .base import _frame
from .small import SmallImporter, _update


class AdvisorImporter(SmallImporter):
    kind = "advisors"

    def prepare(self, rows):
        email = rows.text("email", 254)
        bad_email = (email != "") & ~email.str.contains(
            r"^[^@\s]+@[^@\s]+\.[^@\s]+$", regex=True
        )
        rows.fail(bad_email.to_numpy(), "email", "not_an_email")
        frame = _frame(
            rows,
            employee_no=rows.text("employee_no", 32, required=True),
            name=rows.text("name", 100, required=True),
            team=rows.text("team", 100),
            role=rows.choice("role", k.ROLES),
            email=email,
        )
        self.unique(rows, frame, ["employee_no"])
        return frame

    def write(self, mode):
        branch = self.ctx.branch
        good = self.good()
        existing = {
            a.employee_no: a
            for a in Advisor.objects.filter(
                branch=branch, employee_no__in=[r["employee_no"] for r in good]
            )
        }
        teams = {t.name: t for t in Team.objects.filter(branch=branch)}
        for name in {r["team"] for r in good if r["team"]} - set(teams):
            teams[name] = Team.objects.create(branch=branch, name=name)
        counts, creating, changed = Counts(), [], []
        for r in good:
            team = teams.get(r["team"])
            advisor = existing.get(r["employee_no"])
            if advisor is None:
                creating.append(
                    Advisor(
                        branch=branch,
                        employee_no=r["employee_no"],
                        name=r["name"],
                        team=team,
                        role=r["role"] or Role.ADVISOR,
                        email=r["email"],
                    )
                )
            elif mode == "upsert" and _update(
                advisor, {**r, "team": team}, ["name", "team", "role", "email"]
            ):
                changed.append(advisor)
            else:
                counts.skipped += 1
        Advisor.objects.bulk_create(creating, batch_size=1000)
        Advisor.objects.bulk_update(
            changed, ["name", "team", "role", "email"], batch_size=1000
        )
        counts.new, counts.updated = len(creating), len(changed)
        return counts
