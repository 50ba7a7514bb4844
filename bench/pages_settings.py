"""Settings of the pages benchmark: production-like (DEBUG off, persistent database
connections) plus one bare view to compare against. Not used by the product."""

from brokercrm.settings import *  # noqa: F403
from brokercrm.settings import DATABASES

ROOT_URLCONF = "bench.pages_urls"
DATABASES["default"]["CONN_MAX_AGE"] = 600
