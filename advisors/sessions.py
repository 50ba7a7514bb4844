"""A user's sessions and API tokens end at once when the account is deactivated.

Django already refuses the session of an inactive user on their next request (the
backend's get_user), and DRF's TokenAuthentication refuses an inactive user's token;
this deletes them outright, so nothing of the user's stays usable anywhere.
"""

import time

from django.conf import settings
from django.contrib.auth.signals import user_logged_in
from django.contrib.sessions.models import Session
from django.db.models.signals import post_save
from django.dispatch import receiver
from django.utils import timezone

from .services import api_tokens_revoke_all

SIGNED_IN_AT = "_signed_in_at"  # the session's sign-in time (epoch seconds)
SEEN_AT = "_seen_at"  # its last touch (brokercrm.security.SessionLifetimeMiddleware)


def user_sessions_end(user) -> int:
    """Delete every stored session and API token of a user; the number of sessions."""
    from rest_framework.authtoken.models import Token

    Token.objects.filter(user=user).delete()
    api_tokens_revoke_all(user=user)
    mine = [
        session.session_key
        for session in Session.objects.filter(expire_date__gt=timezone.now()).iterator()
        if session.get_decoded().get("_auth_user_id") == str(user.pk)
    ]
    Session.objects.filter(session_key__in=mine).delete()
    return len(mine)


@receiver(
    post_save, sender=settings.AUTH_USER_MODEL, dispatch_uid="advisors.deactivated"
)
def _deactivated(sender, instance, created, update_fields=None, **kwargs):
    if created or instance.is_active:
        return
    if update_fields is not None and "is_active" not in update_fields:
        return
    user_sessions_end(instance)


@receiver(user_logged_in, dispatch_uid="advisors.signed_in")
def _signed_in(sender, request, user, **kwargs):
    """Stamp the new session with its sign-in time (the absolute lifetime's start)."""
    if request is not None and hasattr(request, "session"):
        now = int(time.time())
        request.session[SIGNED_IN_AT] = now
        request.session[SEEN_AT] = now
