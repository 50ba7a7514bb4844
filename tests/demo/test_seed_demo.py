"""`seed_demo`: a deterministic demo branch in which every rule of SPEC §3 fires.

Generation is pure (numpy), so most checks run on the generated frames; a few run the
command against the database (small sizes: 60 clients over 120 days).
"""

import datetime as dt
import filecmp

import numpy as np
import pandas as pd
import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection

from advisors.models import Advisor, Branch, Role, User
from clients.models import (
    Account,
    Balance,
    CashFlow,
    Client,
    Interaction,
    Position,
    Price,
    Security,
    Task,
    Trade,
    TradeDay,
)
from clients.selectors import client_scope
from demo import DemoConfig, generate
from demo.export import export_frames
from loyalty.models import PointsEntry

END = dt.date(2026, 11, 20)
SMALL = ["--clients", "60", "--days", "120", "--end", END.isoformat()]

CANONICAL_HEADERS = {
    "advisors": "employee_no,name,team,role,email",
    "clients": "client_no,account_no,name,kind,gender,birth_date,id_number,phone,"
    "opened_at,closed_at,advisor,referred_by,investing_since,time_availability,onsite,"
    "relationship_level,risk_level",
    "securities": "code,name,kind,industry,listed_on",
    "prices": "date,code,close",
    "trades": "trade_id,trade_date,account_no,code,name,side,quantity,price,amount,"
    "commission,stamp_tax,transfer_fee,other_fees",
    "positions": "date,account_no,code,quantity,cost_price,market_value",
    "balances": "date,account_no,cash,market_value,total_assets",
    "cashflows": "flow_id,date,account_no,type,amount",
    "interactions": "interaction_id,date,client_no,advisor,channel,minutes,summary,"
    "recommended_codes",
    "feedback": "feedback_id,date,client_no,topic,score,comment",
}


@pytest.fixture(scope="module")
def data():
    return generate(DemoConfig(end=END, clients=60, days=120))


@pytest.fixture(scope="module")
def fired(data):
    return rules_fired(data)


def _at_or_before(balances: pd.DataFrame, day: int) -> pd.Series:
    """Client assets at the latest balance on or before `day` (summed over accounts)."""
    rows = balances[balances["day"] <= day]
    last = rows.groupby("account")["day"].transform("max") == rows["day"]
    return rows[last].groupby("client")["total_assets"].sum()


