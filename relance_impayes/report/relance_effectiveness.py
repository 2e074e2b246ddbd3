from types import MappingProxyType

from odoo import fields, models
from odoo.tools import SQL

from ..models.relance_interaction import CALL_OUTCOMES
from .relance_analytics import ANALYTICS_DEPENDS, CHANNELS


class RelanceEffectiveness(models.Model):
    """What each reminder brought in: one row per sent reminder (a communication, or a phone call
    logged on its own).

    For the amount it claimed (what was still due on its invoices when it left, as the engine
    recorded it on the reminder; for a call, what its invoices still owed on its day): the part paid
    within 7, 15 and 30 days after it (payments only: credit notes and write-offs do not count),
    the days until it was paid in full, and the amount *recovered* — each payment counts for the
    last reminder of its invoice sent before it, so that the recovered amounts of the levels add
    up without counting a payment twice. Grouped by level, email template, channel or policy (the
    customers of two policies are natural A/B groups), shares are ratios of the sums and the days
    to payment a median.
    """

    _name = "relance.effectiveness"
    _inherit = "relance.analytics.mixin"
    _description = "Reminder effectiveness"
    _auto = False
    _order = "date desc, id desc"
    _depends = ANALYTICS_DEPENDS
    _relance_ratio_aggregates = MappingProxyType(
        {
            "paid_7_rate:avg": ("paid_7", "claimed"),
            "paid_15_rate:avg": ("paid_15", "claimed"),
            "paid_30_rate:avg": ("paid_30", "claimed"),
            "recovered_rate:avg": ("recovered", "claimed"),
        }
    )
    _relance_median_aggregates = ("days_to_payment:avg",)

    date = fields.Date("Reminder date", readonly=True)
    communication_id = fields.Many2one("relance.communication", "Reminder", readonly=True)
    interaction_id = fields.Many2one("relance.interaction", "Call", readonly=True)
    reminder_count = fields.Integer("Reminders sent", readonly=True, aggregator="sum")
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
    recovered = fields.Monetary(
        "Amount recovered",
        readonly=True,
        help="Payments for which this reminder was the last one sent on their invoice.",
    )
    paid_7_rate = fields.Float("% paid in 7 days", readonly=True, digits=(16, 1), aggregator="avg")
    paid_15_rate = fields.Float("% paid in 15 days", readonly=True, digits=(16, 1), aggregator="avg")
    paid_30_rate = fields.Float("% paid in 30 days", readonly=True, digits=(16, 1), aggregator="avg")
    recovered_rate = fields.Float("% recovered", readonly=True, digits=(16, 1), aggregator="avg")
    days_to_payment = fields.Float(
        "Median days to payment",
        readonly=True,
        digits=(16, 1),
        aggregator="avg",
        help="Days from the reminder to the payment that completed what it claimed (reminders paid in full only).",
    )

    @property
    def _table_query(self):
        self._relance_sql_session()
        return SQL(
            """
            WITH settlements AS (%(settlements)s),
            call_items AS (
                SELECT call.id AS call_id, rel.account_move_id AS move_id, call.date::date AS date
                  FROM relance_interaction call
                  JOIN relance_interaction_account_move_rel rel ON rel.interaction_id = call.id
                 WHERE call.kind = 'call' AND call.direction = 'out' AND call.communication_id IS NULL
            ), call_claims AS (
                -- a call claims what its invoices still owed on its day: their total less what
                -- settled them before
                SELECT totals.call_id, GREATEST(totals.amount - COALESCE(before.amount, 0), 0) AS claimed
                  FROM (SELECT ci.call_id, SUM(inv.amount_total_signed) AS amount
                          FROM call_items ci JOIN account_move inv ON inv.id = ci.move_id
                         GROUP BY ci.call_id) totals
                  LEFT JOIN (SELECT ci.call_id, SUM(s.amount) AS amount
                               FROM call_items ci JOIN settlements s ON s.move_id = ci.move_id AND s.date < ci.date
                              GROUP BY ci.call_id) before ON before.call_id = totals.call_id
            ),
            paid_after AS (
                -- each payment with the reminders of its invoice sent on or before its date; the last
                -- of them (rank 1) recovered it
                SELECT i.reminder_id, i.date AS touch_date, s.date, s.amount,
                       ROW_NUMBER() OVER (PARTITION BY s.id ORDER BY i.date DESC, i.reminder_id DESC) AS rank
                  FROM settlements s
                  JOIN (
                        SELECT comm.id AS reminder_id, line.move_id, comm.date
                          FROM relance_communication_line line
                          JOIN relance_communication comm ON comm.id = line.communication_id
                         WHERE comm.state = 'sent'
                        UNION ALL
                        SELECT -call_id, move_id, date FROM call_items
                  ) i ON i.move_id = s.move_id AND i.date <= s.date
                 WHERE s.kind = 'paid'
            ), paid AS (
                SELECT reminder_id,
                       SUM(amount) FILTER (WHERE date <= touch_date + 7) AS paid_7,
                       SUM(amount) FILTER (WHERE date <= touch_date + 15) AS paid_15,
                       SUM(amount) FILTER (WHERE date <= touch_date + 30) AS paid_30,
                       SUM(amount) FILTER (WHERE rank = 1) AS recovered,
                       SUM(amount) AS paid_after, MAX(date) AS last_payment
                  FROM paid_after
                 GROUP BY reminder_id
            ), reminders AS (
                -- what a reminder claimed is what its invoices still owed when it left
                SELECT comm.id AS id, comm.id AS communication_id, NULL::int AS interaction_id, comm.date,
                       comm.level_id, comm.company_id, comm.partner_id, comm.user_id, comm.amount_due AS claimed,
                       CASE WHEN ch.handoff THEN 'handoff'
                            WHEN ch.registered THEN 'registered_letter'
                            WHEN ch.letter AND ch.email THEN 'email_letter'
                            WHEN ch.letter THEN 'letter'
                            WHEN ch.email THEN 'email'
                            ELSE 'other' END AS channel,
                       CASE WHEN ch.email THEN lvl.mail_template_id END AS template_id,
                       NULL::varchar AS call_outcome
                  FROM relance_communication comm
                  JOIN relance_level lvl ON lvl.id = comm.level_id
                  LEFT JOIN (
                        SELECT communication_id,
                               BOOL_OR(kind = 'email') AS email, BOOL_OR(kind = 'letter') AS letter,
                               BOOL_OR(kind = 'registered_letter') AS registered,
                               BOOL_OR(kind = 'handoff') AS handoff
                          FROM relance_interaction
                         WHERE communication_id IS NOT NULL
                         GROUP BY communication_id
                  ) ch ON ch.communication_id = comm.id
                 WHERE comm.state = 'sent'
                UNION ALL
                SELECT -call.id, NULL, call.id, call.date::date, call.level_id, call.company_id, call.partner_id,
                       call.user_id, COALESCE(cc.claimed, 0), 'call', NULL, call.call_outcome
                  FROM relance_interaction call
                  LEFT JOIN call_claims cc ON cc.call_id = call.id
                 WHERE call.kind = 'call' AND call.direction = 'out' AND call.communication_id IS NULL
            )
            SELECT r.id, r.communication_id, r.interaction_id, r.date, r.level_id, r.company_id, r.partner_id,
                   r.user_id, r.channel, r.template_id, r.call_outcome, lvl.policy_id, 1 AS reminder_count,
                   COALESCE(r.claimed, 0) AS claimed,
                   LEAST(COALESCE(p.paid_7, 0), r.claimed) AS paid_7,
                   LEAST(COALESCE(p.paid_15, 0), r.claimed) AS paid_15,
                   LEAST(COALESCE(p.paid_30, 0), r.claimed) AS paid_30,
                   LEAST(COALESCE(p.recovered, 0), r.claimed) AS recovered,
                   COALESCE(100.0 * LEAST(p.paid_7, r.claimed) / NULLIF(r.claimed, 0), 0) AS paid_7_rate,
                   COALESCE(100.0 * LEAST(p.paid_15, r.claimed) / NULLIF(r.claimed, 0), 0) AS paid_15_rate,
                   COALESCE(100.0 * LEAST(p.paid_30, r.claimed) / NULLIF(r.claimed, 0), 0) AS paid_30_rate,
                   COALESCE(100.0 * LEAST(p.recovered, r.claimed) / NULLIF(r.claimed, 0), 0) AS recovered_rate,
                   CASE WHEN r.claimed > 0 AND p.paid_after >= r.claimed - 0.005
                        THEN p.last_payment - r.date END AS days_to_payment
              FROM reminders r
              LEFT JOIN paid p ON p.reminder_id = r.id
              LEFT JOIN relance_level lvl ON lvl.id = r.level_id
            """,
            settlements=self._relance_settlements_sql(),
        )

    def action_open_reminder(self):
        """The communication (or the call) behind the row."""
        self.ensure_one()
        record = self.communication_id or self.interaction_id
        return {
            "type": "ir.actions.act_window",
            "res_model": record._name,
            "res_id": record.id,
            "view_mode": "form",
            "views": [(False, "form")],
        }
