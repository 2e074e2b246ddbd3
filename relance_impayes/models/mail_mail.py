from contextvars import ContextVar

from odoo import models

# {mail.mail id: relance.communication} of the emails the current mail.mail.send() sends (see send)
SENDING = ContextVar("relance_sending", default=None)


class MailMail(models.Model):
    _inherit = "mail.mail"

    def _postprocess_sent_message(self, success_pids, success_emails, failure_reason=False, failure_type=None):
        """A reminder counts as sent only when its email really left; a failure stays visible
        and retried, and its invoices do not climb. Only the send is recorded here: the
        follow-up runs after the queue (see :meth:`send`), so that no error in it can flag the
        email failed or send it again."""
        comms = self._relance_sending_comms().filtered(lambda c: c.state == "sending")
        comms.filtered(lambda c: c.mail_id.state == "sent")._set_sent()
        for comm in comms.filtered(lambda c: c.state == "sending"):
            mail = comm.mail_id
            if mail.state == "exception" or failure_type:
                comm._mark_failed(mail.failure_reason or failure_reason or failure_type)
        return super()._postprocess_sent_message(
            success_pids, success_emails, failure_reason=failure_reason, failure_type=failure_type
        )

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
        finally:
            if token is not None:
                SENDING.reset(token)
        if reminders:
            comms = self.env["relance.communication"].sudo()
            comms.search([("post_send_pending", "=", True)])._run_post_send()
        return res
