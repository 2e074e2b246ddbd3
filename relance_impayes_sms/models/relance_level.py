from odoo import api, fields, models
from odoo.exceptions import ValidationError


class RelanceLevel(models.Model):
    _inherit = "relance.level"

    action_sms = fields.Boolean("Send SMS", help="Text the customer's invoice contact on its mobile number.")
    sms_template_id = fields.Many2one(
        "sms.template",
        string="SMS template",
        domain=[("model", "=", "relance.communication")],
        default=lambda self: self.env.ref("relance_impayes_sms.sms_template_relance", raise_if_not_found=False),
    )

    @api.constrains("action_sms", "sms_template_id")
    def _check_sms_template(self):
        for level in self:
            if level.action_sms and not level.sms_template_id:
                raise ValidationError(
                    self.env._("Level %(level)s sends an SMS: choose its SMS template.", level=level.name)
                )
