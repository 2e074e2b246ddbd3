"""Late-payment interest arithmetic (relance_impayes/tools/interest.py), without Odoo nor database.

The module is loaded from its file: importing the addon package would need Odoo. Figures are those
of the Odoo tests (relance_impayes/tests/test_relance_penalties.py), computed by hand: interest =
base x rate / 100 x days / 365 on each day d with start < d <= end.
"""

import importlib.util
from datetime import date
from pathlib import Path

import pytest

PATH = Path(__file__).resolve().parent.parent / "relance_impayes" / "tools" / "interest.py"
spec = importlib.util.spec_from_file_location("relance_tools_interest", PATH)
interest = importlib.util.module_from_spec(spec)
spec.loader.exec_module(interest)

# the shipped table (LEGAL_FR.md §4): ECB + 10 points
LEGAL = {(2025, 1): 13.15, (2025, 2): 12.15, (2026, 1): 12.15}


def _summary(periods):
    return [
        (p["date_from"], p["date_to"], p["days"], p["base"], p["rate"], p["half_year"], round(p["interest"], 2))
        for p in periods
    ]


def test_module_needs_no_odoo():
    source = PATH.read_text(encoding="utf-8")
    assert "import odoo" not in source and "from odoo" not in source


def test_period_straddling_1_july_is_split_at_each_half_year_rate():
    periods = interest.interest_periods(
        date(2025, 6, 15), date(2025, 7, 15), 10000.0, [], interest.rate_lookup(LEGAL), "legal"
    )
    # 16/06 -> 30/06: 10 000 x 13.15 % x 15 / 365 = 54.0411 ; 01/07 -> 15/07: 10 000 x 12.15 % x 15 / 365 = 49.9315
    assert _summary(periods) == [
        (date(2025, 6, 16), date(2025, 6, 30), 15, 10000.0, 13.15, "2025-H1", 54.04),
        (date(2025, 7, 1), date(2025, 7, 15), 15, 10000.0, 12.15, "2025-H2", 49.93),
    ]
    assert periods[0]["interest"] == pytest.approx(54.0411, abs=1e-4)
    assert periods[1]["interest"] == pytest.approx(49.9315, abs=1e-4)
    assert not any(p["fallback"] for p in periods)
    assert {p["rate_kind"] for p in periods} == {"legal"}


def test_periods_cut_at_new_year_and_after_each_payment():
    lookup = interest.rate_lookup({(2024, 2): 14.25, (2025, 1): 13.15})
    events = [(date(2025, 1, 5), 600.0), (date(2024, 12, 25), 400.0)]
    periods = interest.interest_periods(date(2024, 12, 20), date(2025, 1, 10), 1000.0, events, lookup, "legal")
    # 21/12 -> 25/12: 1 000 x 14.25 % x 5 / 365 = 1.9521 (paid 400 on the 25th: it still bears that day)
    # 26/12 -> 31/12:   600 x 14.25 % x 6 / 365 = 1.4055
    # 01/01 -> 05/01:   600 x 13.15 % x 5 / 365 = 1.0808, then nothing is left to pay
    assert [(p["date_from"], p["days"], p["base"], p["rate"]) for p in periods] == [
        (date(2024, 12, 21), 5, 1000.0, 14.25),
        (date(2024, 12, 26), 6, 600.0, 14.25),
        (date(2025, 1, 1), 5, 600.0, 13.15),
    ]
    assert sum(p["interest"] for p in periods) == pytest.approx(1.9521 + 1.4055 + 1.0808, abs=1e-3)
    assert interest.days_late(date(2024, 12, 20), date(2025, 1, 10), 1000.0, events) == 16
    assert interest.settlement_date(1000.0, events) == date(2025, 1, 5)
    assert interest.unpaid_at(1000.0, events, date(2024, 12, 31)) == 600.0