def rules_fired(data) -> dict[str, set[int]]:
    days = pd.Series(data.days)
    ordinals = np.array([d.toordinal() for d in data.days])
    end = data.config.end

    def idx_on_or_before(day: dt.date) -> int:
        return int(np.searchsorted(ordinals, day.toordinal(), side="right")) - 1

    def idx_on_or_after(day: dt.date) -> int:
        return int(np.searchsorted(ordinals, day.toordinal(), side="left"))

    D = len(days) - 1
    acc_client = data.accounts["client"].to_numpy()
    clients = data.clients
    open_now = clients["opened_at"].notna() & clients["closed_at"].isna()
    open_rows = set(np.flatnonzero(open_now.to_numpy()).tolist())
    bal = data.balances.assign(client=acc_client[data.balances["account"]])
    trades = data.trades.assign(client=acc_client[data.trades["account"]])
    flows = data.cashflows.assign(client=acc_client[data.cashflows["account"]])
    pos = data.positions.assign(client=acc_client[data.positions["account"]])

    assets = _at_or_before(bal, D)
    ago90 = idx_on_or_before(end - dt.timedelta(days=90))
    assets_90 = _at_or_before(bal, ago90) if ago90 >= 0 else pd.Series(dtype=float)
    ago30 = idx_on_or_before(end - dt.timedelta(days=30))
    assets_30 = _at_or_before(bal, ago30)
    w90 = idx_on_or_after(end - dt.timedelta(days=89))
    w30 = idx_on_or_after(end - dt.timedelta(days=29))
    sign = flows["type"].map(
        {"deposit": 1, "custody_in": 1, "withdrawal": -1, "custody_out": -1}
    )
    flows = flows.assign(signed=sign * flows["amount"])
    net30 = flows[flows["day"] >= w30].groupby("client")["signed"].sum()
    net90 = flows[flows["day"] >= w90].groupby("client")["signed"].sum()
    frame = pd.DataFrame({"assets": assets, "a90": assets_90, "a30": assets_30})
    frame["net30"] = net30
    frame["net90"] = net90
    frame = frame.fillna({"net30": 0, "net90": 0})
    denominator = frame["a90"] + 0.5 * frame["net90"]
    frame["ret"] = (
        frame["assets"] - frame["a90"] - frame["net90"]
    ) / denominator.where(denominator > 0)
    bench_row = int(np.flatnonzero(data.securities["kind"] == "index")[0])
    closes = data.prices[data.prices["security"] == bench_row].set_index("day")["close"]
    benchmark = (
        closes.loc[D] / closes.loc[closes.index[closes.index <= ago90].max()] - 1
    )
    t90 = trades[trades["day"] >= w90]
    frame["amount90"] = t90.groupby("client")["amount"].sum()
    frame["trades90"] = t90.groupby("client").size()
    frame["avg90"] = bal[bal["day"] >= w90].groupby("client")["total_assets"].mean()
    frame = frame.fillna({"amount90": 0, "trades90": 0})
    frame["turnover"] = (frame["amount90"] / frame["avg90"]).fillna(0)

    fired: dict[str, set[int]] = {}
    custody30 = set(
        flows[(flows["type"] == "custody_out") & (flows["day"] >= w30)]["client"]
    )
    big_out = frame[
        (frame["net30"] <= -0.5 * frame["a30"]) & (frame["net30"] <= -5_000_000)
    ]
    fired["OUTFLOW"] = (custody30 | set(big_out.index)) & open_rows
    fired["OUTFLOW_net"] = set(big_out.index) & open_rows
    fired["OUTFLOW_custody"] = custody30 & open_rows
    fired["LOSSES"] = (
        set(
            frame[
                (frame["ret"] <= -0.2) & (frame["assets"] <= 0.7 * frame["a90"])
            ].index
        )
        & open_rows
    )
    q60 = idx_on_or_after(end - dt.timedelta(days=59))
    hi = idx_on_or_before(end - dt.timedelta(days=91))
    active = trades.drop_duplicates(["client", "day"])
    early = active[active["day"] <= hi].groupby("client").size()
    late = set(active[active["day"] >= q60]["client"])
    fired["DORMANT"] = (set(early[early >= 3].index) - late) & open_rows
    it = data.interactions
    w90_date = end - dt.timedelta(days=89)
    complaints = set(
        it[(it["channel"] == "complaint") & (it["date"] >= w90_date)]["client"]
    )
    fb = data.feedback
    fb180 = (
        fb[fb["date"] >= end - dt.timedelta(days=179)].groupby("client")["score"].mean()
    )
    fired["DISSATISFIED"] = (complaints | set(fb180[fb180 <= 2].index)) & open_rows

    last_pos = pos[pos["day"] == pos.groupby("account")["day"].transform("max")]
    last_pos = last_pos[last_pos["day"] == D]
    share = last_pos["market_value"] / last_pos["client"].map(frame["assets"])
    fired["CONCENTRATION"] = set(last_pos[share >= 0.5]["client"]) & open_rows
    below = (
        last_pos["market_value"] <= 0.85 * last_pos["quantity"] * last_pos["cost"] / 100
    )
    fired["DRAWDOWN"] = set(last_pos[(share >= 0.2) & below]["client"]) & open_rows

    buys = t90[t90["side"] == "B"]
    listed = data.securities["listed_on"].to_numpy()
    buy_dates = days.to_numpy()[buys["day"]]
    new = np.array(
        [
            (d - listed[s]).days < 365
            for d, s in zip(buy_dates, buys["security"], strict=True)
        ],
        dtype=bool,
    )
    new_share = (
        buys[new].groupby("client")["amount"].sum()
        / buys.groupby("client")["amount"].sum()
    )
    fired["NEW_ISSUE"] = set(new_share[new_share >= 0.3].index) & open_rows
    recs = [
        (row.client, row.date, s)
        for row in it.itertuples(index=False)
        for s in row.recommended
    ]
    rec = pd.DataFrame(recs, columns=["client", "date", "security"])
    merged = buys.assign(date=buy_dates).merge(
        rec, on=["client", "security"], suffixes=("", "_rec")
    )
    lag = (merged["date"] - merged["date_rec"]).map(lambda x: x.days)
    followed = merged[(lag >= 1) & (lag <= 5)].drop_duplicates("trade_id")
    info_share = (
        followed.groupby("client")["amount"].sum()
        / buys.groupby("client")["amount"].sum()
    )
    enough = set(frame[frame["trades90"] >= 3].index)
    fired["INFO_DEPENDENT"] = (
        set(info_share[info_share >= 0.5].index) & open_rows & enough
    )
    excess = frame["ret"] - benchmark
    fired["BLIND"] = (
        set(frame[(excess <= -0.1) & (frame["turnover"] >= 1)].index)
        & open_rows
        & enough
    ) - fired["INFO_DEPENDENT"]
    fired["HIGH_TURNOVER"] = set(frame[frame["turnover"] >= 3].index) & open_rows
    referred = clients[clients["referred_by"] >= 0]
    this_year = referred["opened_at"].map(lambda d: d > end - dt.timedelta(days=365))
    fired["REFERRER"] = set(referred[this_year]["referred_by"]) & open_rows
    reached = referred.index[
        referred.index.map(lambda c: assets.get(c, 0) >= 1_000_000)
    ]
    fired["REFERRAL_10K"] = set(reached.tolist())
    fired["PROSPECT"] = set(
        np.flatnonzero(clients["opened_at"].isna().to_numpy()).tolist()
    )
    fired["CLOSED"] = set(
        np.flatnonzero(clients["closed_at"].notna().to_numpy()).tolist()
    )
    fired["NEW_CLIENT_90"] = set(
        np.flatnonzero(
            clients["opened_at"]
            .map(lambda d: d is not None and d >= w90_date)
            .to_numpy()
        ).tolist()
    )
    tiers = pd.cut(
        frame.loc[list(open_rows & set(frame.index)), "assets"],
        [-1, 1e7, 1e8, 5e8, 1e14],
        labels=["small", "medium", "large", "special"],
    )
    for tier in ["small", "medium", "large", "special"]:
        fired[f"TIER_{tier}"] = set(tiers[tiers == tier].index)
    fired["INSTITUTION_LARGE"] = set(
        tiers[tiers.isin(["large", "special"])].index
    ) & set(np.flatnonzero((clients["kind"] == "institution").to_numpy()).tolist())
    for channel in ["call", "visit", "email", "message", "seminar", "survey"]:
        fired[f"CHANNEL_{channel}"] = set(it[it["channel"] == channel]["client"])
    for kind in ["deposit", "withdrawal", "custody_in", "custody_out"]:
        fired[f"FLOW_{kind}"] = set(flows[flows["type"] == kind]["client"])
    fired["_benchmark"] = {round(benchmark * 100)}
    return fired


