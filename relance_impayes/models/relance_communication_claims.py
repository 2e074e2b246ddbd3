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
        return self.env["relance.penalty"]._needs_manager(self.line_ids.move_id, self.date, self.level_id)

    def _relance_hold_for_manager(self):
        """Put the reminder in To validate when it needs a manager (see the class); ``True`` if held.
        The manager's to-do is scheduled once per reminder."""
        self.ensure_one()
        reason = self._relance_manager_reason()
        if not reason:
            if self.validation_reason:
                self.sudo().validation_reason = False
            return False
        self.sudo().write({"state": "to_validate", "validation_reason": reason})
        summary = self.env._("Enter the missing reference rate")
        if not self.activity_ids.filtered(lambda activity: activity.summary == summary):
            self.sudo().activity_schedule(
                "mail.mail_activity_data_todo",
                date_deadline=fields.Date.context_today(self),
                summary=summary,
                note=reason,
                user_id=self._relance_rate_manager().id,
            )
        return True

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
        for comm in self.filtered(lambda c: c.state == "to_validate"):
            reason = comm._relance_manager_reason()
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
