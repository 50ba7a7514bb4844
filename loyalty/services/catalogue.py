"""The points catalogue's default items."""

from __future__ import annotations

from django.db import transaction

from ..catalogue import DEFAULT_ITEMS
from ..models import (
    CatalogueItem,
)


@transaction.atomic
def catalogue_seed(*, branch=None) -> int:
    """Add the default catalogue items that are missing (for every branch when None).

    Existing items are left as the admin edited them. Returns the number added.
    """
    added = 0
    for code, name, description, points, free_tiers, value, stock in DEFAULT_ITEMS:
        _, created = CatalogueItem.objects.get_or_create(
            branch=branch,
            code=code,
            defaults={
                "name": name,
                "description": description,
                "points_price": points,
                "free_tiers": free_tiers,
                "unit_value_cny": value,
                "stock": stock,
            },
        )
        added += created
    return added
