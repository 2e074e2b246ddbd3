"""Late-payment interest arithmetic (C. com. L441-10 II, C. civ. 1231-6), without the ORM.

Everything here works on plain dates and floats so that it can be checked by hand and unit-tested
without a database. ``relance.penalty`` (models/relance_penalty.py) gathers the data and calls
:func:`interest_periods`.

Day-count convention (the one of LEGAL_FR.md §2): interest runs on every day ``d`` with
``start < d <= end`` on the amount still unpaid at the end of day ``d - 1``. ``start`` is the due
date (B2B) or the date of the formal notice (B2C), so the first day charged is the day after; a
payment made on day ``p`` still bears interest for day ``p`` and stops bearing it from ``p + 1``.
Interest is simple, on a 365-day year, at the annual rate (percent) of the half-year of each day:
a period straddling 1 January or 1 July is split, each part at its own half-year's rate.
"""

from collections.abc import Callable, Iterable
from datetime import date as Date
from datetime import timedelta

ONE_DAY = timedelta(days=1)

HalfYear = tuple[int, int]
"""``(year, half)`` with ``half`` 1 (from 1 January) or 2 (from 1 July)."""

RateLookup = Callable[[HalfYear], tuple]
"""``lookup(half_year) -> (rate, fallback)`` or ``(rate, fallback, floored)``: the annual rate in
percent for the half-year, the half-year whose rate was used instead when it is not known (``None``
when it is), and whether a contractual rate was raised to the legal floor of the half-year
(:func:`floored_lookup`). ``rate`` is ``None`` when no rate at all is available."""

Instalment = tuple[Date, float, list[tuple[Date, float]]]
"""``(due date, amount, settlements)`` of one instalment (one receivable line of an invoice):
its own due date, its amount (tax included) and its own ``(date, amount)`` settlements."""


def half_year_of(day: Date) -> HalfYear:
    return day.year, 1 if day.month <= 6 else 2


def half_years_between(first: Date, last: Date) -> set[HalfYear]:
    """The half-years of the days from ``first`` to ``last`` (inclusive); none when ``first > last``."""
    found = set()
    day = first
    while day <= last:
        found.add(half_year_of(day))
        day = next_half_year_start(day)
    return found


def half_year_label(half_year: HalfYear) -> str:
    return f"{half_year[0]}-H{half_year[1]}"


def half_year_start(half_year: HalfYear) -> Date:
    year, half = half_year
    return Date(year, 1 if half == 1 else 7, 1)


def next_half_year_start(day: Date) -> Date:
    """First day of the half-year after the one of ``day``."""
    return Date(day.year, 7, 1) if day.month <= 6 else Date(day.year + 1, 1, 1)


def rate_lookup(rates: dict[HalfYear, float]) -> RateLookup:
    """Lookup over a table of half-yearly rates. A missing half-year falls back to the latest
    known one before it (or, when there is none before, to the earliest known one)."""
    known = sorted(rates)

    def lookup(half_year: HalfYear):
        if half_year in rates:
            return rates[half_year], None
        if not known:
            return None, None
        before = [key for key in known if key < half_year]
        fallback = before[-1] if before else known[0]
        return rates[fallback], fallback

    return lookup


def flat_rate(rate: float) -> RateLookup:
    """Lookup of a contractual rate: the same for every half-year."""
    return lambda half_year: (rate, None)


def floored_lookup(rate: float, floor_for: RateLookup) -> RateLookup:
    """Lookup of a contractual rate raised, half-year by half-year, to the legal floor of that
    half-year (C. com. L441-10 II: never below 3 x the legal interest rate). ``floor_for`` is the
    :func:`rate_lookup` of the floors: a half-year without a floor uses the one it falls back to
    and says so (``fallback``)."""

    def lookup(half_year: HalfYear):
        floor, fallback = floor_for(half_year)
        if floor is not None and round(floor - rate, 6) > 0:
            return floor, fallback, True
        return rate, fallback, False

    return lookup


def unpaid_at(base: float, events: Iterable[tuple[Date, float]], day: Date) -> float:
    """Amount still unpaid at the end of ``day``: ``base`` less the payments made up to that day."""
    return base - sum(amount for pay_date, amount in events if pay_date <= day)


def settlement_date(base: float, events: Iterable[tuple[Date, float]], precision: float = 0.005) -> Date | None:
    """Day the amount was fully paid (``None`` if it is not)."""
    remaining = base
    for pay_date, amount in sorted(events):
        remaining -= amount
        if remaining < precision:
            return pay_date
    return None


