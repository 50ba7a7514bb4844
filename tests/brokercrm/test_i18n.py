"""The UI in Simplified Chinese: pages, choice labels, and a complete catalogue."""

import ast
import gettext
import re

import pytest
from django.conf import settings
from django.urls import reverse

LOCALE_DIR = settings.BASE_DIR / "locale" / "zh_Hans" / "LC_MESSAGES"
PLACEHOLDER = re.compile(r"%\([^)]+\)[-+ #0-9.]*[a-zA-Z]|\{\{[^}]*\}\}")


def po_entries(path):
    """Each live entry of a .po file: dict of msgid, msgid_plural, msgstr(s), flags."""
    entries, current, key = [], None, None
    for line in path.read_text(encoding="utf-8").splitlines() + [""]:
        line = line.strip()
        if not line:  # a blank line ends an entry
            if current is not None and "msgid" in current:
                entries.append(current)
            current, key = None, None
            continue
        if line.startswith("#~"):  # obsolete entries are not shown to anyone
            continue
        if current is None:
            current = {"flags": set(), "msgstrs": {}}
        if line.startswith("#,"):
            current["flags"].update(f.strip() for f in line[2:].split(","))
        elif line.startswith("#"):
            continue
        elif line.startswith('"'):
            append = ast.literal_eval(line)
            if key.startswith("msgstr"):
                current["msgstrs"][key] += append
            else:
                current[key] += append
        else:
            key, _, value = line.partition(" ")
            if key.startswith("msgstr"):
                current["msgstrs"][key] = ast.literal_eval(value)
            else:
                current[key] = ast.literal_eval(value)
    return entries


@pytest.fixture
def zh(client):
    """A browser whose language cookie asks for Simplified Chinese."""
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "zh-hans"
    return client


def test_login_page_is_in_chinese(zh):
    html = zh.get(reverse("login")).content.decode()

    assert 'lang="zh-hans"' in html
    assert "登录" in html
    assert "用户名" in html and "密码" in html
    assert "Sign in" not in html


def test_login_page_stays_english_by_default(client):
    html = client.get(reverse("login")).content.decode()

    assert "Sign in" in html
    assert "登录" not in html


def test_language_switcher_turns_the_ui_chinese(client):
    # given an English visitor on the login page
    assert "Sign in" in client.get(reverse("login")).content.decode()
    # when they pick 简体中文 in the switcher
    client.post(reverse("set_language"), {"language": "zh-hans", "next": "/login/"})
    # then the page comes back in Chinese
    assert "登录" in client.get(reverse("login")).content.decode()


def test_wrong_password_message_is_in_chinese(zh, advisor):
    response = zh.post(reverse("login"), {"username": "alice", "password": "nope"})

    assert "用户名或密码错误" in response.content.decode()


def test_clients_list_is_in_chinese(zh, advisor, make):
    # given an advisor with one client
    make.Client(branch=advisor.branch, advisor=advisor, name="张三")
    zh.force_login(advisor.user)
    # when the advisor opens the clients list in Chinese
    html = zh.get(reverse("book")).content.decode()
    # then the page, the columns and the navigation are Chinese
    assert "<h1>客户" in html
    for label in ("客户号", "客户经理", "资产级别", "查询", "退出登录"):
        assert label in html
    assert "张三" in html
    assert "Client no." not in html and "Log out" not in html


def test_client_page_shows_choice_labels_in_chinese(zh, advisor, make):
    # given a partnership-level institution with a C3 questionnaire result
    client = make.Client(
        branch=advisor.branch,
        advisor=advisor,
        kind="institution",
        relationship_level="partnership",
        risk_level="C3",
    )
    zh.force_login(advisor.user)
    # when its page is opened in Chinese
    html = zh.get(reverse("client-detail", args=[client.pk])).content.decode()
    # then the model choices render with their Chinese labels
    assert "合作伙伴关系" in html
    assert "机构" in html
    assert "C3 稳健型" in html
    assert "关系层次" in html and "持仓" in html
    assert "Partnership" not in html


def test_every_msgid_has_a_checked_chinese_translation():
    entries = [e for e in po_entries(LOCALE_DIR / "django.po") if e["msgid"]]

    assert entries, "the catalogue is empty"
    for entry in entries:
        msgid = entry["msgid"]
        assert "fuzzy" not in entry["flags"], f"fuzzy: {msgid!r}"
        assert entry["msgstrs"], f"no msgstr: {msgid!r}"
        for key, msgstr in entry["msgstrs"].items():
            assert msgstr.strip(), f"untranslated {key}: {msgid!r}"
            # every placeholder of the English survives in the Chinese
            assert sorted(PLACEHOLDER.findall(msgstr)) == sorted(
                PLACEHOLDER.findall(msgid)
            ), f"placeholders differ: {msgid!r} -> {msgstr!r}"


def test_compiled_catalogue_matches_the_po():
    # the .mo is committed, so it must hold exactly what the .po says
    with open(LOCALE_DIR / "django.mo", "rb") as mo:
        compiled = gettext.GNUTranslations(mo)._catalog
    for entry in po_entries(LOCALE_DIR / "django.po"):
        if not entry["msgid"]:
            continue
        # gettext keys an entry with a context as "context\x04msgid"
        msgid = entry["msgid"]
        if "msgctxt" in entry:
            msgid = f"{entry['msgctxt']}\x04{msgid}"
        if "msgid_plural" in entry:
            assert compiled.get((msgid, 0)) == entry["msgstrs"]["msgstr[0]"]
        else:
            assert compiled.get(msgid) == entry["msgstrs"]["msgstr"], (
                f"recompile the catalogue: {entry['msgid']!r}"
            )
