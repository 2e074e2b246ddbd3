"""Days sales outstanding by the countback method, as plain arithmetic (no ORM).

The receivable balance at the end of a month is "counted back" against the invoicing of that
month, then of the month before, and so on: each month whose invoicing the balance entirely
absorbs counts all its days, the month where the balance runs out counts the share of its days
that the remainder represents. Example: 10,000 owed on 10 March, 6,000 invoiced from 1 to
10 March and 8,000 in February: 10 + 4,000 / 8,000 × 28 = 24 days.

The customer's risk score reads its DSO here; the DSO report (``relance.dso``) computes the same
rule set-based in SQL for every customer, collector and company at once, and its tests check
that both agree.
"""

from datetime import timedelta

WINDOW_MONTHS = 12


def month_periods(date, months=WINDOW_MONTHS):
    """``[(start, end)]`` of the calendar months up to ``date``, latest first: ``start`` excluded,
    ``end`` included; the current month ends on ``date``. The same months as the DSO report
    (``relance.dso``), so that a customer's DSO reads the same in both places."""
    periods = []
    end = date
    for _index in range(months):
        start = end.replace(day=1) - timedelta(days=1)
        periods.append((start, end))
        end = start
    return periods


def dso_countback(balance, sales, periods):
    """Days sales outstanding of ``balance`` against ``sales`` (one amount per period of
    ``periods``, latest first, as :func:`month_periods` gives them).

    A month whose sales the balance exceeds counts in full, the last one in proportion of what
    is left. A month without sales (or with more credit notes than invoices) counts in full.
    Past the window, the DSO stops at the window's length. No balance, no DSO.
    """
    if balance <= 0:
        return 0.0
    dso = 0.0
    remaining = balance
    for amount, (start, end) in zip(sales, periods, strict=True):
        days = (end - start).days
        if amount > 0 and remaining <= amount:
            return dso + remaining / amount * days
        dso += days
        remaining -= max(amount, 0.0)
    return dso