def days_late(
    due: Date, date: Date, base: float, events: Iterable[tuple[Date, float]], precision: float = 0.005
) -> int:
    """Days of delay on ``date``: up to ``date`` if something is still unpaid then, up to the day of
    full payment otherwise; 0 when paid in time or not yet due."""
    events = [(pay_date, amount) for pay_date, amount in events if pay_date <= date]
    paid_on = settlement_date(base, events, precision)
    end = paid_on if paid_on is not None else date
    return max((end - due).days, 0)


def interest_periods(
    start: Date,
    end: Date,
    base: float,
    events: Iterable[tuple[Date, float]],
    rate_for: RateLookup,
    rate_kind: str,
    precision: float = 0.005,
) -> list[dict]:
    """Split ``start + 1 .. end`` into periods of constant base and half-year, with their interest.

    :param start: day after which interest runs (due date, or formal notice date)
    :param end: last day charged (computation date)
    :param base: amount due before any payment (tax included)
    :param events: ``(payment_date, amount)`` pairs (payments, credit notes), in any order
    :param rate_for: :data:`RateLookup`
    :param rate_kind: stored as is in each period (``legal``, ``contract``, ``legal_interest``)
    :param precision: an unpaid amount below it counts as paid
    :return: periods as dicts with ``date_from``, ``date_to`` (inclusive), ``days``, ``base``,
        ``rate``, ``rate_kind``, ``half_year``, ``fallback``, ``fallback_half_year``, ``floored``
        (contractual rate raised to the legal floor) and the unrounded ``interest``; periods with
        nothing left unpaid are left out.
    """
    events = sorted((pay_date, amount) for pay_date, amount in events if amount)
    first = start + ONE_DAY
    if first > end:
        return []
    # days on which the charged amount or the rate changes
    cuts = {pay_date + ONE_DAY for pay_date, _amount in events if first < pay_date + ONE_DAY <= end}
    cut = next_half_year_start(first)
    while cut <= end:
        cuts.add(cut)
        cut = next_half_year_start(cut)
    bounds = [first, *sorted(cuts), end + ONE_DAY]
    periods = []
    for date_from, next_from in zip(bounds, bounds[1:], strict=False):
        amount = unpaid_at(base, events, date_from - ONE_DAY)
        if amount < precision:
            continue
        days = (next_from - date_from).days
        half_year = half_year_of(date_from)
        found = rate_for(half_year)
        rate, fallback = found[0] or 0.0, found[1]
        floored = bool(found[2]) if len(found) > 2 else False
        periods.append(
            {
                "date_from": date_from,
                "date_to": next_from - ONE_DAY,
                "days": days,
                "base": amount,
                "rate": rate,
                "rate_kind": rate_kind,
                "half_year": half_year_label(half_year),
                "fallback": fallback is not None,
                "fallback_half_year": half_year_label(fallback) if fallback else False,
                "floored": floored,
                "interest": amount * rate / 100.0 * days / 365.0,
            }
        )
    return periods


# ----------------------------------------------------------------------
# Invoices with several due dates (instalments)
# ----------------------------------------------------------------------
def instalments_days_late(instalments: Iterable[Instalment], date: Date, precision: float = 0.005) -> int:
    """Days of delay of an invoice on ``date``: those of its most late instalment, each counted
    from its own due date (:func:`days_late`); 0 when every instalment was paid in time."""
    return max(
        (days_late(due, date, amount, events, precision) for due, amount, events in instalments),
        default=0,
    )


def instalments_unpaid_at(instalments: Iterable[Instalment], day: Date) -> float:
    """What is still unpaid of the whole invoice at the end of ``day``."""
    return sum(unpaid_at(amount, events, day) for _due, amount, events in instalments)


def instalment_periods(
    instalments: Iterable[Instalment],
    end: Date,
    rate_for: RateLookup,
    rate_kind: str,
    precision: float = 0.005,
    not_before: Date | None = None,
) -> list[dict]:
    """:func:`interest_periods` of each instalment, from the day after its own due date (LEGAL_FR
    §2: each instalment is late from its own due date), ordered by due date then period. Each
    period also holds ``date_due``, the due date of its instalment.

    :param not_before: interest runs from the day after ``max(due date, not_before)`` (the formal
        notice of a private customer, C. civ. 1231-6); ``None``: from the due date.
    """
    periods = []
    for due, amount, events in sorted(instalments, key=lambda instalment: instalment[0]):
        start = max(due, not_before) if not_before else due
        for period in interest_periods(start, end, amount, events, rate_for, rate_kind, precision):
            period["date_due"] = due
            periods.append(period)
    return periods
