"""DSO countback arithmetic (relance_impayes/tools/dso.py), with neither Odoo nor a database.

The figures are those of the Odoo tests of the DSO report (TestRelanceAnalytics) and of the risk
score (TestRelanceCredit), so that the plain function and the SQL report are held to the same
numbers.
"""

import importlib.util
from datetime import date
from pathlib import Path

import pytest

PATH = Path(__file__).resolve().parent.parent / "relance_impayes" / "tools" / "dso.py"
_spec = importlib.util.spec_from_file_location("relance_tools_dso", PATH)
dso = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(dso)

TODAY = date(2026, 3, 10)


def _days(periods):
    return [(end - start).days for start, end in periods]


def test_the_module_needs_no_odoo():
    source = PATH.read_text()
    assert "from odoo" not in source and "import odoo" not in source


def test_month_periods_are_calendar_months_up_to_the_date():
    periods = dso.month_periods(TODAY)
    assert len(periods) == 12
    assert periods[0] == (date(2026, 2, 28), TODAY), "the current month ends on the date"
    assert periods[1] == (date(2026, 1, 31), date(2026, 2, 28))
    assert periods[-1] == (date(2025, 3, 31), date(2025, 4, 30))
    assert _days(periods[:4]) == [10, 28, 31, 31]
    assert all(later[0] == earlier[1] for later, earlier in zip(periods, periods[1:], strict=False)), "no gap, no overlap"


def test_month_periods_across_a_leap_february_and_a_year_end():
    periods = dso.month_periods(date(2024, 3, 31), months=3)
    assert periods == [
        (date(2024, 2, 29), date(2024, 3, 31)),
        (date(2024, 1, 31), date(2024, 2, 29)),
        (date(2023, 12, 31), date(2024, 1, 31)),
    ]
    assert _days(periods) == [31, 29, 31]
    assert dso.month_periods(date(2026, 1, 1), months=2) == [
        (date(2025, 12, 31), date(2026, 1, 1)),
        (date(2025, 11, 30), date(2025, 12, 31)),
    ]


@pytest.mark.parametrize(
    "balance, sales, expected",
    [
        # TestRelanceAnalytics.test_dso_countback_month_by_month, on 10 March 2026
        (10000, [6000, 8000, 3000], 10 + 4000 / 8000 * 28),  # 24.0: 10 days of March and half of February
        (2800, [0, 2800], 38.0),  # no sales in March: its 10 days count in full
        (12800, [6000, 10800, 3000], 10 + 6800 / 10800 * 28),  # the company: both customers together
    ],
)
def test_countback_of_the_report_figures(balance, sales, expected):
    periods = dso.month_periods(TODAY)
    sales = list(map(float, sales)) + [0.0] * (12 - len(sales))
    assert dso.dso_countback(balance, sales, periods) == pytest.approx(expected)


def test_countback_at_past_month_ends():
    """The report's rows at the end of February and of January 2026 (same history)."""
    february = dso.month_periods(date(2026, 2, 28))
    assert dso.dso_countback(8000, [8000.0, 3000.0] + [0.0] * 10, february) == 28.0
    january = dso.month_periods(date(2026, 1, 31))
    assert dso.dso_countback(3000, [3000.0] + [0.0] * 11, january) == 31.0


def test_countback_rules():
    """TestRelanceCredit.test_dso_countback and test_scores_on_known_histories."""
    periods = dso.month_periods(TODAY)
    assert dso.dso_countback(0, [1000.0] * 12, periods) == 0, "no balance, no DSO"
    assert dso.dso_countback(-300, [1000.0] * 12, periods) == 0, "a credit balance has no DSO"
    assert dso.dso_countback(500, [1000.0] + [0.0] * 11, periods) == 5, "half of this month's sales"
    assert dso.dso_countback(1500, [1000.0, 1000.0] + [0.0] * 10, periods) == 10 + 14
    assert dso.dso_countback(1500, [0.0, 1000.0, 1000.0] + [0.0] * 9, periods) == 10 + 28 + 15.5, (
        "a month without sales counts in full"
    )
    assert dso.dso_countback(2000, [0.0, 0.0, 1000.0, 2000.0] + [0.0] * 8, periods) == 84.5, (
        "the customer to watch: March and February without sales, January's 1000, half of December's 2000"
    )
    assert dso.dso_countback(99999, [1000.0] * 12, periods) == (TODAY - periods[-1][0]).days == 344, (
        "past the window the DSO stops at its length"
    )


def test_credit_notes_do_not_give_days_back():
    """A month with more credit notes than invoices counts in full and absorbs nothing."""
    periods = dso.month_periods(TODAY)
    assert dso.dso_countback(1000, [-500.0, 2000.0] + [0.0] * 10, periods) == 10 + 1000 / 2000 * 28


def test_sales_and_periods_must_match():
    with pytest.raises(ValueError):
        dso.dso_countback(1000, [500.0], dso.month_periods(TODAY))
