"""Pages an advisor and an admin read every day, rendered in Simplified Chinese, show
no English sentence of the catalogue: the client page (scores and their "why", churn
flags with reasons and actions, generated tasks), the import pages."""

import datetime as dt
import html
import re

import pytest
from django.conf import settings
from django.urls import reverse

from nightly.services import nightly_run
from tests.brokercrm.test_i18n import LOCALE_DIR, PLACEHOLDER, po_entries

D = dt.date(2026, 6, 30)
TAGS = re.compile(r"<script.*?</script>|<style.*?</style>|<[^>]+>", re.S)


def english_sentences():
    """Catalogue msgids of two words or more (their fixed parts), with their Chinese."""
    for entry in po_entries(LOCALE_DIR / "django.po"):
        msgid = entry["msgid"]
        if not msgid or "msgid_plural" in entry:
            continue
        for part in PLACEHOLDER.split(msgid):
            part = part.strip(" :;,.()")
            if len(part.split()) >= 2 and part not in entry["msgstrs"]["msgstr"]:
                yield part


def untranslated(page: str) -> list[str]:
    text = html.unescape(TAGS.sub(" ", page))
    text = " ".join(text.split())
    return sorted({s for s in english_sentences() if s in text})


@pytest.fixture
def zh(client):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "zh-hans"
    return client


@pytest.mark.django_db
def test_client_page_with_scores_flags_and_tasks_is_all_chinese(
    zh, branch, advisor, make
):
    # given a priority client never contacted, with a complaint: flags and tasks
    client = make.Client(
        branch=branch,
        advisor=advisor,
        relationship_level="priority",
        opened_at=dt.date(2024, 1, 10),
    )
    account = make.Account(client=client)
    make.Balance(account=account, date=D)
    make.Interaction(client=client, date=D - dt.timedelta(20), channel="complaint")
    nightly_run(branch=branch, as_of=D)
    assert client.tasks.exists() and client.churn_flags.exists()
    zh.force_login(advisor.user)

    # when the advisor opens the client page in Chinese
    page = zh.get(reverse("client-detail", args=[client.pk])).content.decode()

    # then no English sentence of the catalogue shows (as the English page does)
    assert "流失风险" in page
    assert untranslated(page) == []
    zh.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    english = zh.get(reverse("client-detail", args=[client.pk])).content.decode()
    assert "Churn flags" in untranslated(english)


@pytest.mark.django_db
def test_import_pages_are_all_chinese(zh, admin_user):
    zh.force_login(admin_user)
    for name in ("imports:list", "imports:upload"):
        page = zh.get(reverse(name)).content.decode()
        assert untranslated(page) == [], name
