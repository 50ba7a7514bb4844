"""Pages show words, not stored codes, in both languages."""

from django.utils import translation

from tiers.labels import LABELS, code_label


def test_every_code_has_a_chinese_word():
    with translation.override("zh-hans"):
        assert code_label("medium", "tier") == "中户"
        assert code_label("medium", "risk") == "中"
        assert code_label("info_dependent", "trading") == "外部信息依赖型"
        assert code_label("none", "loyalty") == "无"
        for kind, labels in LABELS.items():
            for code in labels:
                word = str(code_label(code, kind))
                assert word and word != code, (kind, code)
                assert not word.isascii() or kind == "relationship", (kind, code, word)


def test_english_words_and_nulls():
    with translation.override("en"):
        assert code_label("over-served", "fit") == "Over-served"
        assert code_label("core", "segment") == "Core"
    assert code_label(None, "tier") == ""
    assert code_label("unknown", "tier") == "unknown"
