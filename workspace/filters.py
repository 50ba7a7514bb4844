"""The book's filters, shared by the client list page and the clients API (one FilterSet).

Every filter works on the rows `workspace.selectors.book_list` returns (clients in the
user's scope with the current run's scores), so a filter can narrow the scope but never
widen it.
"""

from __future__ import annotations

import django_filters
from cryptography.fernet import InvalidToken
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from advisors.models import Advisor, Branch
from churn.models import FlagCode
from clients import permissions
from clients.crypto import decrypt
from clients.models import Client, RelationshipLevel
from clients.selectors import branch_scope, personal_data_match
from tiers.labels import LABELS

ORDERING = (
    ("client_no", "client_no"),
    ("name", "name"),
    ("value_score", "value_score"),
    ("contribution_score", "contribution_score"),
    ("assets", "assets"),
    ("churn_risk", "churn_risk"),
    ("last_contact", "last_contact"),
    ("opened_at", "opened_at"),
)


def _choices(kind: str) -> list[tuple[str, str]]:
    return list(LABELS[kind].items())


def _branches(request):
    user = getattr(request, "user", None)
    return branch_scope(user) if user is not None else Branch.objects.none()


def _advisors(request):
    user = getattr(request, "user", None)
    if user is None or not permissions.may_see_branch_kpis(user):
        return Advisor.objects.none()
    advisors = Advisor.objects.select_related("branch")
    if user.is_superuser or permissions.is_read_only(user):
        return advisors
    return advisors.filter(branch_id=user.branch_id)


class ClientFilterSet(django_filters.FilterSet):
    """Search and narrow the book: every classification of SPEC §3, flags and alerts.

    No filter needs DISTINCT: the current run's scores join at most one row per client
    (one run per branch, one score per client and run); DISTINCT over every column
    would cost the book a sort of all its rows.
    """

    q = django_filters.CharFilter(
        method="search_text", label=_("Search"), max_length=100
    )
    #: The API's name for the same search (DRF's convention).
    search = django_filters.CharFilter(
        method="search_text", label=_("Search"), max_length=100
    )
    #: The same search kept encrypted: a saved filter's search for a personal number.
    qe = django_filters.CharFilter(
        method="search_encrypted", label=_("Saved search"), max_length=1000
    )
    tier = django_filters.MultipleChoiceFilter(
        distinct=False, field_name="tier", choices=_choices("tier"), label=_("Tier")
    )
    segment = django_filters.MultipleChoiceFilter(
        distinct=False,
        field_name="segment",
        choices=_choices("segment"),
        label=_("Segment"),
    )
    maturity = django_filters.MultipleChoiceFilter(
        distinct=False,
        field_name="maturity_stage",
        choices=_choices("maturity"),
        label=_("Maturity"),
    )
    relationship = django_filters.MultipleChoiceFilter(
        distinct=False,
        field_name="relationship_level",
        choices=RelationshipLevel.choices,
        label=_("Relationship"),
    )
    fit = django_filters.MultipleChoiceFilter(
        distinct=False,
        field_name="relationship_fit",
        choices=_choices("fit"),
        label=_("Fit"),
    )
    risk = django_filters.MultipleChoiceFilter(
        distinct=False,
        field_name="risk_appetite",
        choices=_choices("risk"),
        label=_("Risk appetite"),
    )
    trading = django_filters.MultipleChoiceFilter(
        distinct=False,
        field_name="trading_ability",
        choices=_choices("trading"),
        label=_("Trading ability"),
    )
    loyalty = django_filters.MultipleChoiceFilter(
        distinct=False,
        field_name="loyalty_type",
        choices=_choices("loyalty"),
        label=_("Loyalty type"),
    )
    experience = django_filters.MultipleChoiceFilter(
        distinct=False,
        field_name="experience",
        choices=_choices("experience"),
        label=_("Experience"),
    )
    flag = django_filters.ChoiceFilter(
        method="has_flag",
        choices=[("any", _("Any open flag")), *FlagCode.choices],
        label=_("Churn flag"),
    )
    alert = django_filters.ChoiceFilter(
        method="has_alert",
        choices=[("any", _("Any alert")), *_choices("alert")],
        label=_("Alert"),
    )
    advisor = django_filters.ModelChoiceFilter(
        field_name="advisor",
        queryset=_advisors,
        label=_("Advisor"),
    )
    #: Head office lists every branch's clients: narrow them to one (`?branch=CODE`).
    branch = django_filters.ModelChoiceFilter(
        field_name="branch",
        to_field_name="code",
        queryset=_branches,
        label=_("Branch"),
    )
    is_open = django_filters.BooleanFilter(
        method="open_now", label=_("Open accounts only")
    )
    ordering = django_filters.OrderingFilter(fields=ORDERING, label=_("Sort by"))

    class Meta:
        model = Client
        fields: list[str] = []

    def search_text(self, queryset, name, value):
        """By client number or name (contains), or phone, ID or account number (exact:
        the numbers are encrypted, found through their keyed hashes)."""
        value = value.strip()
        if not value:
            return queryset
        return queryset.filter(
            Q(client_no__icontains=value)
            | Q(name__icontains=value)
            | personal_data_match(value)
            | Q(pk__in=Client.objects.filter(accounts__account_no=value).values("pk"))
        )

    def search_encrypted(self, queryset, name, value):
        try:
            text = decrypt(value.strip())
        except (InvalidToken, ValueError, UnicodeError):
            return queryset.none()
        return self.search_text(queryset, name, text)

    def has_flag(self, queryset, name, value):
        if value == "any":
            return queryset.exclude(flag_codes__isnull=True).exclude(flag_codes="")
        return queryset.filter(flag_codes__contains=value)

    def has_alert(self, queryset, name, value):
        if value == "any":
            return queryset.exclude(alert_codes__isnull=True).exclude(alert_codes="")
        return queryset.filter(alert_codes__contains=value)

    def open_now(self, queryset, name, value):
        if value is None:
            return queryset
        opened = Q(opened_at__isnull=False) & Q(closed_at__isnull=True)
        return queryset.filter(opened) if value else queryset.exclude(opened)
