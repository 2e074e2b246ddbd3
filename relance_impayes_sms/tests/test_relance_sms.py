from datetime import timedelta
from unittest.mock import patch

from odoo.tests import tagged
from odoo.tools import mute_logger

from odoo.addons.base.models.ir_mail_server import IrMail_Server, MailDeliveryException
from odoo.addons.relance_impayes.tests.common import TODAY, RelanceCommon
from odoo.addons.sms.tests.common import SMSCase

MOBILE = "+33612345678"


@tagged("post_install", "-at_install")
class TestRelanceSms(RelanceCommon, SMSCase):
    """A level that texts: the SMS leaves through Odoo's SMS, is kept as evidence, and a
    refusal (no number, provider error) fails the reminder, which is retried."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.template = cls.env.ref("relance_impayes_sms.sms_template_relance")
        cls.lvl_amiable.write({"action_email": False, "action_sms": True, "sms_template_id": cls.template.id})
        cls.customer.phone = "06 12 34 56 78"

    def test_sms_reminder_is_sent_logged_and_climbs(self):
        inv = self._relance_invoice(self.customer, 1000, days_late=6)
        with self.mockSMSGateway():
            self._run_day()
        comm = self._comms(self.customer)
        self.assertEqual(comm.state, "sent")
        self.assertEqual(inv.relance_level_id, self.lvl_amiable, "the invoice climbs once the SMS left")
        self.assertSMSIapSent([MOBILE], content=self.company.name)
        self.assertSMSIapSent([MOBILE], content="/my/relance?access_token=")
        self.assertEqual(len(self._sms), 1)
        interaction = comm.interaction_ids
        self.assertEqual(interaction.kind, "sms")
        self.assertEqual(interaction.mail_message_id, comm.sms_message_id)
        self.assertEqual(interaction.move_ids, inv)
        self.assertIn(self.company.name, interaction.summary)
        self.assertEqual(comm.sms_message_id.message_type, "sms")
        self.assertIn("SMS", comm.action_summary)
        self.assertFalse(self._mails, "an SMS-only level sends no email")

    def test_email_and_sms_level_logs_both(self):
        self.lvl_amiable.action_email = True
        inv = self._relance_invoice(self.customer, 1000, days_late=6)
        with self.mockSMSGateway():
            self._run_day()
        comm = self._comms(self.customer)
        self.assertEqual(comm.state, "sent")
        self.assertEqual(inv.relance_level_id, self.lvl_amiable)
        self.assertEqual(sorted(comm.interaction_ids.mapped("kind")), ["email", "sms"])
        self.assertEqual(len(self._mails), 1)
        self.assertEqual(len(self._sms), 1)

    def test_no_mobile_number_fails_with_its_reason(self):
        nophone = self._relance_customer("Sansphone SARL")
        inv = self._relance_invoice(nophone, 1000, days_late=6)
        with self.mockSMSGateway():
            self._run_day()
        comm = self._comms(nophone)
        self.assertEqual(comm.state, "failed")
        self.assertIn("no mobile phone number", comm.failure_reason)
        self.assertFalse(inv.relance_level_id, "no climb past a reminder that never left")
        self.assertFalse(comm.interaction_ids)
        self.assertFalse(self._sms)
        self.assertIn("no mobile phone number", comm.message_ids[:1].body)

    def test_provider_error_fails_then_next_run_sends(self):
        inv = self._relance_invoice(self.customer, 1000, days_late=6)
        with self.mockSMSGateway(sim_error="server_error"):
            self._run_day()
        comm = self._comms(self.customer)
        self.assertEqual(comm.state, "failed")
        self.assertIn(MOBILE, comm.failure_reason)
        self.assertIn("Server Error", comm.failure_reason)
        self.assertFalse(inv.relance_level_id)
        self.assertFalse(comm.interaction_ids)
        self.assertFalse(comm.sms_message_id)
        with self.mockSMSGateway():
            self._run_day(TODAY + timedelta(days=1))
        self.assertEqual(self._comms(self.customer), comm, "the same reminder is retried")
        self.assertEqual(comm.state, "sent")
        self.assertEqual(comm.attempt_count, 2)
        self.assertEqual(inv.relance_level_id, self.lvl_amiable)
        self.assertSMSIapSent([MOBILE])
        self.assertEqual(comm.interaction_ids.kind, "sms")

    def test_email_failure_retry_does_not_text_twice(self):
        self.lvl_amiable.action_email = True
        inv = self._relance_invoice(self.customer, 1000, days_late=6)
        with (
            self.mockSMSGateway(),
            self.mock_mail_gateway(),
            mute_logger("odoo.addons.mail.models.mail_mail"),
            patch.object(IrMail_Server, "send_email", side_effect=MailDeliveryException("Mail server down")),
        ):
            self._run_cron()
            self._send_queue()
        comm = self._comms(self.customer)
        self.assertEqual(comm.state, "failed")
        self.assertIn("Mail server down", comm.failure_reason)
        self.assertEqual(len(self._sms), 1, "the SMS left before the email failed")
        self.assertFalse(inv.relance_level_id)
        with self.mockSMSGateway():
            self._run_day(TODAY + timedelta(days=1))
        self.assertEqual(comm.state, "sent")
        self.assertFalse(self._sms, "the retry does not text the customer a second time")
        self.assertEqual(sorted(comm.interaction_ids.mapped("kind")), ["email", "sms"])
        self.assertEqual(inv.relance_level_id, self.lvl_amiable)
