import logging
from contextvars import ContextVar

import psycopg2

from odoo import models
from odoo.exceptions import UserError

# {mail.mail id: relance.communication} of the emails the current mail.mail.send() sends (see send)
SENDING = ContextVar("relance_sending", default=None)

_logger = logging.getLogger(__name__)


class MailMail(models.Model):
    _inherit = "mail.mail"

    def _postprocess_sent_message(self, success_pids, success_emails, failure_reason=False, failure_type=None):
        """A failure stays visible and retried, and its invoices do not climb. A success is not
        written here (see :meth:`_relance_record_sent`): this hook shares the transaction that
        records the email as sent, and a write on the reminder's row there can meet a concurrent
        change of the same row (the letters' step, a person) — PostgreSQL then rolls back both,
        after the email left, and the queue sends it again."""
        comms = self._relance_sending_comms().filtered(lambda c: c.state == "sending")
        for comm in comms:
            mail = comm.mail_id
            if mail.state != "sent" and (mail.state == "exception" or failure_type):
                comm._mark_failed(mail.failure_reason or failure_reason or failure_type)
        return super()._postprocess_sent_message(
            success_pids, success_emails, failure_reason=failure_reason, failure_type=failure_type
        )

    def write(self, vals):
        """A reminder's email goes back to the queue only while its reminder waits for it.

        Odoo's *Retry* (on an email in error, or cancelled) would send the copy rendered for an
        attempt that failed or was replaced: figures that may be out of date (an invoice paid
        since), and a second email once the reminder's own retry sends a new one. Such a reminder
        is retried from the reminder, which reads again what is due and sends one email."""
        if vals.get("state") == "outgoing":
            refused = self._relance_superseded()
            if refused:
                raise UserError(
                    self.env._(
                        "The email “%(subject)s” is a payment reminder that did not leave: retry the "
                        "reminder itself (Reminders > To do), which reads again what is still due and "
                        "sends one email.",
                        subject=refused[0].subject,
                    )
                )
        return super().write(vals)

    def _relance_superseded(self):
        """The reminder emails among these that their reminder no longer waits for: it is not
        Sending, or it sends another email."""
        reminder_mails = self.filtered(
            lambda mail: mail.model == "relance.communication" and mail.message_type == "email_outgoing"
        )
        if not reminder_mails:
            return reminder_mails
        comms = self.env["relance.communication"].sudo().browse(reminder_mails.mapped("res_id")).exists()
        waiting = {comm.mail_id.id for comm in comms if comm.state == "sending"}
        return reminder_mails.filtered(lambda mail: mail.id not in waiting)

    def _relance_sending_comms(self):
        """The reminders of these emails: read once for the whole send (core calls the hook email
        by email), else searched."""
        comms = self.env["relance.communication"].sudo()
        known = SENDING.get()
        if known is not None and all(mail_id in known for mail_id in self.ids):
            return comms.concat(*(known[mail_id] for mail_id in self.ids))
        return comms.search([("mail_id", "in", self.ids)])

    def send(self, auto_commit=False, raise_exception=False, post_send_callback=None):
        """Then the follow-up of the reminders that left (``relance.communication._run_post_send``),
        with those an earlier error left pending."""
        reminders = self.filtered(lambda mail: mail.model == "relance.communication")
        token = None
        if reminders:
            comms = self.env["relance.communication"].sudo().search([("mail_id", "in", reminders.ids)])
            known = dict.fromkeys(self.ids, comms.browse())
            for comm in comms:
                known[comm.mail_id.id] = known[comm.mail_id.id] | comm
            token = SENDING.set(known)
        try:
            res = super().send(
                auto_commit=auto_commit, raise_exception=raise_exception, post_send_callback=post_send_callback
            )
        except Exception as error:
            # the server dropped the connection midway: the emails that left before are marked
            # (a database error aborted the transaction: the daily run's sweep marks them)
            if reminders and not isinstance(error, psycopg2.Error):
                reminders._relance_record_sent()
            raise
        finally:
            if token is not None:
                SENDING.reset(token)
        if reminders:
            reminders._relance_record_sent()
            comms = self.env["relance.communication"].sudo()
            comms.search([("post_send_pending", "=", True)])._run_post_send()
        return res

    def _relance_record_sent(self):
        """The reminders whose email left are marked sent (``_set_sent``), after the send: the
        queue has committed each email's state by then (``auto_commit``), so that a conflict here
        can only delay the mark, never undo the email's. A failed reminder whose own email left all
        the same is sent too. On a concurrent change of the reminder, the daily run's sweep marks it
        (an email sent, a reminder still Sending)."""
        comms = (
            self.env["relance.communication"]
            .sudo()
            .search(
                [
                    ("mail_id", "in", self.filtered(lambda mail: mail.state == "sent").ids),
                    ("state", "in", ("sending", "failed", "given_up")),
                ]
            )
        )
        if not comms:
            return
        try:
            with self.env.cr.savepoint():
                comms._set_sent()
        except (psycopg2.errors.SerializationFailure, psycopg2.errors.LockNotAvailable):
            _logger.info("Reminders %s changed meanwhile: the daily run's sweep marks them sent", comms.ids)
