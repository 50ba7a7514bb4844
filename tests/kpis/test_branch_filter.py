"""Head office lists every branch's clients and narrows them to one branch."""

from types import SimpleNamespace

import pytest

from workspace.filters import ClientFilterSet
from workspace.selectors import book_list


@pytest.mark.django_db
def test_head_office_filters_the_book_by_branch(
    branch, other_branch, head_office_user, manager_user, make
):
    here = make.Client(branch=branch)
    there = make.Client(branch=other_branch)

    def listed(user, **params):
        request = SimpleNamespace(user=user)
        rows = ClientFilterSet(params, queryset=book_list(user=user), request=request)
        assert rows.is_valid(), rows.errors
        return list(rows.qs)

    assert set(listed(head_office_user)) == {here, there}
    assert listed(head_office_user, branch="SZ02") == [there]
    # a manager cannot name another branch: the filter refuses it, never widens
    request = SimpleNamespace(user=manager_user)
    rows = ClientFilterSet(
        {"branch": "SZ02"}, queryset=book_list(user=manager_user), request=request
    )
    assert not rows.is_valid()
    assert listed(manager_user, branch="HQ01") == [here]
