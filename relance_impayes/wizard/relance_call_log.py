from datetime import timedelta

from odoo import api, fields, models
from odoo.exceptions import UserError
from odoo.fields import Domain
from odoo.tools import plaintext2html

from ..models.relance_interaction import CALL_OUTCOMES


class RelanceCallLog(models.TransientModel):
    """Log the outcome of a collection call in one click; the outcome decides the next step."""

    _name = "relance.call.log"
    _description = "Log a collection call"

    activity_id = fields.Many2one("mail.activity", "Call task")
    partner_id = fields.Many2one(
        "res.partner", "Customer", required=True, compute="_compute_partner_id", store=True, readonly=False
    )
    outcome = fields.Selection(CALL_OUTCOMES, required=True)
    note = fields.Text()
    call_back_date = fields.Date("Call back on")
    promise_amount = fields.Monetary("Amount promised", currency_field="currency_id")
    promise_date = fields.Date("Promised for")
    dispute_reason_id = fields.Many2one("relance.dispute.reason", "Dispute reason")
    currency_id = fields.Many2one("res.currency", default=lambda self: self.env.company.currency_id)

    @api.depends("activity_id")
    def _compute_partner_id(self):
        for wizard in self:
            activity = wizard.activity_id
            if activity.res_model == "res.partner":
                wizard.partner_id = activity.res_id

    def action_log(self):
        self.ensure_one()
        if self.outcome == "call_back" and not self.call_back_date:
            raise UserError(self.env._("Give the date to call back."))
        if self.call_back_date and self.call_back_date < fields.Date.context_today(self):
            raise UserError(self.env._("The call-back date cannot be in the past."))
        if self.outcome == "promise" and not (self.promise_amount and self.promise_date):
            raise UserError(self.env._("Give the amount and the date the customer promised."))
        if self.outcome == "dispute" and not self.dispute_reason_id:
            raise UserError(self.env._("Give the reason of the dispute."))
        partner = self.partner_id.commercial_partner_id
        label = dict(self._fields["outcome"]._description_selection(self.env))[self.outcome]
        open_moves = self.env["account.move"].search(
            self.env["account.move"]._relance_open_domain()
            & Domain("commercial_partner_id", "=", partner.id)
            & Domain("company_id", "=", self.env.company.id)
        )
        today = fields.Date.context_today(self)
        # the invoices with a late instalment; none late: all open ones (a promise on what falls due)
        overdue = open_moves.filtered_domain(self.env["account.move"]._relance_late_domain(today))
        interaction = self.env["relance.interaction"].create(
            {
                "partner_id": partner.id,
                "kind": "call",
                "direction": "out",
                "call_outcome": self.outcome,
                "summary": self.env._("Call: %(outcome)s", outcome=label),
                "body": plaintext2html(self.note) if self.note else False,
                "move_ids": [fields.Command.set(open_moves.ids)],
                "level_id": open_moves.relance_level_id[-1:].id,
                "amount": overdue._relance_overdue_residual(today),
            }
        )
        if self.activity_id:
            self.activity_id.action_feedback(feedback=f"{label}. {self.note or ''}".strip())
        if self.outcome == "promise":
            self.env["relance.promise"].create(
                {
                    "partner_id": partner.id,
                    "move_ids": [fields.Command.set((overdue or open_moves).ids)],
                    "amount": self.promise_amount,
                    "date": self.promise_date,
                    "note": self.note,
                }
            )
        elif self.outcome == "dispute":
            self.env["relance.dispute"].create(
                {
                    "partner_id": partner.id,
                    "move_ids": [fields.Command.set((overdue or open_moves).ids)],
                    "reason_id": self.dispute_reason_id.id,
                    "description": self.note,
                }
            )
        elif self.outcome == "wrong_number":
            partner.sudo().activity_schedule(
                "mail.mail_activity_data_todo",
                date_deadline=fields.Date.context_today(self),
                summary=self.env._("Find the right phone number"),
                user_id=partner._relance_collector().id,
            )
        retry = {"no_answer": 1, "voicemail": 2}.get(self.outcome)
        next_date = self.call_back_date or (retry and fields.Date.context_today(self) + timedelta(days=retry))
        if next_date:
            partner._relance_schedule_call(next_date, summary=self.env._("Call back (%(outcome)s)", outcome=label))
        partner._relance_log(interaction.summary + (f" – {self.note}" if self.note else ""))
        return {"type": "ir.actions.act_window_close"}
