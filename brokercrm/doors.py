"""What the page doors share: "not found" from a selector becomes a 404."""

from django.core.exceptions import ObjectDoesNotExist
from django.http import Http404


def or_404(getter, /, **kwargs):
    """Call a selector's `<noun>_get`; its DoesNotExist becomes Http404.

    Selectors say "not found (or not yours)" with DoesNotExist; a page answers 404, the
    API the same through `brokercrm.api_errors.exception_handler`.
    """
    try:
        return getter(**kwargs)
    except ObjectDoesNotExist as exc:
        raise Http404 from exc
