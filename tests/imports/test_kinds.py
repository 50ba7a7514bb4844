"""Every kind of SPEC §2 imports, re-imports to 0 new rows, and names its bad rows."""

import datetime as dt
from decimal import Decimal

import pytest

from advisors.models import Advisor
from clients.models import (
    Account,
    Balance,
    CashFlow,
    Client,
    Feedback,
    Interaction,
    Position,
    Price,
    Security,
)
from imports.models import BatchStatus

pytestmark = pytest.mark.django_db


def test_advisors_with_teams_and_chinese_roles(branch, csv_file, run):
    path = csv_file(
        ["工号", "姓名", "团队", "角色", "邮箱"],
        [
            ["E0101", "王芳", "一组", "客户经理", "wf@example.com"],
            ["E0102", "李强", "一组", "manager", ""],
        ],
    )
    batch = run("advisors", path)
    assert batch.status == BatchStatus.DONE, batch.error_lines()
    wang = Advisor.objects.get(employee_no="E0101")
    assert (wang.name, wang.team.name, wang.role) == ("王芳", "一组", "advisor")
    assert Advisor.objects.get(employee_no="E0102").role == "manager"
    bad = run(
        "advisors", csv_file(["employee_no", "name", "email"], [["E9", "x", "nope"]])
    )
    assert bad.error_lines() == ['line 2, email: "nope" is not an email']


def test_securities_are_global_market_data(branch, other_branch, csv_file, run):
    path = csv_file(
        ["证券代码", "证券名称", "证券类别", "行业", "上市日期"],
        [
            ["600519", "贵州茅台", "股票", "白酒", "20010827"],
            ["000300", "沪深300", "指数", "", ""],
        ],
    )
    assert run("securities", path).rows_new == 2
    assert Security.objects.get(code="000300").kind == "index"
    assert Security.objects.get(code="600519").listed_on == dt.date(2001, 8, 27)


def test_clients_create_accounts_and_resolve_referrals_later_in_the_file(
    book, csv_file, run
):
    # given: C0010 is referred by C0011, who appears only further down
    header = [
        "客户号",
        "资金账号",
        "客户姓名",
        "客户类型",
        "性别",
        "开户日期",
        "客户经理",
        "推荐人",
        "盯盘时间",
        "现场客户",
        "关系层次",
        "风险承受能力",
    ]
    rows = [
        [
            "C0010",
            "880010",
            "张三",
            "个人",
            "男",
            "2020-01-02",
            "E0001",
            "C0011",
            "多",
            "是",
            "优先",
            "C4",
        ],
        [
            "C0010",
            "880011",
            "张三",
            "个人",
            "男",
            "2020-01-02",
            "E0001",
            "C0011",
            "多",
            "是",
            "优先",
            "C4",
        ],
        [
            "C0011",
            "880012",
            "某公司",
            "机构",
            "",
            "2019-05-06",
            "",
            "",
            "",
            "否",
            "",
            "",
        ],
        ["C0012", "", "潜在客户", "", "", "", "", "C0001", "", "", "", ""],
    ]
    # when
    batch = run("clients", csv_file(header, rows))
    # then
    assert batch.status == BatchStatus.DONE, batch.error_lines()
    assert (batch.rows_new, batch.rows_failed) == (4, 0)
    zhang = Client.objects.get(client_no="C0010")
    assert zhang.referred_by.client_no == "C0011"
    assert sorted(zhang.accounts.values_list("account_no", flat=True)) == [
        "880010",
        "880011",
    ]
    assert (zhang.gender, zhang.onsite, zhang.time_availability) == ("M", True, "high")
    assert (zhang.relationship_level, zhang.risk_level) == ("priority", "C4")
    assert zhang.advisor.employee_no == "E0001"
    company = Client.objects.get(client_no="C0011")
    assert (
        company.kind == "institution" and company.relationship_level == "intermediary"
    )
    prospect = Client.objects.get(client_no="C0012")
    assert prospect.opened_at is None and prospect.referred_by == book
    # re-import: nothing new
    again = run("clients", csv_file(header, rows))
    assert (again.rows_new, again.rows_skipped) == (0, 4)


