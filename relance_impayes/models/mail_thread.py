from odoo import models

AUTO_REPLY_HEADERS = {
    "auto-submitted": lambda v: v and v.lower() != "no",
    "x-autoreply": lambda v: bool(v),
    "x-autorespond": lambda v: bool(v),
    "precedence": lambda v: (v or "").lower() in ("auto_reply", "bulk", "junk"),
}
AUTO_REPLY_SUBJECTS = (
    "out of office",
    "automatic reply",
    "auto-reply",
    "autoreply",
    "absence",
    "réponse automatique",
    "reponse automatique",
    "message d'absence",
)


class MailThread(models.AbstractModel):
    _inherit = "mail.thread"

    def _message_route_process(self, message, message_dict, routes):
        """Flag automatic answers (out of office...) so a reminder does not take them for a reply."""
        subject = (message_dict.get("subject") or "").lower()
        auto = any(
            check(message.get(header)) for header, check in AUTO_REPLY_HEADERS.items() if message.get(header)
        ) or any(marker in subject for marker in AUTO_REPLY_SUBJECTS)
        return super(MailThread, self.with_context(relance_auto_reply=auto))._message_route_process(
            message, message_dict, routes
        )