def test_period_across_a_whole_year_has_one_period_per_half_year():
    periods = interest.interest_periods(
        date(2025, 3, 31), date(2026, 3, 31), 1000.0, [], interest.rate_lookup(LEGAL), "legal"
    )
    assert [(p["half_year"], p["days"]) for p in periods] == [("2025-H1", 91), ("2025-H2", 184), ("2026-H1", 90)]
    # 1 000 x (13.15 x 91 + 12.15 x 184 + 12.15 x 90) / 100 / 365 = 32.7847 + 61.2493 + 29.9589
    assert [round(p["interest"], 2) for p in periods] == [32.78, 61.25, 29.96]


def test_missing_half_year_falls_back_to_the_latest_known_rate_and_says_so():
    lookup = interest.rate_lookup(LEGAL)
    periods = interest.interest_periods(date(2026, 6, 15), date(2026, 7, 15), 10000.0, [], lookup, "legal")
    assert [(p["half_year"], p["fallback"], p["fallback_half_year"]) for p in periods] == [
        ("2026-H1", False, False),
        ("2026-H2", True, "2026-H1"),
    ]
    assert [round(p["interest"], 2) for p in periods] == [49.93, 49.93]
    assert lookup((2024, 1)) == (13.15, (2025, 1)), "before any known half-year: the earliest known rate"
    assert interest.rate_lookup({})((2024, 1)) == (None, None)


def test_contract_rate_is_flat_and_nothing_runs_before_the_due_date():
    periods = interest.interest_periods(
        date(2025, 6, 15), date(2025, 7, 15), 10000.0, [], interest.flat_rate(15.0), "contract"
    )
    # 10 000 x 15 % x 30 / 365 = 123.2877, split at 1 July all the same
    assert [p["rate"] for p in periods] == [15.0, 15.0]
    assert sum(p["interest"] for p in periods) == pytest.approx(123.2877, abs=1e-4)
    assert interest.interest_periods(date(2025, 7, 15), date(2025, 7, 15), 100.0, [], interest.flat_rate(15), "x") == []
    assert interest.days_late(date(2025, 7, 15), date(2025, 7, 1), 100.0, []) == 0


def test_half_years():
    assert interest.half_year_of(date(2025, 6, 30)) == (2025, 1)
    assert interest.half_year_of(date(2025, 7, 1)) == (2025, 2)
    assert interest.half_year_label((2025, 2)) == "2025-H2"
    assert interest.half_year_start((2025, 2)) == date(2025, 7, 1)
    assert interest.next_half_year_start(date(2025, 12, 31)) == date(2026, 1, 1)


# ----------------------------------------------------------------------
# Instalments and the contract floor
# ----------------------------------------------------------------------
def test_instalments_each_bear_interest_from_their_own_due_date():
    # 10 000 invoiced 01/05/2025, 50 % due 31/05 and 50 % due 30/06, computed 31/07/2025:
    # first: 5 000 x 13.15 % x 30 / 365 = 54.0411 (June) + 5 000 x 12.15 % x 31 / 365 = 51.5959 (July)
    # second: 5 000 x 12.15 % x 31 / 365 = 51.5959; 157.24 once each period is rounded to the cent
    instalments = [(date(2025, 6, 30), 5000.0, []), (date(2025, 5, 31), 5000.0, [])]
    periods = interest.instalment_periods(instalments, date(2025, 7, 31), interest.rate_lookup(LEGAL), "legal")
    assert [(p["date_due"], p["date_from"], p["days"], p["rate"], round(p["interest"], 2)) for p in periods] == [
        (date(2025, 5, 31), date(2025, 6, 1), 30, 13.15, 54.04),
        (date(2025, 5, 31), date(2025, 7, 1), 31, 12.15, 51.60),
        (date(2025, 6, 30), date(2025, 7, 1), 31, 12.15, 51.60),
    ]
    assert sum(round(p["interest"], 2) for p in periods) == pytest.approx(157.24, abs=1e-9)
    assert interest.instalments_days_late(instalments, date(2025, 7, 31)) == 61
    assert interest.instalments_unpaid_at(instalments, date(2025, 7, 31)) == 10000.0


