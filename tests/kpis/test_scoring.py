"""SPEC §5 on a hand-built branch where every figure is worked out in advance."""

import datetime as dt
from decimal import Decimal

import numpy as np
import pandas as pd

from kpis.scoring import churn_rate_12m, kpi_table

E = dt.date(2026, 6, 20)
S = dt.date(2026, 6, 1)
NaN = np.nan


def _clients(rows):
    frame = pd.DataFrame.from_records(
        rows,
        columns=[
            "client_id",
            "advisor_id",
            "opened_at",
            "closed_at",
            "is_open",
            "segment",
            "tier",
            "maturity_stage",
            "assets",
            "return_90",
        ],
    ).set_index("client_id")
    frame["advisor_id"] = frame["advisor_id"].astype("Int64")
    for column in ("opened_at", "closed_at"):
        frame[column] = pd.to_datetime(frame[column])
    return frame


Y2020 = dt.date(2020, 1, 1)
CLIENTS = _clients(
    [
        # 1: advisor 1, core, contacted in the last 30 days
        (1, 1, Y2020, None, True, "core", "large", "current", 1_000_000.50, 0.1),
        # 2: advisor 1, opened this month, dormant, no return
        (2, 1, dt.date(2026, 6, 5), None, True, "dormant", "medium", "target", 2e5, NaN),
        # 3: advisor 1, closed this month (lost): money still counts, not open
        (3, 1, dt.date(2019, 1, 1), dt.date(2026, 6, 10), False, None, None,
         "potential", 0.0, NaN),
        # 4, 5: advisor 2 (same aum as advisor 1: a tie)
        (4, 2, Y2020, None, True, "core", "large", "current", 1_200_000.50, 0.2),
        (5, 2, Y2020, None, True, "precipitating", "small", "current", 0.0, -0.05),
        # 6: no advisor: the branch row only
        (6, None, Y2020, None, True, "maintaining", "small", "target", 50_000.0, 0.3),
        # 7: advisor 4, no core/dormant client: coverage null, ranks last
        (7, 4, Y2020, None, True, "maintaining", "small", "potential", 10.0, NaN),
    ]
)  # fmt: skip
ADVISORS = pd.DataFrame(
    {"advisor_id": [4, 2, 3, 1], "employee_no": ["E04", "E02", "E03", "E01"]}
)


def _frame(rows, columns):
    return pd.DataFrame.from_records(rows, columns=columns)


def _table(**overrides):
    inputs = {
        "clients": CLIENTS,
        "advisors": ADVISORS,
        "flows": _frame(
            [(1, 500_000), (3, -100_000), (5, -20_000), (6, 30_000)],
            ["client_id", "cents"],
        ),
        "commission": _frame(
            [(1, 10_000), (4, 10_000), (5, 5_025)], ["client_id", "cents"]
        ),
        "contacted": {1, 6},
        "minutes": _frame(
            [
                (1, 1, 30),  # advisor 1 on a core client
                (1, 5, 10),  # advisor 1 on advisor 2's precipitating client
                (2, 4, 20),
                (2, 2, 15),  # advisor 2 on advisor 1's dormant client
                (1, 3, 40),  # a client not open at E: left out
                (None, 6, 5),  # logged by no advisor: the branch only
                (4, 7, 7),
            ],
            ["advisor_id", "client_id", "minutes"],
        ),
        "flags_open": _frame(
            [(1, "OUTFLOW"), (2, "DORMANT"), (6, "LOSSES"), (4, "OUTFLOW")],
            ["client_id", "code"],
        ),
        "flags_resolved": _frame(
            [
                (1, "LOSSES", "retained", 3),
                (2, "OUTFLOW", "lost", 6),
                (4, "DORMANT", "not_a_risk", 10),
            ],
            ["client_id", "code", "outcome", "days"],
        ),
        "feedback": _frame(
            [(1, 5), (1, 4), (2, 4), (4, 3), (6, 1)], ["client_id", "score"]
        ),
        "start": S,
        "end": E,
    }
    inputs.update(overrides)
    return {row["employee_no"]: row for row in kpi_table(**inputs)}


def d(value):
    return Decimal(value)


