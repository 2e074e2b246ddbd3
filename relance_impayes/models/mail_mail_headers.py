from odoo import models

# emails the application sends on its own: reminders and payment-plan notices
RELANCE_AUTOMATIC_MODELS = ("relance.communication", "relance.payment.plan.line")


class MailMail(models.Model):
    _inherit = "mail.mail"

    def _prepare_outgoing_list(self, mail_server=False, doc_to_followers=None):
        """Reminders are automatic messages (RFC 3834 ``Auto-Submitted: auto-generated``): the
        customer's autoresponder should not answer them, and Exchange is asked not to either."""
        email_list = super()._prepare_outgoing_list(mail_server=mail_server, doc_to_followers=doc_to_followers)
        if self.model in RELANCE_AUTOMATIC_MODELS:
            for email in email_list:
                headers = dict(email.get("headers") or {})
                headers["Auto-Submitted"] = "auto-generated"
                headers.setdefault("X-Auto-Response-Suppress", "OOF, AutoReply")
                email["headers"] = headers
        return email_list
