from odoo import fields, models


class AccountMoveLine(models.Model):
    _inherit = "account.move.line"

    relance_penalty_source_id = fields.Many2one(
        "account.move",
        "Penalties of",
        index="btree_not_null",
        ondelete="restrict",
        copy=False,
        help="Overdue invoice whose late-payment penalties this line charges.",
    )
    relance_penalty_kind = fields.Selection(
        [("interest", "Late-payment interest"), ("indemnity", "Fixed recovery indemnity")],
        "Penalty type",
        copy=False,
    )
    relance_penalty_date_to = fields.Date("Interest charged up to", copy=False)