def test_every_figure_of_every_row():
    rows = _table()

    assert list(rows) == ["E01", "E02", "E03", "E04", "*"]
    e01, e02, e03, e04, branch = (rows[k] for k in ["E01", "E02", "E03", "E04", "*"])

    # clients open at E; the closed client 3 is not one
    assert [r["clients"] for r in rows.values()] == [2, 2, 0, 1, 6]
    assert e01["aum"] == e02["aum"] == d("1200000.50")
    assert branch["aum"] == d("2450011.00")
    # a closed client's outflow still counts for its advisor
    assert e01["net_new_assets"] == d("4000.00")
    assert e02["net_new_assets"] == d("-200.00")
    assert branch["net_new_assets"] == d("4100.00")
    assert (e01["new_clients"], e01["lost_clients"]) == (1, 1)
    assert (branch["new_clients"], branch["lost_clients"]) == (1, 1)
    assert e01["commission"] == d("100.00")
    assert e02["commission"] == d("150.25")
    assert branch["commission"] == d("250.25")
    assert e01["avg_return_90"] == d("0.1000")
    assert e02["avg_return_90"] == d("0.0750")
    assert e04["avg_return_90"] is None
    assert branch["avg_return_90"] == d("0.1375")
    assert e01["contact_coverage"] == d("50.0")
    assert e02["contact_coverage"] == d("0.0")
    assert e04["contact_coverage"] is None
    assert branch["contact_coverage"] == d("33.3")
    # minutes by who logged them and the client's segment at E
    assert (
        e01["minutes_core_dormant"],
        e01["minutes_maintaining"],
        e01["minutes_precipitating"],
    ) == (30, 0, 10)
    assert (e02["minutes_core_dormant"], e02["minutes_precipitating"]) == (35, 0)
    assert e04["minutes_maintaining"] == 7
    assert (
        branch["minutes_core_dormant"],
        branch["minutes_maintaining"],
        branch["minutes_precipitating"],
    ) == (65, 12, 10)
    assert (e01["flags_open"], e02["flags_open"], branch["flags_open"]) == (2, 1, 4)
    assert (e01["flags_resolved"], e01["median_resolve_days"]) == (2, d("4.5"))
    assert (e02["flags_resolved"], e02["median_resolve_days"]) == (1, d("10.0"))
    assert (branch["flags_resolved"], branch["median_resolve_days"]) == (3, d("6.0"))
    assert e04["median_resolve_days"] is None
    assert e01["satisfaction"] == d("4.33")
    assert e02["satisfaction"] == d("3.00")
    assert e04["satisfaction"] is None
    assert branch["satisfaction"] == d("3.40")
    # one closed in E−364 … E over mean(6 open at E−365, 6 open at E)
    assert branch["churn_rate_12m"] == d("16.7")
    assert e01["churn_rate_12m"] is None
    assert branch["mix"]["segment"] == {
        "core": 2,
        "dormant": 1,
        "maintaining": 2,
        "precipitating": 1,
    }
    assert branch["mix"]["flags_open"] == {"OUTFLOW": 2, "DORMANT": 1, "LOSSES": 1}
    assert e01["mix"]["maturity_stage"] == {"current": 1, "target": 1, "potential": 1}


def test_ranks_share_the_best_place_and_a_null_coverage_is_last():
    rows = _table()

    ranks = {
        k: (r["rank_aum"], r["rank_commission"], r["rank_net_new_assets"])
        for k, r in rows.items()
    }
    assert ranks["E01"] == (1, 2, 1)
    assert ranks["E02"] == (1, 1, 3)
    assert ranks["E04"] == (3, 3, 2)
    # no client: no rank; the branch row has none either
    assert ranks["E03"] == ranks["*"] == (None, None, None)
    coverage = {k: r["rank_contact_coverage"] for k, r in rows.items()}
    assert coverage == {"E01": 1, "E02": 2, "E03": None, "E04": 3, "*": None}


def test_two_null_coverages_share_the_last_place():
    clients = CLIENTS.copy()
    clients.loc[4, "segment"] = "maintaining"
    clients.loc[2, "segment"] = "maintaining"

    rows = _table(clients=clients)

    assert rows["E02"]["contact_coverage"] is None
    assert rows["E04"]["contact_coverage"] is None
    assert rows["E01"]["rank_contact_coverage"] == 1
    assert rows["E02"]["rank_contact_coverage"] == 2
    assert rows["E04"]["rank_contact_coverage"] == 2


def test_empty_month_gives_zeros_and_nulls():
    empty = {
        "flows": _frame([], ["client_id", "cents"]),
        "commission": _frame([], ["client_id", "cents"]),
        "contacted": set(),
        "minutes": _frame([], ["advisor_id", "client_id", "minutes"]),
        "flags_open": _frame([], ["client_id", "code"]),
        "flags_resolved": _frame([], ["client_id", "code", "outcome", "days"]),
        "feedback": _frame([], ["client_id", "score"]),
    }

    rows = _table(**empty)

    branch = rows["*"]
    assert branch["commission"] == d("0.00")
    assert branch["net_new_assets"] == d("0.00")
    assert branch["contact_coverage"] == d("0.0")
    assert branch["satisfaction"] is None
    assert branch["median_resolve_days"] is None
    assert (branch["flags_open"], branch["flags_resolved"]) == (0, 0)
    assert branch["minutes_core_dormant"] == 0


def test_churn_rate_is_null_without_open_clients():
    clients = CLIENTS.iloc[0:0]

    assert churn_rate_12m(clients, E) is None
