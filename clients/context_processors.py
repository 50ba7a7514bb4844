"""`can` in every template: the permission predicates about the signed-in user."""

from .permissions import UserPermissions


def permissions(request):
    return {"can": UserPermissions(getattr(request, "user", None))}
