"""fixtures/: the demo data `loaddata` brings (a branch, its default scoring policy,
the points catalogue), loadable twice without doubling anything."""

import pytest
from django.core.management import call_command

from advisors.models import Branch
from loyalty.catalogue import DEFAULT_ITEMS
from loyalty.models import CatalogueItem
from tiers.policy import Policy
from tiers.selectors import policy_for


@pytest.mark.django_db
def test_fixtures_load_the_default_policy_and_catalogue_idempotently():
    for _ in range(2):
        call_command("loaddata", "scoring_policy", "points_catalogue", verbosity=0)

    branch = Branch.objects.get(code="DEMO")
    version, policy = policy_for(branch=branch)
    assert version == 1 and policy.to_dict() == Policy().to_dict()
    assert CatalogueItem.objects.filter(branch=None).count() == len(DEFAULT_ITEMS)
