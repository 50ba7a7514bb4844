"""A bad file's report, read in Simplified Chinese, has no English sentence.

The import service records codes and parameters; the words are made when the page, the
CSV report or the API shows them, in the reader's language.
"""

import re

import pytest
from django.conf import settings
from django.urls import reverse
from django.utils import translation

from imports.messages import BATCH_MESSAGES, ROW_MESSAGES
from imports.models import BatchStatus
from imports.services.report import report_csv
from tests.brokercrm.test_zh_pages import untranslated

from .conftest import TRADE_HEADER, trade_row

pytestmark = pytest.mark.django_db

# Two English words in a row (column names, codes and values have no spaces).
ENGLISH = re.compile(r"[A-Za-z]{2,}[ ,]+[A-Za-z]{2,}")


def bad_rows():
    return [
        trade_row("T1"),
        trade_row("T2", account_no="880012"),
        trade_row("T3", quantity="12a"),
        trade_row("T4", trade_date="2026-02-30"),
        trade_row("T5", side="Q"),
        trade_row("T6", amount="999.00"),
        trade_row("T7", commission="-1"),
        trade_row("T8", trade_date="2999-01-01"),
        trade_row("T1"),
        trade_row("", code="999999"),
    ]


def test_a_bad_files_report_in_chinese_has_no_english_sentence(
    book, csv_file, run, client, admin_user
):
    # given: a trades file with a bad row of each common kind
    batch = run("trades", csv_file(TRADE_HEADER, bad_rows()), dry_run=True)
    assert batch.status == BatchStatus.REJECTED
    codes = {error[2] for error in batch.errors}
    assert len(codes) >= 9, codes
    # when: it is read in Simplified Chinese
    with translation.override("zh-hans"):
        lines = batch.error_lines()
        message = batch.message_text()
        report = report_csv(batch)
    # then: every line and the message are words of the catalogue, in Chinese
    assert lines and all(not ENGLISH.search(line) for line in lines), lines
    assert "第 3 行" in lines[0] and "未知" in "".join(lines)
    assert message and not ENGLISH.search(message), message
    reasons = [row.split(",", 2)[2] for row in report.splitlines()[8:] if row]
    assert reasons and not any(ENGLISH.search(reason) for reason in reasons)
    # and the batch's page shows no English sentence of the catalogue
    client.force_login(admin_user)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "zh-hans"
    page = client.get(reverse("imports:detail", args=[batch.pk])).content.decode()
    assert untranslated(page) == []
    assert lines[0] in page


def test_a_refused_file_is_explained_in_chinese(book, csv_file, run):
    batch = run("trades", csv_file(["trade_id", "quantity"], [["T1", "1"]]))
    assert batch.status == BatchStatus.REJECTED
    assert batch.message_code == "missing_columns"
    with translation.override("zh-hans"):
        message = batch.message_text()
    # then: Chinese words around the file's own column names
    words = message
    for value in batch.message_params.values():
        words = words.replace(value, "")
    assert "trade_date" in message and not ENGLISH.search(words), message


def test_every_import_message_has_chinese_words():
    with translation.override("zh-hans"):
        english = [
            code
            for code, words in {**ROW_MESSAGES, **BATCH_MESSAGES}.items()
            if not re.search(r"[\u4e00-\u9fff]", str(words))
        ]
    assert english == []
