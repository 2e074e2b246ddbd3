from odoo import api, models


class AccountPartialReconcile(models.Model):
    _inherit = "account.partial.reconcile"

    @api.model_create_multi
    def create(self, vals_list):
        """A payment just met an invoice: promises and plans on it learn it now, not tomorrow."""
        partials = super().create(vals_list)
        moves = (partials.debit_move_id.move_id | partials.credit_move_id.move_id).filtered(
            lambda m: m.move_type == "out_invoice"
        )
        if moves.relance_promise_ids or moves.relance_plan_ids:
            self.env["relance.promise"].sudo()._relance_update_states(moves, payments_only=True)
            self.env["relance.payment.plan"].sudo()._relance_update_states(moves, payments_only=True)
        return partials