# --- pure generation ---------------------------------------------------------------


def test_same_config_gives_the_same_data(data):
    again = generate(DemoConfig(end=END, clients=60, days=120))
    for kind, frame in export_frames(data).items():
        pd.testing.assert_frame_equal(frame, export_frames(again)[kind], obj=kind)


def test_another_seed_gives_other_data(data):
    other = generate(DemoConfig(end=END, clients=60, days=120, seed=7))
    assert not export_frames(data)["trades"].equals(export_frames(other)["trades"])


@pytest.mark.parametrize(
    "rule",
    [
        "OUTFLOW_net",
        "OUTFLOW_custody",
        "LOSSES",
        "DORMANT",
        "DISSATISFIED",
        "CONCENTRATION",
        "DRAWDOWN",
        "NEW_ISSUE",
        "INFO_DEPENDENT",
        "BLIND",
        "HIGH_TURNOVER",
        "REFERRER",
        "REFERRAL_10K",
        "PROSPECT",
        "CLOSED",
        "NEW_CLIENT_90",
        "TIER_small",
        "TIER_medium",
        "TIER_large",
        "TIER_special",
        "INSTITUTION_LARGE",
        "CHANNEL_call",
        "CHANNEL_visit",
        "CHANNEL_email",
        "CHANNEL_message",
        "CHANNEL_seminar",
        "CHANNEL_survey",
        "FLOW_deposit",
        "FLOW_withdrawal",
        "FLOW_custody_in",
        "FLOW_custody_out",
    ],
)
def test_every_rule_fires_for_some_client(fired, rule):
    assert fired[rule], f"{rule} fires for no client"


