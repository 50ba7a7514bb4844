"""Feedback: clients' complaints and praise."""

from clients.models import (
    Feedback,
)

from .. import kinds as k
from ..writing import Counts
from .base import _frame
from .small import SmallImporter, _date, _update


class FeedbackImporter(SmallImporter):
    kind = "feedback"

    def prepare(self, rows):
        frame = _frame(
            rows,
            feedback_id=rows.text("feedback_id", 40, required=True),
            date=rows.date("date", required=True, not_future=True),
            client_id=rows.lookup(
                "client_no", self.ctx.clients, "client", required=True
            ),
            topic=rows.choice("topic", k.TOPICS, required=True),
            score=rows.number(
                "score", required=True, minimum=1, maximum=5, integer=True
            )[1],
            comment=rows.raw("comment"),
        )
        self.unique(rows, frame, ["feedback_id"])
        return frame

    def write(self, mode):
        branch = self.ctx.branch
        good = self.good()
        existing = {
            f.feedback_id: f
            for f in Feedback.objects.filter(
                branch=branch, feedback_id__in=[r["feedback_id"] for r in good]
            )
        }
        counts, creating, changed = Counts(), [], []
        fields = ["date", "client_id", "topic", "score", "comment"]
        for r in good:
            r["date"] = _date(r["date"])
            r["score"] = int(r["score"])
            r["client_id"] = int(r["client_id"])
            feedback = existing.get(r["feedback_id"])
            if feedback is None:
                creating.append(
                    Feedback(
                        branch=branch,
                        feedback_id=r["feedback_id"],
                        **{f: r[f] for f in fields},
                    )
                )
            elif mode == "upsert" and _update(feedback, r, fields):
                changed.append(feedback)
            else:
                counts.skipped += 1
        Feedback.objects.bulk_create(creating, batch_size=1000)
        Feedback.objects.bulk_update(changed, fields, batch_size=1000)
        counts.new, counts.updated = len(creating), len(changed)
        return counts