def test_clients_bad_rows(book, csv_file, run):
    header = [
        "client_no",
        "account_no",
        "name",
        "advisor",
        "referred_by",
        "opened_at",
        "closed_at",
        "gender",
    ]
    batch = run(
        "clients",
        csv_file(
            header,
            [
                ["C0020", "880001", "a", "", "", "", "", ""],
                [
                    "C0021",
                    "880021",
                    "b",
                    "E9999",
                    "C9999",
                    "2021-01-01",
                    "2020-01-01",
                    "X",
                ],
            ],
        ),
    )
    assert batch.status == BatchStatus.REJECTED
    assert batch.error_lines() == [
        "line 2, account_no: account 880001 belongs to client C0001",
        "line 3, advisor: unknown advisor E9999",
        "line 3, closed_at: 2020-01-01 is before the opening date",
        'line 3, gender: "X" is not one of F, M',
        "line 3, referred_by: unknown client C9999",
    ]
    assert not Client.objects.filter(client_no__in=["C0020", "C0021"]).exists()


def test_clients_upsert_changes_only_given_cells(book, csv_file, run):
    path = csv_file(
        ["client_no", "name", "phone", "risk_level"],
        [["C0001", "新名字", "", "保守型"]],
    )
    batch = run("clients", path, mode="upsert")
    assert (batch.rows_updated, batch.rows_new) == (1, 0)
    book.refresh_from_db()
    assert (book.name, book.risk_level) == ("新名字", "C1")


def test_prices(book, csv_file, run):
    path = csv_file(
        ["日期", "证券代码", "收盘价"],
        [["2026-01-05", "600000", "10.12"], ["2026-01-06", "600000", "10.2"]],
    )
    assert run("prices", path).rows_new == 2
    assert Price.objects.get(date="2026-01-06").close == Decimal("10.2")
    bad = run(
        "prices", csv_file(["date", "code", "close"], [["2026-01-05", "600000", "-1"]])
    )
    assert bad.error_lines() == ['line 2, close: "-1" must not be negative']


def test_positions_key_on_the_branchs_account(book, other_branch, make, csv_file, run):
    # the same account number in another branch is a different account
    elsewhere = make.Client(branch=other_branch, client_no="X1")
    make.Account(client=elsewhere, account_no="880009")
    header = ["日期", "资金账号", "证券代码", "股份余额", "成本价", "市值"]
    rows = [
        ["2026-01-05", "880001", "600000", "1000", "9.5", "10120"],
        ["2026-01-05", "880001", "000001", "0", "", "0"],
    ]
    batch = run("positions", csv_file(header, rows))
    assert batch.rows_new == 2
    assert Position.objects.get(security__code="000001").cost_price is None
    again = run(
        "positions",
        csv_file(header, [*rows, ["2026-01-05", "880009", "600000", "1", "", "1"]]),
    )
    assert again.error_lines() == ["line 4, account_no: unknown account 880009"]
    dup = run("positions", csv_file(header, [rows[0], rows[0]]), partial=True)
    assert dup.error_lines() == ["line 3, date+account_no+code: duplicate of line 2"]
    assert dup.rows_skipped == 1


def test_balances(book, csv_file, run):
    header = ["日期", "资金账号", "资金余额", "证券市值", "总资产"]
    rows = [["2026-01-05", "880001", "-500.00", "10120", "9620"]]
    assert run("balances", csv_file(header, rows)).rows_new == 1
    assert Balance.objects.get().cash == Decimal("-500.00")
    upsert = run(
        "balances",
        csv_file(header, [["20260105", "880001", "0", "10120", "10120"]]),
        mode="upsert",
    )
    assert upsert.rows_updated == 1
    assert Balance.objects.get().total_assets == Decimal("10120")


