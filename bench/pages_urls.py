"""The product's URLs plus `/bench/bare/`: a Django view through the same middleware
that touches no database (the yardstick of bench/pages.py)."""

from django.http import HttpResponse
from django.urls import include, path


def bare(request):
    return HttpResponse("ok", content_type="text/plain")


urlpatterns = [
    path("bench/bare/", bare),
    path("", include("brokercrm.urls")),
]
