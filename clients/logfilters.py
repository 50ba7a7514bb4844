"""Logs and error reports never carry a full ID or phone number (issue #14).

`MaskPersonalData` masks them in a record's message and its exception text. It is the
`personal_data` filter of the LOGGING handlers and, so that no handler is forgotten
(Celery's, a test's, a third party's), it is also applied to every record when the
record is made (`install`, called by the clients app when Django starts).
`PersonalDataReporterFilter` does the same for Django's error reports (the debug
error page and the error mails): request parameters and local variables.
"""

from __future__ import annotations

import logging
from pprint import pformat

from django.views.debug import SafeExceptionReporterFilter

from .masking import mask_text


class MaskPersonalData(logging.Filter):
    """Rewrites a record so its message and traceback hold only masked numbers."""

    def filter(self, record: logging.LogRecord) -> bool:
        if getattr(record, "_personal_data_masked", False):
            return True
        record._personal_data_masked = True
        try:
            message = record.getMessage()
        except Exception:  # noqa: BLE001 - a bad format string is logging's to report
            return True
        masked = mask_text(message)
        if masked != message:
            record.msg, record.args = masked, None
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = mask_text(record.exc_text)
        if record.stack_info:
            record.stack_info = mask_text(record.stack_info)
        return True


_installed = False


def install() -> None:
    """Mask every record as it is made, whichever handler will write it."""
    global _installed
    if _installed:
        return
    _installed = True
    make_record = logging.getLogRecordFactory()
    masker = MaskPersonalData()

    def masked_record(*args, **kwargs):
        record = make_record(*args, **kwargs)
        masker.filter(record)
        return record

    logging.setLogRecordFactory(masked_record)


class PersonalDataReporterFilter(SafeExceptionReporterFilter):
    """Error reports (debug page, error mails) with ID and phone numbers masked."""

    def cleanse_setting(self, key, value):
        value = super().cleanse_setting(key, value)
        return mask_text(value) if isinstance(value, str) else value

    def get_post_parameters(self, request):
        parameters = super().get_post_parameters(request)
        if not parameters:
            return parameters
        cleansed = parameters.copy()
        for key in cleansed:
            cleansed.setlist(key, [mask_text(str(v)) for v in cleansed.getlist(key)])
        return cleansed

    def get_traceback_frame_variables(self, request, tb_frame):
        variables = []
        for name, value in super().get_traceback_frame_variables(request, tb_frame):
            shown = value if isinstance(value, str) else pformat(value)
            masked = mask_text(shown)
            variables.append((name, value if masked == shown else masked))
        return variables
