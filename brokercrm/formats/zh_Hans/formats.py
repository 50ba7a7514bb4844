"""Chinese number format for a brokerage: 1,234,567.89 (Django's zh_Hans groups
nothing, which makes account balances hard to read)."""

from django.conf.locale.zh_Hans.formats import *  # noqa: F403

THOUSAND_SEPARATOR = ","
NUMBER_GROUPING = 3
