from odoo import fields, models
from odoo.tools import SQL

from .relance_analytics import ANALYTICS_DEPENDS, SETTLEMENT_KINDS


class RelanceRecovery(models.Model):
    """Amounts recovered: one row per settlement of a customer invoice (payment, credit note,
    write-off) at its date, with the level the invoice had reached by then — "recovered after a
    reminder" when it had one."""

    _name = "relance.recovery"
    _inherit = "relance.analytics.mixin"
    _description = "Amounts recovered"
    _auto = False
    _order = "date desc, id desc"
    _depends = ANALYTICS_DEPENDS

    date = fields.Date(readonly=True)
    move_id = fields.Many2one("account.move", "Invoice", readonly=True)
    kind = fields.Selection(SETTLEMENT_KINDS, "Settled by", readonly=True)
    company_id = fields.Many2one("res.company", readonly=True)
    currency_id = fields.Many2one(related="company_id.currency_id")
    partner_id = fields.Many2one("res.partner", "Customer", readonly=True)
    collector_id = fields.Many2one("res.users", "Collector", readonly=True)
    policy_id = fields.Many2one("relance.policy", "Dunning policy", readonly=True)
    level_id = fields.Many2one(
        "relance.level",
        "Level reached",
        readonly=True,
        help="Level of the last reminder sent for the invoice before this settlement.",
    )
    reminded = fields.Boolean("After a reminder", readonly=True)
    amount = fields.Monetary(readonly=True)

    @property
    def _table_query(self):
        self._relance_sql_session()
        return SQL(
            """
            SELECT s.id, s.move_id, s.date, s.kind, s.amount, inv.company_id, inv.commercial_partner_id AS partner_id,
                   -- scalar subqueries, not joins: the planner misjudges how many settlements a filter
                   -- keeps, and would cross them with every customer
                   (SELECT %(collector)s FROM res_partner cp, res_company co
                     WHERE cp.id = inv.commercial_partner_id AND co.id = inv.company_id) AS collector_id,
                   (SELECT %(policy)s FROM res_partner cp, res_company co
                     WHERE cp.id = inv.commercial_partner_id AND co.id = inv.company_id) AS policy_id,
                   last.level_id, last.level_id IS NOT NULL AS reminded
              FROM (%(settlements)s) s
              JOIN account_move inv ON inv.id = s.move_id
              LEFT JOIN LATERAL (
                    SELECT comm.level_id
                      FROM relance_communication_line line
                      JOIN relance_communication comm ON comm.id = line.communication_id
                     WHERE line.move_id = s.move_id AND comm.state = 'sent' AND comm.date <= s.date
                     ORDER BY comm.date DESC, comm.id DESC
                     LIMIT 1
              ) last ON TRUE
            """,
            settlements=self._relance_settlements_sql(),
            collector=self._relance_sql_collector("cp", "co"),
            policy=self._relance_sql_policy("cp", "co"),
        )
