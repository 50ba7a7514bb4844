import datetime as dt

from loyalty.fifo import ClientPoints, expiries_due

D1, D2, D3 = dt.date(2026, 1, 1), dt.date(2026, 2, 1), dt.date(2026, 3, 1)


def test_what_was_not_spent_expires_oldest_first():
    # 100 expiring on D1, 100 on D2; 150 spent before D1: D1's lot is gone, 50 of D2's
    points = ClientPoints(lots={D1: 100, D2: 100}, spent={dt.date(2025, 6, 1): 150})
    assert expiries_due(points) == {D2: 50}


def test_spending_after_an_expiry_day_does_not_save_that_lot():
    points = ClientPoints(lots={D1: 100, D2: 100}, spent={D1: 80})
    assert expiries_due(points) == {D1: 100, D2: 20}


def test_recorded_expiries_are_not_owed_twice():
    points = ClientPoints(lots={D1: 100, D2: 100}, expired={D1: 100})
    assert expiries_due(points) == {D2: 100}


def test_sums_before_the_window_stand_for_the_days_before_it():
    whole = ClientPoints(
        lots={D1: 100, D2: 100, D3: 100}, spent={D1: 30}, expired={D1: 100}
    )
    window = ClientPoints(
        lots_before=100,
        spent_before=30,
        expired_before=100,
        lots={D2: 100, D3: 100},
    )
    assert expiries_due(whole) == expiries_due(window) == {D2: 70, D3: 100}


def test_the_balance_caps_what_expires():
    points = ClientPoints(lots={D1: 100, D2: 100})
    assert expiries_due(points, available=120) == {D1: 100, D2: 20}
