from odoo import api, fields, models
from odoo.exceptions import AccessError, UserError


class RelanceCreditHold(models.TransientModel):
    """A manager's decision about a credit hold, always with its reason: put a customer on hold,
    lift its hold, or let one document (invoice, sales order) through despite the hold."""

    _name = "relance.credit.hold"
    _description = "Credit hold decision"

    mode = fields.Selection(
        [("hold", "Put on hold"), ("release", "Lift the hold"), ("override", "Override for one document")],
        required=True,
        default="hold",
    )
    partner_id = fields.Many2one("res.partner", "Customer", required=True)
    hold_reason = fields.Char("Current hold", compute="_compute_hold_reason")
    res_model = fields.Char("Document model")
    res_id = fields.Integer("Document")
    document_name = fields.Char("Document name", compute="_compute_document_name")
    reason = fields.Text(required=True)

    @api.depends("partner_id", "mode", "res_model", "res_id")
    def _compute_hold_reason(self):
        for wizard in self:
            document = wizard._document()
            if document and hasattr(document, "_relance_credit_block_reason"):
                wizard.hold_reason = document._relance_credit_block_reason() or False
            else:
                wizard.hold_reason = wizard.partner_id and wizard.partner_id._relance_credit_block_reason()

    @api.depends("res_model", "res_id")
    def _compute_document_name(self):
        for wizard in self:
            wizard.document_name = wizard._document().display_name or False

    def _document(self):
        self.ensure_one()
        if self.res_model and self.res_id and self.res_model in self.env:
            return self.env[self.res_model].browse(self.res_id).exists()
        return None

    def action_apply(self):
        self.ensure_one()
        if not self.env.user.has_group("relance_impayes.relance_impayes_group_manager"):
            raise AccessError(
                self.env._("Only a Relances manager can put a customer on hold, lift a hold or override it.")
            )
        reason = (self.reason or "").strip()
        if not reason:
            raise UserError(self.env._("Give the reason of your decision."))
        partner = self.partner_id.commercial_partner_id
        if self.mode == "hold":
            partner._relance_hold("manual", reason)
        elif self.mode == "release":
            if not partner.relance_credit_hold:
                raise UserError(self.env._("%(customer)s is not on credit hold.", customer=partner.display_name))
            partner._relance_release(reason)
        else:
            document = self._document()
            if not document:
                raise UserError(self.env._("The document to let through no longer exists."))
            document._relance_override_credit_hold(reason)
        return {"type": "ir.actions.act_window_close"}