def test_paid_instalment_stops_at_its_payment_and_one_due_date_is_the_plain_case():
    events = [(date(2025, 6, 10), 5000.0)]
    instalments = [(date(2025, 5, 31), 5000.0, events), (date(2025, 6, 30), 5000.0, [])]
    periods = interest.instalment_periods(instalments, date(2025, 7, 31), interest.rate_lookup(LEGAL), "legal")
    # 01/06 -> 10/06: 5 000 x 13.15 % x 10 / 365 = 18.0137
    assert [(p["date_due"], p["days"], round(p["interest"], 2)) for p in periods] == [
        (date(2025, 5, 31), 10, 18.01),
        (date(2025, 6, 30), 31, 51.60),
    ]
    assert interest.instalments_days_late(instalments, date(2025, 6, 20)) == 10, "first paid 10 days late"
    single = interest.instalment_periods(
        [(date(2025, 6, 15), 10000.0, [])], date(2025, 7, 15), interest.rate_lookup(LEGAL), "legal"
    )
    plain = interest.interest_periods(
        date(2025, 6, 15), date(2025, 7, 15), 10000.0, [], interest.rate_lookup(LEGAL), "legal"
    )
    assert [{k: v for k, v in p.items() if k != "date_due"} for p in single] == plain


def test_instalments_of_a_consumer_run_from_the_formal_notice():
    instalments = [(date(2025, 5, 31), 1000.0, []), (date(2025, 6, 30), 1000.0, [])]
    periods = interest.instalment_periods(
        instalments, date(2025, 7, 10), interest.flat_rate(2.76), "legal_interest", not_before=date(2025, 6, 30)
    )
    assert [(p["date_due"], p["date_from"], p["days"]) for p in periods] == [
        (date(2025, 5, 31), date(2025, 7, 1), 10),
        (date(2025, 6, 30), date(2025, 7, 1), 10),
    ]


def test_contract_rate_is_raised_to_the_floor_of_each_half_year():
    floors = interest.rate_lookup({(2024, 1): 15.21, (2024, 2): 14.76, (2025, 2): 8.28})
    lookup = interest.floored_lookup(12.0, floors)
    assert lookup((2024, 1)) == (15.21, None, True)
    assert lookup((2024, 2)) == (14.76, None, True)
    assert lookup((2025, 2)) == (12.0, None, False)
    assert interest.floored_lookup(9.0, floors)((2025, 2)) == (9.0, None, False)
    assert interest.floored_lookup(8.28, floors)((2025, 2)) == (8.28, None, False), "at the floor: kept"
    # a half-year without a floor: the latest known one, said so
    assert interest.floored_lookup(9.0, floors)((2026, 2)) == (9.0, (2025, 2), False)
    # 10 000 x 15.21 % x 15 / 365 = 62.5068 ; 10 000 x 14.76 % x 15 / 365 = 60.6575
    periods = interest.interest_periods(date(2024, 6, 15), date(2024, 7, 15), 10000.0, [], lookup, "contract")
    assert [(p["half_year"], p["rate"], p["floored"], round(p["interest"], 2)) for p in periods] == [
        ("2024-H1", 15.21, True, 62.51),
        ("2024-H2", 14.76, True, 60.66),
    ]
    flat = interest.interest_periods(
        date(2024, 6, 15), date(2024, 7, 15), 10000.0, [], interest.flat_rate(20.0), "contract"
    )
    assert not any(p["floored"] for p in flat)


def test_half_years_between_lists_each_half_year_of_the_days():
    assert interest.half_years_between(date(2025, 6, 30), date(2025, 7, 1)) == {(2025, 1), (2025, 2)}
    assert interest.half_years_between(date(2024, 12, 31), date(2026, 1, 1)) == {
        (2024, 2),
        (2025, 1),
        (2025, 2),
        (2026, 1),
    }
    assert interest.half_years_between(date(2026, 2, 1), date(2026, 2, 1)) == {(2026, 1)}
    assert interest.half_years_between(date(2026, 2, 2), date(2026, 2, 1)) == set()
