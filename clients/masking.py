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
# Landlines: an area code (0 and 2–3 digits, or 2–3 digits after +86) and a 7–8-digit
# number, with or without a dash or space between; shown as `010-****5678`.
_LANDLINE_TEXT = re.compile(
    r"(?<![0-9A-Za-z+])(?P<area>(?:\+?86[- ]?)?\(?0?\d{2,3}\)?)(?P<sep>[- ]?)"
    r"(?P<number>\d{7,8})(?![0-9A-Za-z])"
)


def _mask_landline(match: re.Match) -> str:
    area, number = match.group("area"), match.group("number")
    digits = re.sub(r"\D", "", area)
    if not (area.startswith(("0", "(0", "+86", "86"))) or len(digits) < 3:
        return match.group()  # not an area code: some other number
    return f"{area}{match.group('sep')}{'*' * (len(number) - 4)}{number[-4:]}"


def mask_text(text: str) -> str:
    """Free text (a log line, an error message, a note) with every ID, mobile or
    landline number in it masked; anything else is left as it is."""
    if not text or not any(ch.isdigit() for ch in text):
        return text
    text = _ID_NUMBER_TEXT.sub(lambda m: mask_id_number(m.group()), text)
    text = _PHONE_TEXT.sub(lambda m: mask_phone(m.group()), text)
    return _LANDLINE_TEXT.sub(_mask_landline, text)


def has_personal_number(text: str) -> bool:
    """Whether `text` holds an ID, mobile or landline number (what mask_text hides)."""
    return mask_text(text) != text
