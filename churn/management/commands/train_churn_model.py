"""`train_churn_model [--branch CODE]`: train and store each branch's churn model.

The last line is `RESULT branch=… model=… snapshots=… positives=… auc_model=…
auc_hand=…` (SPEC §6); `model` is the version that scores from the next run on, or
`hand` when the hand weights stay.
"""

from django.core.management.base import BaseCommand, CommandError

from advisors.models import Branch
from churn.services import churn_model_train


def _auc(value) -> str:
    return "" if value is None else f"{value:.4f}"


class Command(BaseCommand):
    help = "Train each branch's churn model on its history (SPEC §3.3)."

    def add_arguments(self, parser):
        parser.add_argument("--branch", help="branch code (default: every branch)")

    def handle(self, *args, **options):
        branches = Branch.objects.order_by("code")
        if options["branch"]:
            branches = branches.filter(code=options["branch"])
            if not branches.exists():
                raise CommandError(f"--branch: unknown branch {options['branch']!r}")
        lines = []
        for branch in branches:
            model = churn_model_train(branch=branch)
            verdict = (
                "replaces the hand weights from the next run"
                if model.accepted
                else f"kept aside, the hand weights stay: {model.get_reason_display()}"
            )
            self.stdout.write(
                f"{branch.code}: model v{model.version} ({model.kind or 'none'}), "
                f"{model.snapshots} snapshots, {model.rows} rows, "
                f"{model.positives} churners; {verdict}"
            )
            lines.append(
                f"RESULT branch={branch.code} "
                f"model={model.version if model.accepted else 'hand'} "
                f"snapshots={model.snapshots} positives={model.positives} "
                f"auc_model={_auc(model.auc_model)} auc_hand={_auc(model.auc_hand)}"
            )
        if not lines:
            raise CommandError("no branch to train")
        for line in lines:
            self.stdout.write(line)
