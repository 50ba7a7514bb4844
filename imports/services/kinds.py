"""The kinds of back-office file (SPEC §2): their columns, Chinese aliases and codes.

Headers match case-insensitively after trimming (and after folding full-width
brackets, which Chinese exports like); cell values of coded columns match their
English code or the Chinese words brokers print.
"""

import unicodedata
from dataclasses import dataclass, field


@dataclass(frozen=True)
class Column:
    name: str
    aliases: tuple[str, ...] = ()
    required: bool = False


@dataclass
class KindSpec:
    name: str
    columns: list[Column]
    key: tuple[str, ...]
    aliases: dict[str, str] = field(default_factory=dict)

    def __post_init__(self):
        for column in self.columns:
            for alias in (column.name, *column.aliases):
                self.aliases[normalize_header(alias)] = column.name


def normalize_header(text: str) -> str:
    """Trimmed, lower-case, full-width folded: `时长（分钟）` matches `时长(分钟)`."""
    return unicodedata.normalize("NFKC", str(text)).strip().lower().replace(" ", "")


C = Column
DATE = ("日期", "date")

KINDS: dict[str, KindSpec] = {
    spec.name: spec
    for spec in [
        KindSpec(
            "advisors",
            [
                C("employee_no", ("员工编号", "工号", "员工号"), True),
                C("name", ("姓名", "员工姓名"), True),
                C("team", ("团队",)),
                C("role", ("角色", "岗位")),
                C("email", ("邮箱", "电子邮件", "e-mail")),
            ],
            ("employee_no",),
        ),
        KindSpec(
            "clients",
            [
                C("client_no", ("客户号", "客户编号", "客户代码"), True),
                C("account_no", ("资金账号", "资金帐号")),
                C("name", ("客户姓名", "姓名", "客户名称"), True),
                C("kind", ("客户类型", "客户类别")),
                C("gender", ("性别",)),
                C("birth_date", ("出生日期",)),
                C("id_number", ("证件号码", "身份证号")),
                C("phone", ("手机", "电话", "手机号码", "联系电话")),
                C("opened_at", ("开户日期",)),
                C("closed_at", ("销户日期",)),
                C("advisor", ("客户经理", "经纪人编号", "客户经理编号")),
                C("referred_by", ("推荐人",)),
                C("investing_since", ("入市时间",)),
                C("time_availability", ("盯盘时间",)),
                C("onsite", ("现场客户",)),
                C("relationship_level", ("关系层次",)),
                C("risk_level", ("风险承受能力", "风险等级")),
            ],
            ("client_no", "account_no"),
        ),
        KindSpec(
            "securities",
            [
                C("code", ("证券代码",), True),
                C("name", ("证券名称", "证券简称")),
                C("kind", ("证券类别", "证券类型")),
                C("industry", ("行业",)),
                C("listed_on", ("上市日期",)),
            ],
            ("code",),
        ),
        KindSpec(
            "prices",
            [
                C("date", DATE, True),
                C("code", ("证券代码",), True),
                C("close", ("收盘价",), True),
            ],
            ("date", "code"),
        ),
        KindSpec(
            "trades",
            [
                C("trade_id", ("成交编号",), True),
                C("trade_date", ("成交日期",), True),
                C("account_no", ("资金账号", "资金帐号"), True),
                C("code", ("证券代码",), True),
                C("name", ("证券名称",)),
                C("side", ("买卖标志", "买卖方向"), True),
                C("quantity", ("成交数量",), True),
                C("price", ("成交价格", "成交均价"), True),
                C("amount", ("成交金额",), True),
                C("commission", ("佣金",)),
                C("stamp_tax", ("印花税",)),
                C("transfer_fee", ("过户费",)),
                C("other_fees", ("其他费用", "其他费")),
            ],
            ("trade_id",),
        ),
        KindSpec(
            "positions",
            [
                C("date", DATE, True),
                C("account_no", ("资金账号", "资金帐号"), True),
                C("code", ("证券代码",), True),
                C("quantity", ("持仓数量", "股份余额"), True),
                C("cost_price", ("成本价",)),
                C("market_value", ("市值", "参考市值"), True),
            ],
            ("date", "account_no", "code"),
        ),
        KindSpec(
            "balances",
            [
                C("date", DATE, True),
                C("account_no", ("资金账号", "资金帐号"), True),
                C("cash", ("资金余额",), True),
                C("market_value", ("证券市值",), True),
                C("total_assets", ("总资产",), True),
            ],
            ("date", "account_no"),
        ),
        KindSpec(
            "cashflows",
            [
                C("flow_id", ("流水号",), True),
                C("date", DATE, True),
                C("account_no", ("资金账号", "资金帐号"), True),
                C("type", ("业务类型",), True),
                C("amount", ("发生金额",), True),
            ],
            ("flow_id",),
        ),
        KindSpec(
            "interactions",
            [
                C("interaction_id", ("记录编号",), True),
                C("date", DATE, True),
                C("client_no", ("客户号", "客户编号"), True),
                C("advisor", ("员工编号", "工号")),
                C("channel", ("方式", "服务方式"), True),
                C("minutes", ("时长(分钟)", "时长")),
                C("summary", ("内容", "服务内容")),
                C("recommended_codes", ("推荐证券",)),
            ],
            ("interaction_id",),
        ),
        KindSpec(
            "feedback",
            [
                C("feedback_id", ("编号",), True),
                C("date", DATE, True),
                C("client_no", ("客户号", "客户编号"), True),
                C("topic", ("主题",), True),
                C("score", ("评分",), True),
                C("comment", ("意见",)),
            ],
            ("feedback_id",),
        ),
    ]
}

