"""`{{ user|person_name }}`: a user's name in the order its language writes it."""

import re

from django import template

register = template.Library()

_CJK = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]")


@register.filter
def person_name(user) -> str:
    """Chinese names read family name first and unspaced (孙丽); others given name first."""
    first = (getattr(user, "first_name", "") or "").strip()
    last = (getattr(user, "last_name", "") or "").strip()
    if not (first or last):
        return getattr(user, "username", "") or ""
    if _CJK.search(first + last):
        return f"{last}{first}"
    return f"{first} {last}".strip()
