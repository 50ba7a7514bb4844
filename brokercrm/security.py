"""Sessions that end, and the security headers Django does not send itself.

- Idle: SESSION_COOKIE_AGE is SESSION_IDLE_TIMEOUT (30 min). While the user is active
  the middleware touches the session at most once a minute, which saves it and moves
  its expiry on (cookie and stored row alike): 30 minutes without a request end it.
- Absolute: the sign-in time is kept in the session; SESSION_ABSOLUTE_TIMEOUT (12 h)
  after it the next request signs the user out, however active.
- A deactivated user: `advisors.sessions` ends their sessions and tokens at once.
- Permissions-Policy: no camera, microphone, geolocation, payment or USB for any page.
  (Content-Security-Policy comes from django-csp, the rest from SecurityMiddleware.)
"""

import time

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth.views import redirect_to_login
from django.utils.translation import gettext as _

from advisors.sessions import SEEN_AT, SIGNED_IN_AT

TOUCH_EVERY = 60  # seconds between two saves of an active session
PERMISSIONS_POLICY = "camera=(), microphone=(), geolocation=(), payment=(), usb=()"


class SessionLifetimeMiddleware:
    """After AuthenticationMiddleware: the absolute lifetime, and the idle clock."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated and hasattr(request, "session"):
            now = int(time.time())
            session = request.session
            signed_in = session.setdefault(SIGNED_IN_AT, now)
            if now - signed_in > settings.SESSION_ABSOLUTE_TIMEOUT:
                logout(request)
                if not request.path.startswith("/api/"):
                    messages.info(
                        request, _("Your session has ended: please sign in again.")
                    )
                    return redirect_to_login(request.get_full_path())
            elif now - session.get(SEEN_AT, 0) >= TOUCH_EVERY:
                session[SEEN_AT] = now  # saved, so the idle expiry moves on
        response = self.get_response(request)
        response.headers.setdefault("Permissions-Policy", PERMISSIONS_POLICY)
        return response
