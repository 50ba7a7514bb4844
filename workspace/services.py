"""Writes of the workspace's own rows: saved filters."""

from __future__ import annotations

from urllib.parse import parse_qsl, urlencode

from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import Http404
from django.utils.translation import gettext as _

from clients.crypto import encrypt
from clients.masking import has_personal_number

from .models import SavedFilter

#: Query parameters a saved filter keeps (never a page cursor or an export format).
NOT_SAVED = {"cursor", "format", "page", "csrfmiddlewaretoken", "name"}


def clean_query(query: str) -> str:
    pairs = [(k, v) for k, v in parse_qsl(query or "") if k not in NOT_SAVED and v]
    return urlencode(pairs)


def query_to_store(query: str) -> str:
    """The query as a saved filter keeps it: a search for an ID, phone or other personal
    number is kept encrypted (`qe`, which the book decrypts), never in clear."""
    pairs = []
    for key, value in parse_qsl(query or ""):
        if key in ("q", "search") and has_personal_number(value):
            key, value = "qe", encrypt(value)
        pairs.append((key, value))
    return urlencode(pairs)


@transaction.atomic
def saved_filter_save(*, user, name: str, query: str) -> SavedFilter:
    """Save (or overwrite) the user's filter of that name."""
    name = (name or "").strip()
    if not name:
        raise ValidationError({"name": _("Give the filter a name.")})
    if len(name) > 80:
        raise ValidationError({"name": _("A filter name has at most 80 characters.")})
    query = query_to_store(clean_query(query))
    if len(query) > 2000:
        raise ValidationError({"query": _("This filter is too long to save.")})
    saved, _created = SavedFilter.objects.update_or_create(
        user=user, name=name, defaults={"query": query}
    )
    return saved


@transaction.atomic
def saved_filter_delete(*, user, filter_id: int) -> None:
    deleted, _rows = SavedFilter.objects.filter(user=user, pk=filter_id).delete()
    if not deleted:
        raise Http404("No such filter.")
