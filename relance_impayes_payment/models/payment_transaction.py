from odoo import models
from odoo.tools import format_amount


class PaymentTransaction(models.Model):
    _inherit = "payment.transaction"

    def _post_process(self):
        """A payment confirmed online is in the customer's reminder history. account_payment has
        created and reconciled the payment by now, so promises on the invoices are already in step
        (see relance_impayes account.partial.reconcile)."""
        super()._post_process()
        for tx in self.filtered(lambda t: t.state == "done" and t.payment_id and t.invoice_ids):
            partner = tx.invoice_ids.commercial_partner_id[:1]
            partner._relance_portal_log(
                tx.company_id,
                self.env._(
                    "Online payment received: %(amount)s (%(reference)s)",
                    amount=format_amount(self.env, tx.amount, tx.currency_id),
                    reference=tx.reference,
                ),
                moves=tx.invoice_ids,
                amount=tx.amount,
            )
