"""Writes to the branch structure: branches (and, later, teams and advisors)."""

import re

from django.core.exceptions import ValidationError
from django.db import transaction

from .models import Branch

BRANCH_CODE_MAX = Branch._meta.get_field("code").max_length
BRANCH_CODE_RE = re.compile(r"^[A-Za-z0-9_-]+$")


@transaction.atomic
def branch_create(*, code: str, name: str) -> Branch:
    """Open a new branch (营业部) under a unique code; refuses bad or duplicate codes."""
    code = (code or "").strip()
    name = (name or "").strip()
    if not code:
        raise ValidationError("The branch code must not be empty.")
    if len(code) > BRANCH_CODE_MAX:
        raise ValidationError(
            f"The branch code {code!r} is longer than {BRANCH_CODE_MAX} characters."
        )
    if not BRANCH_CODE_RE.fullmatch(code):
        raise ValidationError(
            f"The branch code {code!r} may contain only letters, digits, '_' and '-'."
        )
    if not name:
        raise ValidationError("The branch name must not be empty.")
    if len(name) > Branch._meta.get_field("name").max_length:
        raise ValidationError("The branch name is too long.")
    if Branch.objects.filter(code__iexact=code).exists():
        raise ValidationError(f"A branch with code {code!r} already exists.")
    return Branch.objects.create(code=code, name=name)
