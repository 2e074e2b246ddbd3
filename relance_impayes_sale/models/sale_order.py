from odoo import models


class SaleOrder(models.Model):
    """A customer on credit hold gets no new confirmed order, the same way it gets no new invoice
    (``relance.credit.override.mixin``); a Relances manager may let one order through."""

    _name = "sale.order"
    _inherit = ["sale.order", "relance.credit.override.mixin"]

    def _relance_credit_hold_depends(self):
        return ["partner_id", "company_id", "state", "amount_total"]

    def _relance_credit_pending(self):
        return self.state in ("draft", "sent")

    def _relance_credit_let_through(self):
        return self.action_confirm()

    def _relance_credit_hold_message(self, reason):
        return self.env._(
            "%(order)s cannot be confirmed: %(customer)s is on credit hold (%(reason)s). "
            "A Relances manager can override the hold for this order.",
            order=self.name,
            customer=self.partner_id.commercial_partner_id.display_name,
            reason=reason,
        )

    def _confirmation_error_message(self):
        return super()._confirmation_error_message() or self._relance_credit_hold_error()
