"""Seed the catalogue every branch offers (an admin edits prices, tiers and stock)."""

from decimal import Decimal

from django.db import migrations

ITEMS = [
    # code, name, description, points, free tiers, unit value CNY, stock
    (
        "seminar_seat",
        "讲座席位 · Seminar seat",
        "A seat at the branch's next investor seminar.",
        500,
        ["large", "special"],
        "50.00",
        200,
    ),
    (
        "research_month",
        "研究报告订阅 · Research subscription (1 month)",
        "The research department's reports for one month.",
        1000,
        ["medium", "large", "special"],
        "100.00",
        None,
    ),
    (
        "advisory_session",
        "投资顾问咨询 · Advisory consultation (1 hour)",
        "One hour with an investment adviser (投资顾问).",
        2000,
        ["large", "special"],
        "300.00",
        None,
    ),
    (
        "level2_month",
        "Level-2 行情 · Level-2 market data (1 month)",
        "Level-2 quotes for one month.",
        3000,
        ["large", "special"],
        "150.00",
        500,
    ),
    (
        "strategy_forum_vip",
        "策略会贵宾席 · Strategy forum VIP seat",
        "A VIP seat at the annual strategy forum.",
        8000,
        ["special"],
        "800.00",
        20,
    ),
]


def seed(apps, schema_editor):
    item_model = apps.get_model("loyalty", "CatalogueItem")
    for code, name, description, points, free_tiers, value, stock in ITEMS:
        item_model.objects.get_or_create(
            branch=None,
            code=code,
            defaults={
                "name": name,
                "description": description,
                "points_price": points,
                "free_tiers": free_tiers,
                "unit_value_cny": Decimal(value),
                "stock": stock,
            },
        )


def unseed(apps, schema_editor):
    item_model = apps.get_model("loyalty", "CatalogueItem")
    item_model.objects.filter(
        branch=None, code__in=[i[0] for i in ITEMS], redemptions__isnull=True
    ).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("loyalty", "0002_ledger_triggers"),
    ]

    operations = [migrations.RunPython(seed, unseed)]
