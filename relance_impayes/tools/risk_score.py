"""Payment-risk arithmetic, without the ORM: DSO by countback and the 0-100 score.

``relance.risk`` (models/relance_risk.py) reads the metrics of every customer in a few queries and
gives the factor table (``_risk_factors``, overridable); everything here works on plain numbers
and dates so that it can be checked by hand and unit-tested without a database.
"""

import math
from dataclasses import dataclass, field


@dataclass(frozen=True)
class Factor:
    """One factor of the score: ``points`` at most, reached when its value hits ``saturation``;
    in proportion below that, none for a value of 0 or less."""

    points: float
    saturation: float


@dataclass
class RiskMetrics:
    """What a customer's payment behaviour looks like on a date (company currency)."""

    partner_id: int
    invoice_count: int = 0  # invoices due in the window
    amount: float = 0.0  # their total
    days_late: float = 0.0  # average days late weighted by amount
    late_count: int = 0  # of them, paid late or still unpaid after their due date
    reminders: int = 0  # reminders sent about them
    disputes: int = 0
    broken_promises: int = 0
    overdue: float = 0.0  # amount overdue today (all open invoices)
    overdue_age: float = 0.0  # its average age in days, weighted by amount
    balance: float = 0.0  # open receivable balance (credit notes and unapplied payments included)
    dso: float = 0.0
    monthly_sales: list = field(default_factory=list)

    @property
    def late_share(self):
        return self.late_count / self.invoice_count if self.invoice_count else 0.0

    @property
    def reminders_per_invoice(self):
        return self.reminders / self.invoice_count if self.invoice_count else 0.0


def factor_points(factor, value):
    """Points ``factor`` gives for ``value``."""
    if value <= 0:
        return 0.0
    return factor.points * min(value / factor.saturation, 1.0)


def round_half_up(value):
    """``value`` rounded to the unit, halves away from zero, as ``odoo.tools.float_round(value,
    precision_digits=0, rounding_method='HALF-UP')`` does (with its tolerance of one binary
    epsilon, so that 2.4999999999999996 computed for 2.5 gives 3)."""
    if not value:
        return 0
    epsilon = 2 ** (math.log2(abs(value)) - 52)
    return int(math.copysign(math.floor(abs(value) + epsilon + 0.5), value))


def score(values, factors):
    """``(score, [(factor name, points)])``: the 0-100 score (higher is riskier) of the factor
    ``values`` (``{name: value}``) under ``factors`` (``{name: Factor}``), and the factors that
    gave points, in the order of ``factors``."""
    parts = [(name, factor_points(factor, values.get(name, 0.0))) for name, factor in factors.items()]
    total = sum(points for _name, points in parts)
    return min(100, max(0, round_half_up(total))), [(name, points) for name, points in parts if points > 0]


def risk_class(score_value, watch, risky):
    """``good``, ``watch`` or ``risky`` for a score, given the company's two thresholds."""
    if score_value >= risky:
        return "risky"
    if score_value >= watch:
        return "watch"
    return "good"
