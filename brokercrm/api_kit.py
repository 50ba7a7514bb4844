"""What every API view shares: cursor pages, the per-token rate, strict input fields,
bounded id filters and the ETag of a detail.

Inputs are checked before they reach a query: ids are whole numbers that fit a
64-bit column (a bigger one is a 400 on every database, not an overflow on SQLite),
text is text (a number where a name is expected is a 400, not coerced), and NUL
bytes and lone surrogates are refused (DRF's CharField and the hostile-query
middleware).
"""

from __future__ import annotations

import hashlib
import json

import django_filters
from django import forms
from django.conf import settings
from django.core.exceptions import ValidationError as DjangoValidationError
from django.utils.translation import gettext_lazy as _
from rest_framework import pagination, serializers, throttling
from rest_framework.exceptions import NotFound, ValidationError
from rest_framework.response import Response

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


class ApiCursorPagination(pagination.CursorPagination):
    """Cursor pages (`next`/`previous` links), newest first unless `?ordering=`.

    A cursor stays valid while rows are added; a cursor that does not decode is a 400.
    """

    page_size = 50
    max_page_size = MAX_PAGE_SIZE
    page_size_query_param = "page_size"
    ordering = "-id"

    def get_page_size(self, request):
        return page_size_from(request, default=self.page_size)

    def decode_cursor(self, request):
        try:
            return super().decode_cursor(request)
        except NotFound as exc:
            raise ValidationError({"cursor": _("Invalid cursor.")}) from exc

    def paginate_queryset(self, queryset, request, view=None):
        try:
            return super().paginate_queryset(queryset, request, view)
        except (ValueError, TypeError, OverflowError, DjangoValidationError) as exc:
            # A cursor that decodes but names a position of the wrong type.
            raise ValidationError({"cursor": _("Invalid cursor.")}) from exc

    def get_schema_operation_parameters(self, view):
        parameters = super().get_schema_operation_parameters(view)
        return [
            PAGE_SIZE_PARAMETER if p["name"] == "page_size" else p for p in parameters
        ]


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
    """A JSON whole number only (not "12", not 12.5, not true)."""

    def to_internal_value(self, data):
        if isinstance(data, bool) or not isinstance(data, int):
            self.fail("invalid")
        return super().to_internal_value(data)


class IdField(StrictIntegerField):
    """The id of a row: 1 … MAX_ID."""

    def __init__(self, **kwargs):
        kwargs.setdefault("min_value", 1)
        kwargs.setdefault("max_value", MAX_ID)
        super().__init__(**kwargs)


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
