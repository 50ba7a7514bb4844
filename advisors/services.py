"""Writes to the branch structure (branches) and to users' own API tokens."""

import hashlib
import re
import secrets
from datetime import timedelta

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from .models import ApiToken, Branch

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


# --- API tokens ----------------------------------------------------------------------

#: A token's key: "bcrm_" and 40 URL-safe characters; the first 12 are its prefix.
TOKEN_KEY_PREFIX = "bcrm_"
#: A user keeps at most this many live tokens.
TOKENS_PER_USER = 20
#: How often a token's "last used" is written (not on every request).
TOKEN_TOUCH_EVERY = timedelta(minutes=1)


def api_token_hash(key: str) -> str:
    """The stored form of a key (a key is random and long: a plain SHA-256 suffices)."""
    return hashlib.sha256(key.encode("utf-8", "surrogatepass")).hexdigest()


@transaction.atomic
def api_token_create(*, user, name: str) -> tuple[ApiToken, str]:
    """Make a named token for `user`; returns it and its key (shown this once only)."""
    name = (name or "").strip()
    if not name:
        raise ValidationError({"name": _("Give the token a name.")})
    if len(name) > 80:
        raise ValidationError({"name": _("A token name has at most 80 characters.")})
    if not user.is_active:
        raise ValidationError(_("This account is deactivated."))
    live = ApiToken.objects.filter(user=user, revoked_at__isnull=True)
    if live.count() >= TOKENS_PER_USER:
        raise ValidationError(
            _("You have %(n)s tokens: revoke one before making another.")
            % {"n": TOKENS_PER_USER}
        )
    key = TOKEN_KEY_PREFIX + secrets.token_urlsafe(30)
    token = ApiToken.objects.create(
        user=user, name=name, prefix=key[:12], key_hash=api_token_hash(key)
    )
    return token, key


@transaction.atomic
def api_token_revoke(*, user, token_id: int) -> ApiToken:
    """Revoke one of the user's own tokens (ApiToken.DoesNotExist for anyone else's)."""
    token = ApiToken.objects.select_for_update().get(pk=token_id, user=user)
    if token.revoked_at is None:
        token.revoked_at = timezone.now()
        token.save(update_fields=["revoked_at"])
    return token


def api_tokens_revoke_all(*, user) -> int:
    """Revoke every live token of a user (deactivation); the number revoked."""
    return ApiToken.objects.filter(user=user, revoked_at__isnull=True).update(
        revoked_at=timezone.now()
    )


def api_token_authenticate(key: str) -> ApiToken | None:
    """The live token of an active user with this key, else None; notes its use."""
    if not key or len(key) > 200:
        return None
    token = (
        ApiToken.objects.select_related("user", "user__branch")
        .filter(key_hash=api_token_hash(key), revoked_at__isnull=True)
        .first()
    )
    if token is None or not token.user.is_active:
        return None
    now = timezone.now()
    if token.last_used_at is None or now - token.last_used_at > TOKEN_TOUCH_EVERY:
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
        token.last_used_at = now
    return token
