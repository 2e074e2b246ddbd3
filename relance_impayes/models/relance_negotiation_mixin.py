from odoo import fields, models


class RelanceNegotiationMixin(models.AbstractModel):
    """What promises, payment plans and disputes share: a customer of a company, and every step
    they take written in the customer's history and chatter."""

    _name = "relance.negotiation.mixin"
    _description = "Negotiation with a customer"
    _check_company_auto = True

    company_id = fields.Many2one("res.company", required=True, default=lambda self: self.env.company, index=True)
    partner_id = fields.Many2one("res.partner", "Customer", required=True, index=True, check_company=True,
                                 domain="[('parent_id', '=', False)]")
    currency_id = fields.Many2one(related="company_id.currency_id")

    def _log_details(self):
        """``(amount, body)`` recorded with each step."""
        return 0.0, False

    def _log(self, summary, kind="note", direction="internal", attachments=None):
        self.ensure_one()
        amount, body = self._log_details()
        self.env["relance.interaction"].sudo().with_context(mail_create_nolog=True).create({
            "company_id": self.company_id.id, "partner_id": self.partner_id.id, "kind": kind,
            "direction": direction, "summary": summary, "body": body, "amount": amount,
            "move_ids": [fields.Command.set(self.move_ids.ids)],
            "level_id": self.move_ids.relance_level_id[-1:].id,
            "attachment_ids": [fields.Command.set(attachments.ids if attachments else [])],
        })
        self.partner_id._relance_log(summary)
