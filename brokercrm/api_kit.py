"""What every API view shares: cursor pages, the per-token rate, strict input fields,
bounded id filters and the ETag of a detail.

Inputs are checked before they reach a query: ids are whole numbers that fit a
64-bit column (a bigger one is a 400 on every database, not an overflow on SQLite),
text is text (a number where a name is expected is a 400, not coerced), and NUL
bytes and lone surrogates are refused (DRF's CharField and the hostile-query
middleware).
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import hashlib
import json
from decimal import Decimal

import django_filters
from django import forms
from django.conf import settings
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from rest_framework import pagination, serializers, throttling
from rest_framework.exceptions import ValidationError
from rest_framework.response import Response
from rest_framework.utils.urls import replace_query_param

from advisors.models import ApiToken

#: The largest id an API input may name (a signed 64-bit column).
MAX_ID = 2**63 - 1
MAX_PAGE_SIZE = 500


# --- pages -------------------------------------------------------------------------------


def page_size_from(request, *, default: int) -> int:
    """`?page_size=N`, 1 … MAX_PAGE_SIZE; anything else is a 400 (never ignored)."""
    raw = request.query_params.get("page_size")
    if raw is None or raw == "":
        return default
    if not raw.isdigit() or not 1 <= int(raw) <= MAX_PAGE_SIZE:
        raise ValidationError(
            {
                "page_size": _("A whole number from 1 to %(max)s.")
                % {"max": MAX_PAGE_SIZE}
            }
        )
    return int(raw)


PAGE_SIZE_PARAMETER = {
    "name": "page_size",
    "required": False,
    "in": "query",
    "description": "Rows per page (1–500, default 50).",
    "schema": {"type": "integer", "minimum": 1, "maximum": MAX_PAGE_SIZE},
}


class LinkedPages(pagination.BasePagination):
    """Pages answered as `{"next", "previous", "results"}`: links carrying a cursor."""

    next_cursor: str | None = None
    previous_cursor: str | None = None

    def _link(self, cursor: str | None) -> str | None:
        url = self.request.build_absolute_uri()
        return replace_query_param(url, "cursor", cursor) if cursor else None

    def get_paginated_response(self, data):
        return Response(
            {
                "next": self._link(self.next_cursor),
                "previous": self._link(self.previous_cursor),
                "results": data,
            }
        )

    def get_paginated_response_schema(self, schema):
        link = {"type": ["string", "null"], "format": "uri"}
        return {
            "type": "object",
            "required": ["next", "previous", "results"],
            "properties": {"next": link, "previous": link, "results": schema},
        }

    def get_schema_operation_parameters(self, view):
        return [
            {
                "name": "cursor",
                "required": False,
                "in": "query",
                "description": "The cursor of a `next` or `previous` link.",
                "schema": {"type": "string"},
            },
            PAGE_SIZE_PARAMETER,
        ]


def _cursor_value(value):
    if isinstance(value, (dt.date, dt.datetime)):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    return value


class ApiCursorPagination(LinkedPages):
    """Keyset pages over the whole ordering (`?ordering=`, then the id): `next` and
    `previous` links, newest first by default.

    The cursor holds the values of every ordering column of the row a page starts
    after (or ends before), so rows sharing a date page correctly both ways and a
    deep page costs what the first does. Ordering columns are never null. A cursor
    that does not decode, or names values of the wrong type, is a 400.
    """

    page_size = 50
    ordering = "-id"
    max_cursor_length = 2000

    def get_ordering(self, request, queryset, view) -> list[str]:
        fields = None
        for backend in getattr(view, "filter_backends", None) or []:
            if hasattr(backend, "get_ordering"):
                fields = backend().get_ordering(request, queryset, view)
                break
        if not fields:
            fields = getattr(view, "ordering", None) or self.ordering
        fields = [fields] if isinstance(fields, str) else list(fields)
        if not {"id", "-id", "pk", "-pk"} & set(fields):
            fields.append("-id" if fields[0].startswith("-") else "id")
        return fields

    def _decode(self, request, width: int):
        raw = request.query_params.get("cursor")
        if raw is None:
            return None, False
        try:
            if len(raw) > self.max_cursor_length:
                raise ValueError
            padded = raw + "=" * (-len(raw) % 4)
            decoded = json.loads(base64.urlsafe_b64decode(padded.encode()))
            values, before = decoded["v"], decoded.get("b", False)
            if not isinstance(values, list) or len(values) != width:
                raise ValueError
            if not isinstance(before, bool) or not all(
                isinstance(v, (str, int, float)) and not isinstance(v, bool)
                for v in values
            ):
                raise ValueError
        except (ValueError, TypeError, KeyError, binascii.Error) as exc:
            raise ValidationError({"cursor": _("Invalid cursor.")}) from exc
        return values, before

    @staticmethod
    def _encode(row, fields, *, before: bool = False) -> str:
        values = [_cursor_value(getattr(row, f.lstrip("-"))) for f in fields]
        data = {"v": values, "b": True} if before else {"v": values}
        raw = json.dumps(data, separators=(",", ":")).encode()
        return base64.urlsafe_b64encode(raw).decode().rstrip("=")

    @staticmethod
    def _beyond(fields, values, *, before: bool) -> Q:
        """Rows after `values` in the read order (before them, read backwards)."""
        beyond = Q(pk__in=[])
        equal = Q()
        for field, value in zip(fields, values, strict=True):
            name = field.lstrip("-")
            smaller = field.startswith("-") != before
            beyond |= equal & Q(**{f"{name}__{'lt' if smaller else 'gt'}": value})
            equal &= Q(**{name: value})
        return beyond

    def paginate_queryset(self, queryset, request, view=None):
        self.request = request
        size = page_size_from(request, default=self.page_size)
        fields = self.get_ordering(request, queryset, view)
        values, before = self._decode(request, len(fields))
        read = (
            [f[1:] if f.startswith("-") else f"-{f}" for f in fields]
            if before
            else fields
        )
        rows = queryset.order_by(*read)
        try:
            if values is not None:
                rows = rows.filter(self._beyond(fields, values, before=before))
            page = list(rows[: size + 1])
        except (ValueError, TypeError, OverflowError, DjangoValidationError) as exc:
            # A cursor that decodes but names a position of the wrong type.
            raise ValidationError({"cursor": _("Invalid cursor.")}) from exc
        more = len(page) > size
        page = page[:size]
        if before:
            page.reverse()
        self.next_cursor = self.previous_cursor = None
        if page:
            if more or before:
                self.next_cursor = self._encode(page[-1], fields)
            if more if before else values is not None:
                self.previous_cursor = self._encode(page[0], fields, before=True)
        return page


# --- rates -------------------------------------------------------------------------------


class TokenRateThrottle(throttling.SimpleRateThrottle):
    """API_RATE_LIMIT requests per token (or per session user, or per address).

    Over it: 429 with Retry-After (seconds). The rate is read at each request, so
    the setting can change without a restart of the test process.
    """

    scope = "api"

    def get_rate(self):
        return getattr(settings, "API_RATE_LIMIT", None)

    def get_cache_key(self, request, view):
        if isinstance(request.auth, ApiToken):
            ident = f"token:{request.auth.pk}"
        elif request.user is not None and request.user.is_authenticated:
            ident = f"user:{request.user.pk}"
        else:
            ident = f"ip:{self.get_ident(request)}"
        return f"throttle:api:{ident}"


# --- strict input fields --------------------------------------------------------------


class StrictCharField(serializers.CharField):
    """Text only: a number or a boolean where text is expected is refused."""

    def to_internal_value(self, data):
        if not isinstance(data, str):
            self.fail("invalid")
        return super().to_internal_value(data)


class StrictIntegerField(serializers.IntegerField):
    """A JSON whole number only (not "12", not 12.5, not true).

    `12.0` is one: JSON Schema counts a number with no fraction as an integer, so a
    client generated from the schema may send it.
    """

    def to_internal_value(self, data):
        if isinstance(data, float) and data.is_integer():
            data = int(data)
        if isinstance(data, bool) or not isinstance(data, int):
            self.fail("invalid")
        return super().to_internal_value(data)


class IdField(StrictIntegerField):
    """The id of a row: 1 … MAX_ID."""

    def __init__(self, **kwargs):
        kwargs.setdefault("min_value", 1)
        kwargs.setdefault("max_value", MAX_ID)
        super().__init__(**kwargs)


class QueryIdField(serializers.IntegerField):
    """The id of a row in the query string: ASCII digits only (not "12.0", not " 12")."""

    def __init__(self, **kwargs):
        kwargs.setdefault("min_value", 1)
        kwargs.setdefault("max_value", MAX_ID)
        super().__init__(**kwargs)

    def to_internal_value(self, data):
        if not isinstance(data, str) or not (data.isascii() and data.isdigit()):
            self.fail("invalid")
        return super().to_internal_value(data)


class StrictBooleanField(serializers.BooleanField):
    """JSON true or false only."""

    def to_internal_value(self, data):
        if not isinstance(data, bool):
            self.fail("invalid", input=data)
        return data


class StrictDateField(serializers.DateField):
    """A `YYYY-MM-DD` string only."""

    def to_internal_value(self, data):
        if not isinstance(data, str):
            self.fail("invalid", format="YYYY-MM-DD")
        return super().to_internal_value(data)


# --- model serializers ------------------------------------------------------------------


class ModelSerializer(serializers.ModelSerializer):
    """A ModelSerializer whose read-only fields still say they may be blank.

    DRF drops `allow_blank` from read-only fields, so the schema would promise that
    a blank choice (a client with no gender given) is never sent.
    """

    def include_extra_kwargs(self, kwargs, extra_kwargs):
        blank = kwargs.get("allow_blank", False)
        kwargs = super().include_extra_kwargs(kwargs, extra_kwargs)
        if blank and kwargs.get("read_only"):
            kwargs["allow_blank"] = True
        return kwargs


# --- query filters ------------------------------------------------------------------------


class StrictFilterSet(django_filters.FilterSet):
    """A FilterSet where a parameter given empty (`?date_to=`) is a 400, not ignored."""

    def is_valid(self):
        valid = super().is_valid()
        empty = [
            name
            for name in self.filters
            if name in self.data and self.data.get(name) == ""
        ]
        for name in empty:
            self.form.add_error(name, _("Give a value or leave the parameter out."))
        return valid and not empty


class IdFormField(forms.IntegerField):
    def __init__(self, *args, **kwargs):
        kwargs.setdefault("min_value", 1)
        kwargs.setdefault("max_value", MAX_ID)
        super().__init__(*args, **kwargs)

    def to_python(self, value):
        if value not in self.empty_values and not str(value).strip().isdigit():
            raise forms.ValidationError(_("Enter a whole number."), code="invalid")
        return super().to_python(value)


class IdFilter(django_filters.NumberFilter):
    """`?client=ID`: a positive whole number that fits a 64-bit id (else 400)."""

    field_class = IdFormField


class StrictBooleanFilter(django_filters.ChoiceFilter):
    """`?x=true` / `?x=false`; anything else is a 400 (not silently ignored)."""

    def __init__(self, *args, **kwargs):
        kwargs["choices"] = [("true", "true"), ("false", "false")]
        super().__init__(*args, **kwargs)

    def filter(self, qs, value):
        if value in ("", None):
            return qs
        return super().filter(qs, value == "true")


# --- ETag ----------------------------------------------------------------------------------


def etag_of(data) -> str:
    digest = hashlib.sha256(
        json.dumps(data, sort_keys=True, default=str).encode()
    ).hexdigest()
    return f'"{digest[:32]}"'


def etag_response(request, data) -> Response:
    """200 with an ETag, or 304 when `If-None-Match` names the same version."""
    tag = etag_of(data)
    wanted = request.headers.get("If-None-Match", "")
    tags = {t.strip().removeprefix("W/") for t in wanted.split(",") if t.strip()}
    headers = {"ETag": tag, "Cache-Control": "private, no-cache"}
    if tag in tags or "*" in tags:
        return Response(status=304, headers=headers)
    return Response(data, headers=headers)
