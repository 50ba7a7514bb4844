"""Writes of the imports app: importing back-office files as batches (SPEC §2)."""

from .batches import (
    batch_confirm,
    batch_create,
    batch_previewed,
    batch_run,
    batch_upload,
    batches_expire,
    import_file,
)
from .reading import FileRejected

__all__ = [
    "FileRejected",
    "batch_confirm",
    "batch_create",
    "batch_previewed",
    "batch_run",
    "batch_upload",
    "batches_expire",
    "import_file",
]
