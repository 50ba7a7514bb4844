from django.core.management import call_command

from loyalty.models import CatalogueItem


def test_seed_catalogue_adds_the_missing_items_once(db, capsys):
    CatalogueItem.objects.filter(branch=None).delete()
    call_command("seed_catalogue")
    call_command("seed_catalogue")
    out = capsys.readouterr().out
    assert "catalogue: 5 item(s) added" in out
    assert "catalogue: 0 item(s) added" in out
    names = set(CatalogueItem.objects.values_list("name", flat=True))
    assert {"研究报告订阅 · Research subscription (1 month)"} <= names
    assert CatalogueItem.objects.get(code="level2_month").free_tiers == [
        "large",
        "special",
    ]
