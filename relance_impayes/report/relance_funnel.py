from types import MappingProxyType

from odoo import fields, models
from odoo.tools import SQL

from .relance_analytics import ANALYTICS_DEPENDS

OUTCOMES = [
    ("paid", "Paid"),
    ("credited", "Credited"),
    ("written_off", "Written off"),
    ("disputed", "Disputed"),
    ("plan", "On a payment plan"),
    ("handed_off", "Handed off to recovery"),
    ("escalated", "Escalated to the next level"),
    ("open", "Still at this level"),
]


class RelanceFunnel(models.Model):
    """Recovery funnel: the amounts entering each level, and how they left it.

    An invoice enters a level when a reminder that makes it climb is sent, for what it still
    owes. Until it enters the next level, what settles it is *paid*, *credited* (credit note,
    cancellation) or *written off*; a dispute or a payment plan takes what is left out of the
    ladder (*disputed*, *on a payment plan*, when the negotiation models are installed); then
    the next level takes it (*handed off to recovery* when that level hands the file over,
    *escalated* otherwise); what remains is *still at this level*. The outcomes of an entry add
    up to the amount that entered.
    """

    _name = "relance.funnel"
    _inherit = "relance.analytics.mixin"
    _description = "Recovery funnel"
    _auto = False
    _order = "date desc, id desc"
    _depends = ANALYTICS_DEPENDS
    _relance_distinct_aggregates = MappingProxyType({"entry_count:sum": "entry_id"})

    entry_id = fields.Integer(readonly=True)
    entry_count = fields.Integer("Invoices entering", readonly=True, aggregator="sum")
    date = fields.Date("Entered on", readonly=True)
    move_id = fields.Many2one("account.move", "Invoice", readonly=True)
    level_id = fields.Many2one("relance.level", "Level", readonly=True)
    policy_id = fields.Many2one("relance.policy", "Policy", readonly=True)
    company_id = fields.Many2one("res.company", readonly=True)
    currency_id = fields.Many2one(related="company_id.currency_id")
    partner_id = fields.Many2one("res.partner", "Customer", readonly=True)
    user_id = fields.Many2one("res.users", "Collector", readonly=True)
    outcome = fields.Selection(OUTCOMES, readonly=True)
    amount = fields.Monetary(readonly=True)

    @property
    def _table_query(self):
        self._relance_sql_session()
        return SQL(
            """
            WITH settlements AS (%(settlements)s),
            holds AS (%(holds)s),
            entries AS (
                -- an invoice enters a level when a reminder that makes it climb is sent
                SELECT line.id, line.move_id, comm.date, line.level_id, comm.company_id, comm.partner_id,
                       comm.user_id, line.amount_residual AS claimed,
                       LEAD(comm.date) OVER w AS next_date, LEAD(line.level_id) OVER w AS next_level_id
                  FROM relance_communication_line line
                  JOIN relance_communication comm ON comm.id = line.communication_id
                 WHERE comm.state = 'sent' AND line.level_id IS NOT NULL
                WINDOW w AS (PARTITION BY line.move_id ORDER BY comm.date, line.id)
            ), first_hold AS (
                SELECT DISTINCT ON (e.id) e.id, h.date, h.kind
                  FROM entries e
                  JOIN holds h ON h.move_id = e.move_id AND h.date >= e.date
                              AND (e.next_date IS NULL OR h.date < e.next_date)
                 ORDER BY e.id, h.date
            ), settled AS (
                SELECT e.id,
                       SUM(s.amount) FILTER (WHERE s.kind = 'paid') AS paid,
                       SUM(s.amount) FILTER (WHERE s.kind = 'credited') AS credited,
                       SUM(s.amount) FILTER (WHERE s.kind = 'written_off') AS written_off
                  FROM entries e
                  LEFT JOIN first_hold fh ON fh.id = e.id
                  JOIN settlements s ON s.move_id = e.move_id AND s.date >= e.date
                                    AND s.date < LEAST(COALESCE(e.next_date, 'infinity'::date),
                                                       COALESCE(fh.date, 'infinity'::date))
                 GROUP BY e.id
            ), capped AS (
                SELECT e.*, fh.kind AS hold_kind, inv.state AS move_state, next_lvl.action_handoff AS next_handoff,
                       LEAST(COALESCE(st.paid, 0), e.claimed) AS paid
                  FROM entries e
                  JOIN account_move inv ON inv.id = e.move_id
                  LEFT JOIN first_hold fh ON fh.id = e.id
                  LEFT JOIN settled st ON st.id = e.id
                  LEFT JOIN relance_level next_lvl ON next_lvl.id = e.next_level_id
            ), split AS (
                SELECT c.*, LEAST(COALESCE(st.credited, 0), c.claimed - c.paid) AS credited,
                       LEAST(COALESCE(st.written_off, 0),
                             c.claimed - c.paid - LEAST(COALESCE(st.credited, 0), c.claimed - c.paid)) AS written_off
                  FROM capped c LEFT JOIN settled st ON st.id = c.id
            ), outcomes AS (
                SELECT id, 1 AS rank, 'paid' AS outcome, paid AS amount FROM split
                UNION ALL
                SELECT id, 2, 'credited', credited FROM split
                UNION ALL
                SELECT id, 3, 'written_off', written_off FROM split
                UNION ALL
                SELECT id, 4,
                       CASE WHEN hold_kind IS NOT NULL THEN hold_kind
                            WHEN next_date IS NOT NULL AND next_handoff THEN 'handed_off'
                            WHEN next_date IS NOT NULL THEN 'escalated'
                            WHEN move_state = 'cancel' THEN 'credited'
                            ELSE 'open' END,
                       claimed - paid - credited - written_off
                  FROM split
            )
            SELECT sp.id * 10 + o.rank AS id, sp.id AS entry_id, 1 AS entry_count,
                   sp.date, sp.move_id, sp.level_id, lvl.policy_id, sp.company_id, sp.partner_id, sp.user_id,
                   o.outcome, o.amount
              FROM outcomes o
              JOIN split sp ON sp.id = o.id
              JOIN relance_level lvl ON lvl.id = sp.level_id
             WHERE o.amount > 0.005
            """,
            settlements=self._relance_settlements_sql(),
            holds=self._relance_holds_sql(),
        )
