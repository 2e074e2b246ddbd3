from odoo import fields, models


class RelanceInteraction(models.Model):
    _inherit = "relance.interaction"

    # uninstalling the bridge keeps the evidence: an SMS becomes a note, never deleted
    kind = fields.Selection(selection_add=[("sms", "SMS")], ondelete={"sms": "set note"})
