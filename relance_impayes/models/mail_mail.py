from odoo import models


class MailMail(models.Model):
    _inherit = "mail.mail"

    def _postprocess_sent_message(self, success_pids, success_emails, failure_reason=False, failure_type=None):
        """A reminder counts as sent only when its email really left; a failure stays visible
        and retried, and its invoices do not climb."""
        comms = (
            self.env["relance.communication"].sudo().search([("mail_id", "in", self.ids), ("state", "=", "sending")])
        )
        for comm in comms:
            mail = comm.mail_id
            if mail.state == "sent":
                comm._mark_sent()
            elif mail.state == "exception" or failure_type:
                comm._mark_failed(mail.failure_reason or failure_reason or failure_type)
        return super()._postprocess_sent_message(
            success_pids, success_emails, failure_reason=failure_reason, failure_type=failure_type
        )