def test_client_attributes_cover_the_classifications(data):
    clients = data.clients
    assert {"individual", "institution", "broker_introduced"} <= set(clients["kind"])
    levels = set(clients["relationship_level"])
    assert {"intermediary", "priority", "partnership", "alliance"} <= levels
    assert {"C1", "C2", "C3", "C4", "C5", ""} <= set(clients["risk_level"])
    assert (clients["household"] >= 0).sum() >= 4
    cutoff = END - dt.timedelta(days=730)
    since = clients["investing_since"].dropna()
    assert (since > cutoff).any() and (since <= cutoff).any()
    # every advisor has a book; the demo advisor (the first) has 18% of the clients
    books = clients["advisor"].value_counts()
    assert books[0] >= 0.15 * 60
    assert set(range(8)) <= set(books.index)


def test_trades_are_consistent(data):
    t = data.trades
    assert t["trade_id"].is_unique
    assert (t["quantity"] % 100 == 0).all() and (t["quantity"] > 0).all()
    assert (t["amount"] == t["quantity"] * t["price"] // 10).all()
    assert (t["amount"] * 10 == t["quantity"] * t["price"]).all()  # exact cents
    assert (t["commission"] >= 500).all()
    rate = t["commission"] / t["amount"]
    assert rate[t["amount"] > 5_000_000].between(0.00019, 0.00031).all()
    assert (t.loc[t["side"] == "B", "stamp_tax"] == 0).all()
    assert (t.loc[t["side"] == "S", "stamp_tax"] > 0).any()
    fees = t[["commission", "stamp_tax", "transfer_fee", "other_fees"]]
    assert (fees >= 0).all().all()
    assert set(t["side"]) == {"B", "S"}


def test_balances_add_up_and_match_positions(data):
    b, p = data.balances, data.positions
    assert (b["total_assets"] == b["cash"] + b["market_value"]).all()
    assert (b["cash"] >= 0).all()
    # every weekday for every open account
    assert not b.duplicated(["day", "account"]).any()
    closes = data.prices.set_index(["security", "day"])["close"]
    close = closes.loc[list(zip(p["security"], p["day"], strict=True))].to_numpy()
    assert (p["market_value"] * 10 == p["quantity"] * close).all()
    held = p.groupby(["day", "account"])["market_value"].sum()
    on_snapshot = b.set_index(["day", "account"]).loc[held.index, "market_value"]
    assert (on_snapshot == held).all()
    last_day = len(data.days) - 1
    assert (p["day"] == last_day).any()


def test_prices_on_every_weekday_for_the_index_and_stocks(data):
    sec = data.securities
    assert len(sec[sec["kind"] == "stock"]) >= 290
    assert {"bond", "fund", "index"} <= set(sec["kind"])
    index_row = int(np.flatnonzero(sec["code"] == "000300")[0])
    assert sec.loc[index_row, "kind"] == "index"
    per_security = data.prices.groupby("security").size()
    assert per_security[index_row] == len(data.days)
    old = sec["listed_on"] < data.days[0]
    assert (per_security[np.flatnonzero(old)] == len(data.days)).all()
    assert all(d.weekday() < 5 for d in data.days)


# --- the command and the database ----------------------------------------------------


@pytest.mark.django_db
def test_seed_demo_twice_replaces_the_branch_and_exports_identical_files(
    tmp_path, make
):
    # given a seeded branch, with a task someone raised on one of its clients
    call_command("seed_demo", *SMALL, "--export", str(tmp_path / "one"))
    branch = Branch.objects.get(code="DEMO")
    counts = {
        model: model.objects.count()
        for model in (Client, Account, Trade, Position, Balance, CashFlow, Interaction)
    }
    client = Client.objects.filter(branch=branch).first()
    Task.objects.create(branch=branch, client=client, kind="manual", title="Call back")
    # when it is seeded again with the same arguments
    call_command("seed_demo", *SMALL, "--export", str(tmp_path / "two"))
    # then nothing is duplicated
    for model, count in counts.items():
        assert model.objects.count() == count, model.__name__
    assert Security.objects.filter(code="000300").count() == 1
    # and the exported files are byte for byte the same
    files = sorted(p.name for p in (tmp_path / "one").iterdir())
    assert files == sorted(f"{kind}.csv" for kind in CANONICAL_HEADERS)
    match, mismatch, errors = filecmp.cmpfiles(
        tmp_path / "one", tmp_path / "two", files, shallow=False
    )
    assert mismatch == [] and errors == []


@pytest.mark.django_db
def test_reseeding_clears_the_points_ledger_where_the_database_allows_it():
    # given a seeded branch whose clients earned points
    call_command("seed_demo", *SMALL)
    branch = Branch.objects.get(code="DEMO")
    client = Client.objects.filter(branch=branch).first()
    PointsEntry.objects.create(
        branch=branch, client=client, delta=50, kind="activity", dated=END,
        idempotency_key="test-seminar-1",
    )  # fmt: skip
    if connection.vendor == "postgresql":
        # then PostgreSQL's append-only ledger refuses, and the seeder says so
        with pytest.raises(CommandError, match="cannot be replaced.*append-only"):
            call_command("seed_demo", *SMALL)
        assert PointsEntry.objects.filter(branch=branch).count() == 1
    else:
        # then the demo database (SQLite) replaces the branch, points and all
        call_command("seed_demo", *SMALL)
        assert not PointsEntry.objects.filter(branch=branch).exists()
        assert Client.objects.filter(branch=branch).count() == 60


@pytest.mark.django_db
def test_seeded_database_holds_every_pattern(tmp_path, capsys):
    # when
    call_command("seed_demo", *SMALL, "--export", str(tmp_path))
    out = capsys.readouterr().out
    # then the summary names the tables, the URL and the logins
    assert "http://127.0.0.1:8000/" in out and "demo-advisor" in out
    assert "balances" in out
    branch = Branch.objects.get(code="DEMO")
    clients = Client.objects.filter(branch=branch)
    assert clients.count() == 60
    assert clients.filter(opened_at__isnull=True).exists()  # a prospect
    assert clients.filter(closed_at__isnull=False).exists()
    assert clients.filter(opened_at__gte=END - dt.timedelta(days=89)).exists()
    assert clients.filter(referred_by__isnull=False).exists()
    assert clients.filter(household__isnull=False).exists()
    assert CashFlow.objects.filter(
        branch=branch, type="custody_out", date__gte=END - dt.timedelta(days=29)
    ).exists()
    assert Interaction.objects.filter(
        branch=branch, channel="complaint", date__gte=END - dt.timedelta(days=89)
    ).exists()
    assert Interaction.objects.filter(branch=branch, recommended__isnull=False).exists()
    index = Security.objects.get(code="000300")
    assert index.kind == "index"
    assert Price.objects.filter(security=index).count() == len(
        [d for d in pd.date_range(END - dt.timedelta(days=119), END) if d.weekday() < 5]
    )
    last = Balance.objects.filter(account__branch=branch, date=END)
    big = {b.account_id: b.total_assets for b in last}
    concentrated = [
        p
        for p in Position.objects.filter(account__branch=branch, date=END)
        if big.get(p.account_id) and p.market_value >= big[p.account_id] / 2
    ]
    assert concentrated
    assert TradeDay.objects.filter(account__branch=branch).count() == (
        Trade.objects.filter(branch=branch)
        .values("account", "trade_date")
        .distinct()
        .count()
    )
    # and the export has the canonical headers of SPEC §2
    for kind, header in CANONICAL_HEADERS.items():
        first = (tmp_path / f"{kind}.csv").read_text(encoding="utf-8").split("\n")[0]
        assert first == header, kind
    exported = pd.read_csv(tmp_path / "trades.csv", dtype=str)
    assert len(exported) == Trade.objects.filter(branch=branch).count()
    clients_csv = pd.read_csv(
        tmp_path / "clients.csv", dtype=str, keep_default_na=False
    )
    prospects = clients.filter(opened_at__isnull=True).count()
    accounts = Account.objects.filter(branch=branch).count()
    assert len(clients_csv) == accounts + prospects  # one row per account
    assert set(clients_csv["onsite"]) == {"Y", "N"}
    assert set(clients_csv["account_no"]) - {""} == set(
        Account.objects.filter(branch=branch).values_list("account_no", flat=True)
    )


@pytest.mark.django_db
def test_demo_logins_work_and_see_their_scope(client):
    # given
    call_command("seed_demo", *SMALL)
    branch = Branch.objects.get(code="DEMO")
    # then each demo login signs in with the password "demo"
    for username in ("demo-advisor", "demo-manager", "demo-admin", "demo-hq"):
        # through the sign-in page, as a person does (and as django-axes counts)
        response = client.post("/login/", {"username": username, "password": "demo"})
        assert response.status_code == 302, username
        client.logout()
    advisor_user = User.objects.get(username="demo-advisor")
    book = Advisor.objects.get(branch=branch, employee_no="E001")
    assert book.user == advisor_user
    # the demo advisor sees their book only, the manager the whole branch
    mine = set(client_scope(advisor_user).values_list("pk", flat=True))
    assert mine == set(Client.objects.filter(advisor=book).values_list("pk", flat=True))
    assert 0 < len(mine) < Client.objects.filter(branch=branch).count()
    manager = User.objects.get(username="demo-manager")
    assert manager.role == Role.MANAGER and manager.branch == branch
    assert client_scope(manager).count() == 60
    admin = User.objects.get(username="demo-admin")
    assert admin.is_staff and not admin.is_superuser and admin.role == Role.ADMIN
    hq = User.objects.get(username="demo-hq")
    assert hq.role == Role.HEAD_OFFICE and hq.branch is None
    # and one hash was computed and shared
    assert (
        len({u.password for u in User.objects.filter(username__startswith="demo-")})
        == 1
    )


@pytest.mark.django_db
def test_seed_demo_refuses_bad_arguments():
    with pytest.raises(CommandError, match="at least"):
        call_command("seed_demo", "--clients", "5", "--days", "120")
    with pytest.raises(CommandError, match="not a date"):
        call_command("seed_demo", "--end", "2026-13-01")
    assert not Client.objects.exists()
