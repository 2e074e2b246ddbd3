from odoo import fields, models
from odoo.exceptions import AccessError


class RelanceInteractionCorrect(models.TransientModel):
    """A manager's correction: a new record that points to the one it corrects."""

    _name = "relance.interaction.correct"
    _description = "Correct a reminder interaction"

    interaction_id = fields.Many2one("relance.interaction", required=True)
    summary = fields.Char("Correction", required=True)
    body = fields.Html("Details")

    def action_confirm(self):
        """The only way to record a correction: written by the application, signed by the manager."""
        self.ensure_one()
        if not self.env.user.has_group("relance_impayes.relance_impayes_group_manager"):
            raise AccessError(self.env._("Only a Reminders manager can correct the history."))
        original = self.interaction_id
        original.check_access("read")
        self.env["relance.interaction"].sudo().create(
            {
                "company_id": original.company_id.id,
                "partner_id": original.partner_id.id,
                "move_ids": [fields.Command.set(original.move_ids.ids)],
                "level_id": original.level_id.id,
                "kind": "correction",
                "direction": "internal",
                "corrected_id": original.id,
                "summary": self.summary,
                "body": self.body,
                "user_id": self.env.uid,
                "date": fields.Datetime.now(),
            }
        )
        return {"type": "ir.actions.act_window_close"}
