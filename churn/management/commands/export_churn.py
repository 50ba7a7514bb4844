"""`export_churn --date YYYY-MM-DD --branch CODE [--output PATH]`: SPEC §6 CSV."""

from churn.exports import churn_export_write
from nightly.management.run_export import RunExportCommand


class Command(RunExportCommand):
    help = "Write each client's churn risk of a date's run and the model that gave it."

    def write(self, *, run, stream) -> int:
        return churn_export_write(run=run, stream=stream)
