from odoo import fields, models
from odoo.tools import SQL

from .relance_analytics import ANALYTICS_DEPENDS, CHANNELS
from .relance_interaction import CALL_OUTCOMES


class RelanceEffectiveness(models.Model):
    """What each reminder brought in: one row per invoice listed in a sent reminder (or in a
    logged phone call).

    For the amount still due on the invoice when the reminder left (*claimed*): the part paid
    within 7, 15 and 30 days after it (payments only: credit notes and write-offs do not count),
    the days until it was paid in full, and the amount *recovered* — paid after this reminder and
    before the next one on the same invoice, so that the recovered amounts of the levels add up
    without counting a payment twice. Grouped by level, email template, channel or policy (the
    customers of two policies are natural A/B groups), shares are ratios of the sums and the days
    to payment a median.
    """

    _name = "relance.effectiveness"
    _inherit = "relance.analytics.mixin"
    _description = "Reminder effectiveness"
    _auto = False
    _order = "date desc, id desc"
    _depends = ANALYTICS_DEPENDS
    _relance_ratio_aggregates = {
        "paid_7_rate:avg": ("paid_7", "claimed"),
        "paid_15_rate:avg": ("paid_15", "claimed"),
        "paid_30_rate:avg": ("paid_30", "claimed"),
        "recovered_rate:avg": ("recovered", "claimed"),
    }
    _relance_median_aggregates = ("days_to_payment:avg",)
    _relance_distinct_aggregates = {"reminder_count:sum": "reminder_key"}

    date = fields.Date("Reminder date", readonly=True)
    move_id = fields.Many2one("account.move", "Invoice", readonly=True)
    reminder_key = fields.Integer(readonly=True)
    reminder_count = fields.Integer("Reminders sent", readonly=True, aggregator="sum",
                                    help="Number of reminders (an email listing three invoices is one reminder).")
    level_id = fields.Many2one("relance.level", "Level", readonly=True)
    policy_id = fields.Many2one("relance.policy", "Policy", readonly=True)
    template_id = fields.Many2one("mail.template", "Email template", readonly=True)
    channel = fields.Selection(CHANNELS, readonly=True)
    call_outcome = fields.Selection(CALL_OUTCOMES, readonly=True)
    company_id = fields.Many2one("res.company", readonly=True)
    currency_id = fields.Many2one(related="company_id.currency_id")
    partner_id = fields.Many2one("res.partner", "Customer", readonly=True)
    user_id = fields.Many2one("res.users", "Collector", readonly=True)
    claimed = fields.Monetary("Amount claimed", readonly=True)
    paid_7 = fields.Monetary("Paid within 7 days", readonly=True)
    paid_15 = fields.Monetary("Paid within 15 days", readonly=True)
    paid_30 = fields.Monetary("Paid within 30 days", readonly=True)
    recovered = fields.Monetary("Amount recovered", readonly=True,
                                help="Paid after this reminder and before the next one on the same invoice.")
    paid_7_rate = fields.Float("% paid in 7 days", readonly=True, digits=(16, 1), aggregator="avg")
    paid_15_rate = fields.Float("% paid in 15 days", readonly=True, digits=(16, 1), aggregator="avg")
    paid_30_rate = fields.Float("% paid in 30 days", readonly=True, digits=(16, 1), aggregator="avg")
    recovered_rate = fields.Float("% recovered", readonly=True, digits=(16, 1), aggregator="avg")
    days_to_payment = fields.Float(
        "Median days to payment", readonly=True, digits=(16, 1), aggregator="avg",
        help="Days from the reminder to the payment that settled the amount claimed (invoices paid in full only).",
    )

    @property
    def _table_query(self):
        return SQL(
            """
            WITH settlements AS (%(settlements)s),
            touches AS (
                SELECT t.*, LEAD(t.date) OVER (PARTITION BY t.move_id ORDER BY t.date, t.id) AS next_date
                  FROM (%(touches)s) t
            ), paid AS (
                SELECT t.id,
                       SUM(s.amount) FILTER (WHERE s.date <= t.date + 7) AS paid_7,
                       SUM(s.amount) FILTER (WHERE s.date <= t.date + 15) AS paid_15,
                       SUM(s.amount) FILTER (WHERE s.date <= t.date + 30) AS paid_30,
                       SUM(s.amount) FILTER (WHERE t.next_date IS NULL OR s.date < t.next_date) AS recovered,
                       SUM(s.amount) AS paid_after, MAX(s.date) AS last_payment
                  FROM touches t
                  JOIN settlements s ON s.move_id = t.move_id AND s.kind = 'paid' AND s.date >= t.date
                 GROUP BY t.id
            ), measured AS (
                SELECT t.id, t.reminder_key, t.move_id, t.date, t.level_id, lvl.policy_id, t.template_id,
                       t.channel, t.call_outcome, t.company_id, t.partner_id, t.user_id, t.claimed,
                       LEAST(COALESCE(p.paid_7, 0), t.claimed) AS paid_7,
                       LEAST(COALESCE(p.paid_15, 0), t.claimed) AS paid_15,
                       LEAST(COALESCE(p.paid_30, 0), t.claimed) AS paid_30,
                       LEAST(COALESCE(p.recovered, 0), t.claimed) AS recovered,
                       CASE WHEN t.claimed > 0 AND p.paid_after >= t.claimed - 0.005
                            THEN p.last_payment - t.date END AS days_to_payment
                  FROM touches t
                  LEFT JOIN paid p ON p.id = t.id
                  LEFT JOIN relance_level lvl ON lvl.id = t.level_id
            )
            SELECT measured.*, 1 AS reminder_count,
                   COALESCE(100.0 * paid_7 / NULLIF(claimed, 0), 0) AS paid_7_rate,
                   COALESCE(100.0 * paid_15 / NULLIF(claimed, 0), 0) AS paid_15_rate,
                   COALESCE(100.0 * paid_30 / NULLIF(claimed, 0), 0) AS paid_30_rate,
                   COALESCE(100.0 * recovered / NULLIF(claimed, 0), 0) AS recovered_rate
              FROM measured
            """,
            settlements=self._relance_settlements_sql(),
            touches=self._relance_touches_sql(),
        )

    def action_open_move(self):
        self.ensure_one()
        return {
            "type": "ir.actions.act_window",
            "res_model": "account.move",
            "res_id": self.move_id.id,
            "view_mode": "form",
            "views": [(False, "form")],
        }
