"""Reads of the people who sign in and their branches: a user's own API tokens, the
branches a head-office list can be narrowed to."""

from django.db.models import F, QuerySet

from .models import ApiToken, Branch


def reads_shared_books(user) -> bool:
    """Whether colleagues' books are shared with the user: read with the signed-in
    user (advisors.backends), asked of the database only for a user read otherwise."""
    known = getattr(user, "reads_shared_books", None)
    if known is not None:
        return known
    return user.is_authenticated and user.book_shares.exists()


def api_token_list(*, user) -> QuerySet[ApiToken]:
    """The user's own tokens, live ones first, newest first."""
    if user is None or not user.is_authenticated:
        return ApiToken.objects.none()
    return ApiToken.objects.filter(user=user).order_by(
        F("revoked_at").asc(nulls_first=True), "-created_at", "-id"
    )


def branch_list() -> QuerySet[Branch]:
    """Every branch by code, for head office's "narrow to one branch" choices."""
    return Branch.objects.order_by("code").only("code", "name")
