"""Nothing stays stuck: reminders whose email never left, and reminders that keep failing.

A reminder waits in *Sending* until the mail queue reports on its email (see ``mail.mail``). When
that report never comes (the email was deleted or cancelled, the queue choked on it, it sat
unsent for days), the daily sweep fails the reminder so that the run retries it. Every attempt
counts (``attempt_count`` goes up in ``_execute``, a refused attempt too); after
``relance_impayes.max_attempts`` of them the reminder is *Failed for good*: it stays in the To do
list for a person, and it no longer holds the customer's one open reminder, so later reminders
can be planned. A failed reminder is retried no sooner than ``relance_impayes.retry_delay_minutes``
(60 by default) after its last attempt: the scheduler calls the daily action again while reminders
remain, and a fault must not use up every attempt within the same minutes.
"""

import logging
from datetime import timedelta

from odoo import api, fields, models
from odoo.fields import Domain

_logger = logging.getLogger(__name__)


class RelanceCommunication(models.Model):
    _inherit = "relance.communication"

    # not in the unique index of open reminders: a reminder failed for good does not block the customer
    state = fields.Selection(
        selection_add=[("given_up", "Failed for good"), ("cancelled",)], ondelete={"given_up": "set default"}
    )

    last_attempt_date = fields.Datetime("Last attempt", readonly=True, copy=False)

    @api.model
    def _relance_max_attempts(self):
        """How many attempts a reminder gets before it is failed for good (system parameter
        ``relance_impayes.max_attempts``, 3 by default)."""
        return self.env["relance.engine"]._relance_int_setting("relance_impayes.max_attempts", None, 3)

    @api.model
    def _relance_retry_delay(self):
        """How long a failed reminder waits before its next attempt (system parameter
        ``relance_impayes.retry_delay_minutes``, 60 by default)."""
        return timedelta(
            minutes=self.env["relance.engine"]._relance_int_setting("relance_impayes.retry_delay_minutes", None, 60)
        )

    @api.model
    def _pending_domain(self, company):
        """Failed reminders wait out the retry delay: a fault is not retried in the same minutes."""
        not_before = fields.Datetime.now() - self._relance_retry_delay()
        return super()._pending_domain(company) & (
            Domain("state", "!=", "failed")
            | Domain("last_attempt_date", "=", False)
            | Domain("last_attempt_date", "<=", not_before)
        )

    def _mark_failed(self, reason):
        """A failed attempt: retried by the next run while attempts are left, else failed for good."""
        res = super()._mark_failed(reason)
        limit = self._relance_max_attempts()
        exhausted = self.filtered(lambda c: c.state == "failed" and c.attempt_count >= limit)
        for comm in exhausted:
            comm.state = "given_up"
            comm.message_post(
                body=self.env._(
                    "Reminder failed for good after %(count)s attempts: fix the cause, then prepare a new reminder.",
                    count=comm.attempt_count,
                ),
                subtype_xmlid="mail.mt_note",
            )
        return res

    # ------------------------------------------------------------------
    # The sweep (daily run, before planning)
    # ------------------------------------------------------------------
    @api.model
    def _relance_sweep_stuck(self, company, now=None):
        """Reminders of ``company`` stuck in *Sending*: the email left (the report was lost) →
        sent; deleted, cancelled, in error, or unsent past ``relance_stuck_days`` → failed (an
        unsent email is cancelled first so that it can never leave after its retry). Each
        reminder in its own savepoint; one the mail queue is working on (locked) waits."""
        now = now or fields.Datetime.now()
        stale_before = now - timedelta(days=company.relance_stuck_days)
        sending = self.sudo().search(Domain("company_id", "=", company.id) & Domain("state", "=", "sending"))
        for comm in sending.try_lock_for_update():
            mail = comm.mail_id.exists()
            if mail and not mail.try_lock_for_update():
                continue  # the mail queue is sending it right now
            try:
                with self.env.cr.savepoint():
                    reason = comm._relance_stuck_reason(mail, stale_before)
                    if mail.state == "sent":
                        comm._mark_sent()
                    elif reason:
                        if mail.state == "outgoing":
                            mail.state = "cancel"
                        comm._mark_failed(reason)
            except Exception:  # noqa: BLE001 - one stuck reminder must not stop the sweep
                _logger.exception("Stuck reminder %s could not be swept", comm.id)

    def _relance_stuck_reason(self, mail, stale_before):
        """Why the reminder's email will never report back, or ``False`` while it may still."""
        self.ensure_one()
        _ = self.env._
        if not mail:
            return _("The email of this reminder was deleted before it left.")
        if mail.state == "cancel":
            return _("The email of this reminder was cancelled before it left.")
        if mail.state == "exception":
            return _("The email of this reminder could not be sent: %(reason)s", reason=mail.failure_reason or "")
        if mail.state == "outgoing" and mail.create_date < stale_before:
            return _(
                "The email of this reminder was still waiting to leave after %(days)s days.",
                days=self.company_id.relance_stuck_days,
            )
        return False
