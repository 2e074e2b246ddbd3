from odoo import fields, models
from odoo.exceptions import UserError
from odoo.tools import html2plaintext


class RelanceCommunication(models.Model):
    """The SMS channel: one descriptor appended to the registry, its handlers below."""

    _inherit = "relance.communication"

    sms_message_id = fields.Many2one(
        "mail.message",
        "SMS",
        readonly=True,
        ondelete="set null",
        help="Chatter message of the SMS sent for this reminder.",
    )

    def _relance_channels(self):
        # last: an SMS that left cannot be taken back, so every other channel is ready first
        return super()._relance_channels() + [
            self._relance_channel(
                "sms",
                "action_sms",
                kind="sms",
                check="_relance_check_sms",
                perform="_action_sms",
                evidence="_evidence_sms",
            ),
        ]

    def _relance_sms_number(self):
        """The invoice contact's phone, else the customer's, in international format."""
        self.ensure_one()
        for partner in (self.contact_id, self.partner_id):
            if (partner.phone or "").strip():
                return partner._phone_format(number=partner.phone) or partner.phone
        return False

    def _relance_check_sms(self):
        if not self._relance_sms_number():
            raise UserError(
                self.env._(
                    "%(contact)s has no mobile phone number: add one on the customer's invoice contact, then retry.",
                    contact=self._relance_contact_name(),
                )
            )

    def _render_sms(self):
        template = self.level_id.sms_template_id
        if not template:
            raise UserError(
                self.env._("Level %(level)s sends an SMS: choose its SMS template.", level=self.level_id.name)
            )
        return template._render_field("body", self.ids, compute_lang=True)[self.id]

    def _sms_sent(self):
        """True when the SMS of this reminder already reached the provider (a retry after an
        email failure does not text the customer twice)."""
        notifications = self.sms_message_id.notification_ids.filtered(lambda n: n.notification_type == "sms")
        return bool(notifications) and all(
            n.notification_status in ("process", "pending", "sent") for n in notifications
        )

    def _action_sms(self):
        """Send now through Odoo's SMS (IAP); a refusal fails the reminder, which is retried."""
        if self._sms_sent():
            return
        contact = self.contact_id or self.partner_id
        number = self._relance_sms_number()
        message = self._message_sms(self._render_sms(), partner_ids=contact.ids, sms_pid_to_number={contact.id: number})
        notifications = message.notification_ids.filtered(lambda n: n.notification_type == "sms")
        failed = notifications.filtered(lambda n: n.notification_status in ("exception", "bounce"))
        if failed or not notifications:
            failure = failed[:1]
            labels = dict(failure._fields["failure_type"]._description_selection(self.env))
            reason = failure.failure_reason or labels.get(failure.failure_type) or self.env._("Unknown error")
            raise UserError(self.env._("The SMS to %(number)s was not sent: %(reason)s", number=number, reason=reason))
        self.sms_message_id = message

    def _evidence_sms(self, channel, common):
        message = self.sms_message_id
        if not message:
            return []
        return [
            dict(
                common,
                kind=channel["kind"],
                mail_message_id=message.id,
                body=message.body,
                summary=self.env._("SMS: %(text)s", text=html2plaintext(message.body or "")[:120]),
            )
        ]

    def _refresh(self, decision, date):
        """A reminder moved to another level texts again; the same level does not."""
        if decision.level_id != self.level_id.id:
            self.sms_message_id = False
        return super()._refresh(decision, date)
