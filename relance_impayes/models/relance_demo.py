from odoo import api, models


class RelancePolicy(models.Model):
    _inherit = "relance.policy"

    @api.model
    def _relance_demo_populate(self):
        """Demo data: customers of different profiles with invoices overdue by various delays."""
        return True
