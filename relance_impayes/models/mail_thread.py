from odoo import models

AUTO_REPLY_HEADERS = {
    "auto-submitted": lambda v: v and v.lower() != "no",
    "x-autoreply": lambda v: bool(v),
    "x-autorespond": lambda v: bool(v),
    "precedence": lambda v: (v or "").lower() in ("auto_reply", "bulk", "junk"),
}
AUTO_REPLY_SUBJECTS = ("out of office", "automatic reply", "auto-reply", "autoreply", "absence",
                       "réponse automatique", "reponse automatique", "message d'absence")


class MailThread(models.AbstractModel):
    _inherit = "mail.thread"

    def message_parse(self, message, save_original=False):
        """Flag automatic answers (out of office...) so a reminder does not take them for a reply."""
        msg_dict = super().message_parse(message, save_original=save_original)
        subject = (msg_dict.get("subject") or "").lower()
        msg_dict["relance_auto_reply"] = any(
            check(message.get(header)) for header, check in AUTO_REPLY_HEADERS.items() if message.get(header)
        ) or any(marker in subject for marker in AUTO_REPLY_SUBJECTS)
        return msg_dict