# The order in which a full set of files imports without unknown references.
DEPENDENCY_ORDER = [
    "advisors",
    "securities",
    "clients",
    "prices",
    "trades",
    "positions",
    "balances",
    "cashflows",
    "interactions",
    "feedback",
]


def codes(mapping: dict[str, tuple[str, ...]]) -> dict[str, str]:
    """{code: (words…)} → {lower-case code or word: code}."""
    out = {}
    for code, words in mapping.items():
        for word in (code, *words):
            out[normalize_header(word)] = code
    return out


SIDES = codes(
    {"B": ("买入", "证券买入", "买", "buy"), "S": ("卖出", "证券卖出", "卖", "sell")}
)
CLIENT_KINDS = codes(
    {
        "individual": ("个人", "个人客户"),
        "institution": ("机构", "机构客户"),
        "broker_introduced": ("经纪人客户", "经纪人"),
    }
)
GENDERS = codes({"M": ("男", "male"), "F": ("女", "female")})
TIME_AVAILABILITY = codes({"low": ("少",), "medium": ("中",), "high": ("多",)})
YES_NO = codes({"Y": ("是", "yes", "true", "1"), "N": ("否", "no", "false", "0")})
RELATIONSHIP_LEVELS = codes(
    {
        "intermediary": ("买卖中介", "买卖中介关系"),
        "priority": ("优先", "优先关系"),
        "partnership": ("合作伙伴", "合作伙伴关系"),
        "alliance": ("战略联盟", "战略联盟关系"),
    }
)
RISK_LEVELS = codes(
    {
        "C1": ("保守型", "C1保守型", "C1-保守型"),
        "C2": ("谨慎型", "C2谨慎型", "C2-谨慎型"),
        "C3": ("稳健型", "C3稳健型", "C3-稳健型"),
        "C4": ("积极型", "C4积极型", "C4-积极型"),
        "C5": ("激进型", "C5激进型", "C5-激进型"),
    }
)
SECURITY_KINDS = codes(
    {
        "stock": ("股票", "a股"),
        "bond": ("债券",),
        "fund": ("基金",),
        "index": ("指数",),
    }
)
CASH_FLOW_TYPES = codes(
    {
        "deposit": ("银证转入",),
        "withdrawal": ("银证转出",),
        "custody_in": ("转托管转入",),
        "custody_out": ("转托管转出",),
    }
)
CHANNELS = codes(
    {
        "call": ("电话",),
        "visit": ("拜访",),
        "email": ("邮件",),
        "message": ("短信微信", "短信", "微信"),
        "seminar": ("讲座活动", "讲座", "活动"),
        "survey": ("问卷",),
        "complaint": ("投诉",),
    }
)
TOPICS = codes(
    {
        "satisfaction": ("满意度",),
        "research": ("研报实用性",),
        "direction": ("研究方向",),
    }
)
ROLES = codes(
    {
        "advisor": ("客户经理", "经纪人"),
        "manager": ("经理", "营业部经理"),
        "admin": ("管理员", "运营", "系统管理员"),
    }
)
