"""`export_scores --date YYYY-MM-DD --branch CODE [--output PATH]`: SPEC §6 CSV."""

from nightly.exports import export_write
from nightly.management.run_export import RunExportCommand


class Command(RunExportCommand):
    help = "Write the scores of every client of a branch as of a date as CSV."

    def write(self, *, run, stream) -> int:
        return export_write(run=run, stream=stream)
