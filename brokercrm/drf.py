"""REST framework permission shared by every API view (REST_FRAMEWORK settings)."""

from django.utils.translation import gettext_lazy as _
from rest_framework.permissions import SAFE_METHODS, BasePermission

from clients.permissions import may_write


class ReadOnlyUnlessMayWrite(BasePermission):
    """Head office's token reads the API; every write is refused (403)."""

    message = _("Your role may read but not change data.")

    def has_permission(self, request, view):
        return request.method in SAFE_METHODS or may_write(request.user)
