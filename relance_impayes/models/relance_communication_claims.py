from odoo import fields, models
from odoo.exceptions import UserError


class RelanceCommunication(models.Model):
    """A reminder that would claim penalties over a half-year without a reference rate waits for a
    manager (``relance.penalty._needs_manager``): it is put in To validate with the reason shown and
    a to-do for a manager to enter the rate; a customer is never told that a rate is missing."""

    _name = "relance.communication"
    _inherit = ["relance.communication", "mail.activity.mixin"]

    validation_reason = fields.Char(
        "Waiting for",
        readonly=True,
        copy=False,
        help="Why this reminder waits for a manager before it can be sent.",
    )

    def _relance_manager_reason(self):
        """The reason this reminder must wait for a manager on its date, or ``False``."""
        self.ensure_one()
        return self._relance_manager_reasons()[self.id]

    def _relance_manager_reasons(self):
        """``{reminder id: reason or False}`` of these reminders, their penalties computed together
        (``relance.penalty._needs_manager_batch``): a fixed number of queries for the batch."""
        return self.env["relance.penalty"]._needs_manager_batch(
            {comm.id: (comm.line_ids.move_id, comm.date, comm.level_id) for comm in self}
        )

    def _relance_hold_for_manager(self):
        """Put in To validate the reminders that need a manager (see the class); return those held.
        The manager's to-do is scheduled once per reminder."""
        reasons = self._relance_manager_reasons()
        held = self.filtered(lambda comm: reasons[comm.id])
        (self - held).filtered("validation_reason").sudo().write({"validation_reason": False})
        summary = self.env._("Enter the missing reference rate")
        for reason, comms in held.grouped(lambda comm: reasons[comm.id]).items():
            comms.sudo().write({"state": "to_validate", "validation_reason": reason})
        for comm in held:
            if not comm.activity_ids.filtered(lambda activity: activity.summary == summary):
                comm.sudo().activity_schedule(
                    "mail.mail_activity_data_todo",
                    date_deadline=fields.Date.context_today(comm),
                    summary=summary,
                    note=reasons[comm.id],
                    user_id=comm._relance_rate_manager().id,
                )
        return held

    def _relance_rate_manager(self):
        """Who enters the reference rates: the collector if a Relances manager, else the first
        Relances manager of the company, else the current user."""
        self.ensure_one()
        group = self.env.ref("relance_impayes.relance_impayes_group_manager")
        managers = (
            group.sudo()
            .user_ids.filtered(lambda user: user.active and not user.share and self.company_id in user.company_ids)
            .sorted("id")
        )
        if self.user_id in managers:
            return self.user_id
        return managers[:1] or self.env.user

    def action_validate(self):
        """A reminder waiting for a reference rate cannot be validated before the rate is entered:
        it would claim penalties at a rate that does not exist."""
        waiting_rate = self.filtered(lambda c: c.state == "to_validate")
        reasons = waiting_rate._relance_manager_reasons()
        for comm in waiting_rate:
            reason = reasons[comm.id]
            if reason:
                raise UserError(
                    self.env._(
                        "The reminder of %(customer)s cannot be sent yet. %(reason)s",
                        customer=comm.partner_id.display_name,
                        reason=reason,
                    )
                )
        waiting = self.filtered("validation_reason")
        res = super().action_validate()
        waiting.sudo().write({"validation_reason": False})
        waiting.activity_ids.filtered(
            lambda activity: activity.summary == self.env._("Enter the missing reference rate")
        ).action_done()
        return res
