from odoo import fields, models


class RelanceInteractionCorrect(models.TransientModel):
    """A manager's correction: a new record that points to the one it corrects."""

    _name = "relance.interaction.correct"
    _description = "Correct a reminder interaction"

    interaction_id = fields.Many2one("relance.interaction", required=True)
    summary = fields.Char("Correction", required=True)
    body = fields.Html("Details")

    def action_confirm(self):
        self.ensure_one()
        original = self.interaction_id
        self.env["relance.interaction"].create({
            "company_id": original.company_id.id,
            "partner_id": original.partner_id.id,
            "move_ids": [fields.Command.set(original.move_ids.ids)],
            "level_id": original.level_id.id,
            "kind": "correction",
            "direction": "internal",
            "corrected_id": original.id,
            "summary": self.summary,
            "body": self.body,
        })
        return {"type": "ir.actions.act_window_close"}