def test_cashflows(book, csv_file, run):
    header = ["流水号", "日期", "资金账号", "业务类型", "发生金额"]
    rows = [
        ["F1", "2026-01-05", "880001", "银证转入", "50000"],
        ["F2", "2026-01-06", "880002", "转托管转出", "1000.5"],
    ]
    assert run("cashflows", csv_file(header, rows)).rows_new == 2
    assert CashFlow.objects.get(flow_id="F2").type == "custody_out"
    bad = run(
        "cashflows", csv_file(header, [["F3", "2026-01-05", "880001", "存款", "-1"]])
    )
    assert bad.error_lines() == [
        'line 2, amount: "-1" must not be negative',
        'line 2, type: "存款" is not one of custody_in, custody_out, deposit, withdrawal',
    ]


def test_interactions_fill_recommended_securities(book, csv_file, run):
    header = [
        "记录编号",
        "日期",
        "客户号",
        "员工编号",
        "方式",
        "时长(分钟)",
        "内容",
        "推荐证券",
    ]
    rows = [
        [
            "I1",
            "2026-01-05",
            "C0001",
            "E0001",
            "电话",
            "15",
            "=cmd|' /C calc'!A0",
            "600000;000001",
        ],
        ["I2", "2026-01-06", "C0001", "", "讲座活动", "", "", ""],
    ]
    batch = run("interactions", csv_file(header, rows))
    assert batch.status == BatchStatus.DONE, batch.error_lines()
    first = Interaction.objects.get(interaction_id="I1")
    assert sorted(first.recommended.values_list("code", flat=True)) == [
        "000001",
        "600000",
    ]
    assert first.summary == "=cmd|' /C calc'!A0"  # stored as text, never evaluated
    assert Interaction.objects.get(interaction_id="I2").minutes == 0
    bad = run(
        "interactions",
        csv_file(header, [["I3", "2026-01-05", "C9", "", "call", "1.5", "", "999999"]]),
    )
    assert bad.error_lines() == [
        "line 2, client_no: unknown client C9",
        'line 2, minutes: "1.5" is not a whole number',
        "line 2, recommended_codes: unknown security 999999",
    ]


def test_feedback(book, csv_file, run):
    header = ["编号", "日期", "客户号", "主题", "评分", "意见"]
    rows = [["FB1", "2026-01-05", "C0001", "满意度", "5", "很好"]]
    assert run("feedback", csv_file(header, rows)).rows_new == 1
    assert Feedback.objects.get().topic == "satisfaction"
    bad = run(
        "feedback",
        csv_file(header, [["FB2", "2026-01-05", "C0001", "研究方向", "6", ""]]),
    )
    assert bad.error_lines() == ['line 2, score: "6" must be at most 5']
    assert Account.objects.count() == 2


def test_numbers_too_large_for_their_column_are_bad_rows(book, csv_file, run):
    header = ["编号", "日期", "客户号", "主题", "评分"]
    bad = run(
        "feedback", csv_file(header, [["FB9", "2026-01-05", "C0001", "满意度", "1e30"]])
    )
    assert bad.error_lines() == [
        'line 2, score: "1e30" must be at most 5',
        'line 2, score: "1e30" is too large',
    ]


def test_a_cell_spanning_lines_keeps_the_line_numbers_true(book, tmp_path, run):
    # given: a summary over three lines, then a bad row on physical line 6
    path = tmp_path / "contacts.csv"
    path.write_text(
        "interaction_id,date,client_no,channel,summary\n"
        'I1,2026-01-05,C0001,call,"first line\nsecond line\nthird line"\n'
        "I2,2026-01-05,C0001,call,ok\n"
        "I3,2026-01-05,C0001,fax,bad channel\n",
        encoding="utf-8",
    )
    # when
    batch = run("interactions", path)
    # then
    assert batch.error_lines() == [
        'line 6, channel: "fax" is not one of call, complaint, email, message, '
        "seminar, survey, visit"
    ]
