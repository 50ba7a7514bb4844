"""The catalogue every branch starts with (SPEC §4): services priced in points.

Each item names the tiers that get it without points; an admin edits prices, tiers and
stock afterwards. Migration 0003 seeded the same list when the app was installed.
"""

from decimal import Decimal

from django.utils.translation import gettext_lazy as _

# code, name, description, points, free tiers, unit value (CNY), stock (None: unlimited)
DEFAULT_ITEMS = [
    (
        "seminar_seat",
        "讲座席位 · Seminar seat",
        "A seat at the branch's next investor seminar.",
        500,
        ["large", "special"],
        Decimal("50.00"),
        200,
    ),
    (
        "research_month",
        "研究报告订阅 · Research subscription (1 month)",
        "The research department's reports for one month.",
        1000,
        ["medium", "large", "special"],
        Decimal("100.00"),
        None,
    ),
    (
        "advisory_session",
        "投资顾问咨询 · Advisory consultation (1 hour)",
        "One hour with an investment adviser (投资顾问).",
        2000,
        ["large", "special"],
        Decimal("300.00"),
        None,
    ),
    (
        "level2_month",
        "Level-2 行情 · Level-2 market data (1 month)",
        "Level-2 quotes for one month.",
        3000,
        ["large", "special"],
        Decimal("150.00"),
        500,
    ),
    (
        "strategy_forum_vip",
        "策略会贵宾席 · Strategy forum VIP seat",
        "A VIP seat at the annual strategy forum.",
        8000,
        ["special"],
        Decimal("800.00"),
        20,
    ),
]


# The default items' names in the reader's language. The stored name is the branch's
# own (bilingual for the defaults); an item an admin has renamed shows its new name.
DISPLAY_NAMES = {
    "seminar_seat": _("Seminar seat"),
    "research_month": _("Research subscription (1 month)"),
    "advisory_session": _("Advisory consultation (1 hour)"),
    "level2_month": _("Level-2 market data (1 month)"),
    "strategy_forum_vip": _("Strategy forum VIP seat"),
}
_DEFAULT_NAMES = {code: name for code, name, *_rest in DEFAULT_ITEMS}


def item_name(item) -> str:
    """The catalogue item's name as the reader should see it."""
    if item.code in DISPLAY_NAMES and item.name == _DEFAULT_NAMES.get(item.code):
        return str(DISPLAY_NAMES[item.code])
    return item.name
