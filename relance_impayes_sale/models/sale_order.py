from odoo import api, fields, models


class SaleOrder(models.Model):
    """A customer on credit hold gets no new confirmed order, the same way it gets no new invoice
    (see ``account.move._relance_check_credit_hold``); a Relances manager may let one order through."""

    _inherit = "sale.order"

    relance_credit_hold = fields.Boolean("Customer on credit hold", compute="_compute_relance_credit_hold")
    relance_hold_reason = fields.Char("Credit hold reason", compute="_compute_relance_credit_hold")

    @api.depends("partner_id", "company_id", "state", "amount_total")
    def _compute_relance_credit_hold(self):
        for order in self:
            reason = order.state in ("draft", "sent") and order._relance_credit_block_reason()
            order.relance_credit_hold = bool(reason)
            order.relance_hold_reason = reason or False

    def _relance_credit_block_reason(self):
        """Why this order may not be confirmed, or ``False``: its customer is on hold, or the order
        would take the customer over its credit limit while the company blocks."""
        self.ensure_one()
        partner = self.partner_id.commercial_partner_id
        if not partner:
            return False
        company = self.company_id
        reason = partner._relance_credit_block_reason(company)
        if not reason and company.relance_credit_limit_mode == "block" and company.account_use_credit_limit:
            # core's warning reads the customer's receivable, not stored and without dependencies
            partner.sudo().invalidate_recordset(["credit", "credit_to_invoice"])
            self.invalidate_recordset(["partner_credit_warning"])
            reason = self.partner_credit_warning
        return reason

    def _confirmation_error_message(self):
        error = super()._confirmation_error_message()
        if error or (self.env.context.get("relance_hold_override") and self.env.user.has_group(
            "relance_impayes.relance_impayes_group_manager"
        )):
            return error
        reason = self._relance_credit_block_reason()
        if reason:
            return self.env._(
                "%(order)s cannot be confirmed: %(customer)s is on credit hold (%(reason)s). "
                "A Relances manager can override the hold for this order.",
                order=self.name, customer=self.partner_id.commercial_partner_id.display_name, reason=reason,
            )
        return False

    def action_relance_override_hold(self):
        """Managers confirm one order of a customer on hold, giving the reason (logged)."""
        self.ensure_one()
        return {
            "type": "ir.actions.act_window",
            "name": self.env._("Override credit hold"),
            "res_model": "relance.credit.hold",
            "view_mode": "form",
            "target": "new",
            "context": {
                "default_mode": "override", "default_partner_id": self.partner_id.commercial_partner_id.id,
                "default_res_model": self._name, "default_res_id": self.id,
            },
        }

    def _relance_override_credit_hold(self, reason):
        """Confirm despite the hold, and say who did it and why: on the order and in the customer's history."""
        self.ensure_one()
        block = self._relance_credit_block_reason()
        self.with_context(relance_hold_override=True).action_confirm()
        summary = self.env._("Credit hold overridden for %(order)s by %(user)s: %(reason)s",
                             order=self.name, user=self.env.user.name, reason=reason)
        self.message_post(body=summary, subtype_xmlid="mail.mt_note")
        self.partner_id.commercial_partner_id.with_company(self.company_id)._relance_credit_log(
            summary, body=self.env._("Hold: %(hold)s", hold=block) if block else None)
