import re

from odoo import models
from odoo.tools import email_normalize

# RFC 3834 (Auto-Submitted) and the de facto headers of autoresponders
AUTO_REPLY_HEADERS = {
    "auto-submitted": lambda v: v.strip().lower() != "no",
    "x-autoreply": lambda v: True,
    "x-autorespond": lambda v: True,
    "precedence": lambda v: v.strip().lower() in ("auto_reply", "bulk", "list", "junk"),
}
# subjects autoresponders start with, compared as a prefix only: "absence de paiement" is a reply
AUTO_REPLY_SUBJECT_PREFIXES = (
    "réponse automatique",
    "reponse automatique",
    "automatic reply",
    "auto:",
    "out of office",
    "absence du bureau",
)
REPLY_MARKERS = re.compile(r"^\s*((re|tr|fw|fwd|aw|sv)\s*:\s*)+", re.IGNORECASE)


def is_auto_reply(message, subject):
    """An automatic answer (out of office, autoresponder, list) rather than a person's reply."""
    if any(message.get(header) and check(str(message.get(header))) for header, check in AUTO_REPLY_HEADERS.items()):
        return True
    subject = REPLY_MARKERS.sub("", subject or "").lower()
    return subject.startswith(AUTO_REPLY_SUBJECT_PREFIXES)


class MailThread(models.AbstractModel):
    _inherit = "mail.thread"

    def _message_route_process(self, message, message_dict, routes):
        """Flag automatic answers so a reminder does not take them for a reply; a reply to a
        reminder is written by the customer's contact, never by an internal user whose address
        the sender put in From."""
        auto = is_auto_reply(message, message_dict.get("subject"))
        routes = [self._relance_reply_route(route, message_dict) for route in routes or ()]
        return super(MailThread, self.with_context(relance_auto_reply=auto))._message_route_process(
            message, message_dict, routes
        )

    def _relance_reply_route(self, route, message_dict):
        """For a reply to a reminder: the author is the customer's contact with that address (or
        nobody, the address alone stays on the message), and the reply is processed as the
        gateway, not as the internal user the From names."""
        model, thread_id, custom_values, user_id, alias = route
        if model != "relance.communication" or not thread_id:
            return route
        comm = self.env[model].sudo().browse(thread_id).exists()
        if not comm:
            return route
        email = email_normalize(message_dict.get("email_from") or "")
        contact = self.env["res.partner"]
        if email:
            contact = (
                self.env["res.partner"]
                .sudo()
                .search(
                    [
                        ("commercial_partner_id", "=", comm.partner_id.commercial_partner_id.id),
                        ("email_normalized", "=", email),
                    ],
                    order="id",
                    limit=1,
                )
            )
        message_dict["author_id"] = contact.id or False
        return (model, thread_id, custom_values, self.env.uid, alias)
