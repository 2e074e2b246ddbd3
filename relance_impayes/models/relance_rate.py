from odoo import api, fields, models
from odoo.exceptions import ValidationError
from odoo.tools import float_compare

from ..tools.interest import half_year_label, half_year_of, half_year_start, rate_lookup

RATE_MIN, RATE_MAX = -5.0, 100.0


def late_payment_rate(ecb_rate):
    """The default late-payment rate: the ECB rate + 10 points (C. com. L441-10 II)."""
    return ecb_rate + 10.0


def contract_floor(legal_rate_other):
    """The lowest contractual late-payment rate: 3 x the legal interest rate (C. com. L441-10 II),
    rounded to the hundredth like the rates."""
    return round(3.0 * legal_rate_other, 2)


class RelanceRate(models.Model):
    """National reference rates of one half-year (LEGAL_FR.md §4), kept by a manager.

    The ECB main refinancing rate in force on 1 January / 1 July gives the default late-payment
    rate (+10 points) for the whole half-year; the legal interest rates are set by arrêté each
    half-year. They are the same for every company, hence no company_id.
    """

    _name = "relance.rate"
    _description = "Reference rates of a half-year"
    _order = "date_start desc"

    name = fields.Char(compute="_compute_name", store=True)
    year = fields.Integer(required=True, default=lambda self: fields.Date.context_today(self).year)
    half = fields.Selection(
        [("1", "First half (from 1 January)"), ("2", "Second half (from 1 July)")],
        string="Half-year",
        required=True,
        default="1",
    )
    date_start = fields.Date("From", compute="_compute_date_start", store=True, index=True)
    ecb_rate = fields.Float(
        "ECB rate (%)",
        digits=(16, 2),
        required=True,
        help="ECB main refinancing operations rate in force on 1 January or 1 July.",
    )
    default_rate = fields.Float(
        "Late-payment rate (%)",
        digits=(16, 2),
        compute="_compute_default_rate",
        help="Default late-payment penalty rate (C. com. L441-10): ECB rate + 10 points.",
    )
    legal_rate_consumer = fields.Float(
        "Legal rate, consumer creditor (%)",
        digits=(16, 2),
        required=True,
        help="Legal interest rate for claims of natural persons not acting for professional purposes.",
    )
    legal_rate_other = fields.Float(
        "Legal rate, other cases (%)",
        digits=(16, 2),
        required=True,
        help="Legal interest rate for all other cases: the rate a company applies to a consumer after a formal notice.",
    )
    floor_rate = fields.Float(
        "Minimum contractual rate (%)",
        digits=(16, 2),
        compute="_compute_default_rate",
        help="A contractual late-payment rate cannot be lower than 3 times the legal rate (other cases).",
    )

    _year_half_uniq = models.Constraint(
        "UNIQUE(year, half)",
        lambda env, diag=None: env._("The rates of a half-year can only be recorded once."),
    )

    @api.depends("year", "half")
    def _compute_name(self):
        for rate in self:
            rate.name = half_year_label((rate.year, rate.half)) if rate.year and rate.half else False

    @api.depends("year", "half")
    def _compute_date_start(self):
        for rate in self:
            if rate.year and rate.half and 1 <= rate.year <= 9999:
                rate.date_start = half_year_start((rate.year, int(rate.half)))
            else:
                rate.date_start = False

    @api.depends("ecb_rate", "legal_rate_other")
    def _compute_default_rate(self):
        for rate in self:
            rate.default_rate = late_payment_rate(rate.ecb_rate)
            rate.floor_rate = contract_floor(rate.legal_rate_other)

    @api.constrains("year", "ecb_rate", "legal_rate_consumer", "legal_rate_other")
    def _check_rates(self):
        for rate in self:
            if not 1999 <= rate.year <= 2999:
                raise ValidationError(self.env._("The year of the rates must be between 1999 and 2999."))
            for fname in ("ecb_rate", "legal_rate_consumer", "legal_rate_other"):
                if not RATE_MIN <= rate[fname] <= RATE_MAX:
                    raise ValidationError(
                        self.env._(
                            "%(rate)s of %(period)s must be between %(min)s %% and %(max)s %% (got %(value)s %%).",
                            rate=rate._fields[fname]._description_string(self.env),
                            period=rate.name,
                            min=RATE_MIN,
                            max=RATE_MAX,
                            value=rate[fname],
                        )
                    )

    # ------------------------------------------------------------------
    # Lookups for the penalty engine
    # ------------------------------------------------------------------
    @api.model
    def _relance_rate_tables(self):
        """Every recorded half-year in one query, as ``{rate kind: {(year, half): annual rate}}``:
        ``legal`` the default late-payment rate (ECB + 10 points), ``legal_interest`` the legal
        interest rate (other cases), ``floor`` the floor of a contractual rate (3 x the legal
        interest rate, C. com. L441-10 II, rounded to the hundredth like the rates)."""
        rates = self.sudo().search_fetch([], ["year", "half", "ecb_rate", "legal_rate_other"])
        return {
            "legal": {(rate.year, int(rate.half)): late_payment_rate(rate.ecb_rate) for rate in rates},
            "legal_interest": {(rate.year, int(rate.half)): rate.legal_rate_other for rate in rates},
            "floor": {(rate.year, int(rate.half)): contract_floor(rate.legal_rate_other) for rate in rates},
        }

    @api.model
    def _relance_contract_floor(self, date=None):
        """``(floor, half-year label)``: 3 x the legal rate (other cases) of the half-year of
        ``date`` (today by default), or of the latest known half-year before it; ``(None, None)``
        when no rate is recorded."""
        date = fields.Date.to_date(date or fields.Date.context_today(self))
        half_year = half_year_of(date)
        rate, fallback = rate_lookup(self._relance_rate_tables()["legal_interest"])(half_year)
        if rate is None:
            return None, None
        return contract_floor(rate), half_year_label(fallback or half_year)

    @api.model
    def _relance_check_contract_rate(self, rate, owner):
        """Refuse a contractual late-payment rate below 3 x the legal interest rate (C. com. L441-10 II)
        of the current half-year. 0 means the legal default and is always accepted. A rate accepted
        here is still raised to the floor of each half-year it is applied to
        (``relance.penalty._contract_lookup``)."""
        if not rate:
            return
        if rate < 0:
            raise ValidationError(
                self.env._(
                    "The late-payment rate of %(owner)s cannot be negative. Enter 0 to apply the legal rate.",
                    owner=owner,
                )
            )
        floor, period = self._relance_contract_floor()
        floors = self._relance_rate_tables()["floor"]
        lowest = min(floors.values(), default=None)
        if lowest is not None and float_compare(rate, lowest, precision_digits=2) < 0:
            raise ValidationError(
                self.env._(
                    "The late-payment rate of %(owner)s (%(rate)s %%) is below the legal floor of every half-year "
                    "(3 times the legal interest rate: at least %(lowest)s %%, and %(floor)s %% for %(period)s). "
                    "Enter at least %(floor)s %%, or 0 to apply the legal rate (ECB rate + 10 points).",
                    owner=owner,
                    rate=f"{rate:.2f}",
                    lowest=f"{lowest:.2f}",
                    floor=f"{floor:.2f}",
                    period=period,
                )
            )
        if floor is not None and float_compare(rate, floor, precision_digits=2) < 0:
            raise ValidationError(
                self.env._(
                    "The late-payment rate of %(owner)s (%(rate)s %%) is below the legal minimum of %(floor)s %% "
                    "(3 times the legal interest rate of %(period)s). Enter at least %(floor)s %%, or 0 to apply "
                    "the legal rate (ECB rate + 10 points).",
                    owner=owner,
                    rate=f"{rate:.2f}",
                    floor=f"{floor:.2f}",
                    period=period,
                )
            )
