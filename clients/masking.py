"""Personal data shown masked by default (SPEC §7; JR/T 0171-2020 style).

`110101199001011234` → `110***********1234`; `13812345678` → `138****5678`. The full
value needs a permission and a reason (clients.permissions.may_reveal_personal_data).
"""

import re


def _mask(value: str, *, keep_start: int, keep_end: int) -> str:
    value = (value or "").strip()
    if not value:
        return ""
    if len(value) <= keep_start + keep_end:
        # Too short to keep both ends: keep at most the last quarter.
        keep = len(value) // 4
        return "*" * (len(value) - keep) + (value[-keep:] if keep else "")
    hidden = len(value) - keep_start - keep_end
    return value[:keep_start] + "*" * hidden + value[len(value) - keep_end :]


def mask_id_number(value: str | None) -> str:
    """An ID number with only its first 3 and last 4 characters shown."""
    return _mask(value or "", keep_start=3, keep_end=4)


def mask_phone(value: str | None) -> str:
    """A phone number with only its first 3 and last 4 digits shown."""
    return _mask(value or "", keep_start=3, keep_end=4)


# ID numbers (18 characters, the last a digit or X; or the old 15 digits) and mobile
# numbers (11 digits from 13…19, with or without +86) standing alone in free text.
_ID_NUMBER_TEXT = re.compile(r"(?<![0-9A-Za-z])(?:\d{17}[\dXx]|\d{15})(?![0-9A-Za-z])")
_PHONE_TEXT = re.compile(r"(?<![0-9A-Za-z])(?:\+?86[- ]?)?1[3-9]\d{9}(?![0-9A-Za-z])")


def mask_text(text: str) -> str:
    """Free text (a log line, an error message) with every ID or mobile number in it
    masked; anything else is left as it is."""
    if not text or not any(ch.isdigit() for ch in text):
        return text
    text = _ID_NUMBER_TEXT.sub(lambda m: mask_id_number(m.group()), text)
    return _PHONE_TEXT.sub(lambda m: mask_phone(m.group()), text)
