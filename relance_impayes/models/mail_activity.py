from odoo import models


class MailActivity(models.Model):
    _inherit = "mail.activity"

    def action_relance_log_call(self):
        self.ensure_one()
        return {
            "type": "ir.actions.act_window",
            "name": self.env._("Log call outcome"),
            "res_model": "relance.call.log",
            "view_mode": "form",
            "target": "new",
            "context": {"default_activity_id": self.id},
        }
