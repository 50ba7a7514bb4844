"""The catalogue every branch starts with (SPEC §4): services priced in points.

Each item names the tiers that get it without points; an admin edits prices, tiers and
stock afterwards. Migration 0003 seeded the same list when the app was installed.
"""

from decimal import Decimal

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
