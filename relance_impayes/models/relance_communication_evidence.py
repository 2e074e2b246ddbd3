from contextvars import ContextVar

from odoo import api, models
from odoo.exceptions import AccessError

# Reminders being validated by the validation buttons of this request: no client can set it
# (unlike a context key), and it ends with the button's call.
_VALIDATING = ContextVar("relance_validating", default=frozenset())
# set while a reminder is created with its lines: lines born with their reminder are not edits
_CREATING = ContextVar("relance_creating", default=False)
# set while a button of the reminder runs: what it writes is the application's, not the user's
_APPLICATION = ContextVar("relance_communication_application", default=False)

LOCKED_STATES = ("sending", "sent")
# a person edits the message of a reminder that did not leave yet; the rest is the application's
USER_EDITABLE_STATES = ("draft", "to_validate", "failed")


class RelanceCommunication(models.Model):
    """Who validated a reminder is written by the validation itself, never by hand."""

    _inherit = "relance.communication"

    _VALIDATION_FIELDS = frozenset({"validated_by_id", "validated_date"})
    _USER_FIELDS = frozenset({"subject", "body_html", "contact_id"})

    @api.model_create_multi
    def create(self, vals_list):
        for vals in vals_list:
            self.browse()._check_validation_write(vals)
        token = _CREATING.set(True)
        try:
            return super().create(vals_list)
        finally:
            _CREATING.reset(token)

    def write(self, vals):
        self._check_validation_write(vals)
        self._check_user_write(vals)
        return super().write(vals)

    def _check_user_write(self, vals):
        """People change the subject, the body and the contact of a reminder that did not leave;
        its state, invoices, amounts and attempts are the application's (its buttons, the daily run)."""
        if self.env.su or _APPLICATION.get():
            return
        changed = {name for name in vals if not name.startswith(("message_", "activity_"))}
        if changed - self._USER_FIELDS:
            raise AccessError(
                self.env._(
                    "Only the subject, the message and the contact of a reminder can be edited; the rest is "
                    "written by the reminders themselves (Validate, Send, Retry, Cancel, the daily run)."
                )
            )
        if changed and self.filtered(lambda comm: comm.state not in USER_EDITABLE_STATES):
            raise AccessError(
                self.env._("A reminder that was sent or cancelled cannot be edited: it is part of the evidence.")
            )

    def _relance_as_application(self, method, *args, **kwargs):
        """Run ``method`` as the application: its writes are not a person's edits. Wrap here any
        new step of the reminders that writes them with the user's rights."""
        token = _APPLICATION.set(True)
        try:
            return method(*args, **kwargs)
        finally:
            _APPLICATION.reset(token)

    def _check_validation_write(self, vals):
        if self.env.su or not self._VALIDATION_FIELDS & vals.keys():
            return
        validating = _VALIDATING.get()
        if self and set(self.ids) <= validating and vals.get("validated_by_id", self.env.uid) == self.env.uid:
            return
        raise AccessError(
            self.env._(
                "A reminder is validated with its Validate or Send button, by the person who validates it; "
                "the validation cannot be written by hand."
            )
        )

    def _relance_validating(self, method):
        token = _VALIDATING.set(_VALIDATING.get() | set(self.ids))
        try:
            return method()
        finally:
            _VALIDATING.reset(token)

    def action_validate(self):
        return self._relance_as_application(self._relance_validating, super().action_validate)

    def action_send_now(self):
        return self._relance_as_application(self._relance_validating, super().action_send_now)

    def action_retry(self):
        return self._relance_as_application(super().action_retry)

    def action_cancel(self):
        return self._relance_as_application(super().action_cancel)

    # The application's own steps (private: no client can call them), whoever runs them: the
    # daily run, the buttons above, the mail queue, the mail gateway.
    def _plan(self, *args, **kwargs):
        return self._relance_as_application(super()._plan, *args, **kwargs)

    def _refresh(self, *args, **kwargs):
        return self._relance_as_application(super()._refresh, *args, **kwargs)

    def _execute(self, *args, **kwargs):
        return self._relance_as_application(super()._execute, *args, **kwargs)

    def _perform(self, *args, **kwargs):
        return self._relance_as_application(super()._perform, *args, **kwargs)

    def _mark_sent(self, *args, **kwargs):
        return self._relance_as_application(super()._mark_sent, *args, **kwargs)

    def _mark_failed(self, *args, **kwargs):
        return self._relance_as_application(super()._mark_failed, *args, **kwargs)

    def _relance_channel_step(self, *args, **kwargs):
        return self._relance_as_application(super()._relance_channel_step, *args, **kwargs)

    def _record_reply(self, *args, **kwargs):
        return self._relance_as_application(super()._record_reply, *args, **kwargs)


class RelanceCommunicationLine(models.Model):
    """The invoices of a reminder that left are part of the evidence: read-only for people."""

    _inherit = "relance.communication.line"

    @api.model_create_multi
    def create(self, vals_list):
        if not _CREATING.get():
            comm_ids = {vals.get("communication_id") for vals in vals_list if vals.get("communication_id")}
            self._check_lines_editable(self.env["relance.communication"].browse(comm_ids))
        return super().create(vals_list)

    def write(self, vals):
        comms = self.communication_id
        if vals.get("communication_id"):
            comms |= comms.browse(vals["communication_id"])
        self._check_lines_editable(comms)
        return super().write(vals)

    def unlink(self):
        self._check_lines_editable(self.communication_id)
        return super().unlink()

    @api.model
    def _check_lines_editable(self, communications):
        if self.env.su:
            return
        if communications.sudo().filtered(lambda c: c.state in LOCKED_STATES):
            raise AccessError(
                self.env._("The invoices of a reminder that was sent are part of the evidence: they cannot be changed.")
            )
