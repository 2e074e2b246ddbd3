from datetime import timedelta
from unittest.mock import patch

from odoo import Command, fields
from odoo.tests import HttpCase, tagged

from odoo.addons.mail.tests.common import MockEmail

from .common import RelanceRecords


@tagged("post_install", "-at_install")
class TestRelanceTour(RelanceRecords, HttpCase, MockEmail):
    """The accountant's daily flow in the browser (issue acceptance): to do, send a reminder by
    hand, validate a formal notice, log a call, read the history. The tour clicks; this test
    prepares the data with real dates and checks the real effects afterwards."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.company = cls.env.ref("base.main_company")
        cls.admin = cls.env.ref("base.user_admin")
        cls.admin.write(
            {
                "company_id": cls.company.id,
                "company_ids": [Command.link(cls.company.id)],
                "email": "admin@example.fr",
            }
        )
        cls.company.write({"email": "compta@example.fr", "street": "1 rue de la Paix", "zip": "75002", "city": "Paris"})
        # the browser works in admin's timezone: the same "today" as the screens
        cls.today = fields.Date.context_today(cls.admin)
        cls.policy = cls.company.relance_policy_id
        cls.lvl_amiable = cls.env.ref("relance_impayes.relance_level_amiable")
        cls.lvl_phone = cls.env.ref("relance_impayes.relance_level_phone")
        cls.lvl_final = cls.env.ref("relance_impayes.relance_level_final")
        cls.lvl_notice = cls.env.ref("relance_impayes.relance_level_mise_en_demeure")
        # the tour runs on the real date: the formal notice claims penalties up to today, so today's
        # half-year needs its reference rates (else it waits for a manager to enter them)
        half = "1" if cls.today.month <= 6 else "2"
        if not cls.env["relance.rate"].search_count([("year", "=", cls.today.year), ("half", "=", half)]):
            cls.env["relance.rate"].create(
                {
                    "year": cls.today.year,
                    "half": half,
                    "ecb_rate": 2.15,
                    "legal_rate_consumer": 6.67,
                    "legal_rate_other": 2.62,
                }
            )

        # To do: an invoice 10 days late, the friendly reminder is due
        cls.dupont = cls._customer("Tour Dupont SARL")
        cls.inv_dupont = cls._invoice(cls.dupont, 1200.0, days_late=10)
        # To validate: final notice reached 20 days ago, due 50 days ago -> formal notice queued
        cls.martin = cls._customer("Tour Martin SAS")
        cls.inv_martin = cls._invoice(cls.martin, 4800.0, days_late=50)
        cls.inv_martin.write({"relance_level_id": cls.lvl_final.id, "relance_date": cls.today - timedelta(days=20)})
        Comm = cls.env["relance.communication"].with_company(cls.company)
        decisions = cls.env["account.move"]._relance_decide(cls.company, cls.today, partners=cls.martin)
        cls.comm_martin = Comm._plan(cls.company, [d for d in decisions if d.skip_reason is None], cls.today)
        cls.comm_martin._execute()
        # Calls: a collection call planned by the phone level
        cls.bernard = cls._customer("Tour Bernard SA")
        cls.inv_bernard = cls._invoice(cls.bernard, 950.0, days_late=15)
        cls.inv_bernard.write({"relance_level_id": cls.lvl_phone.id, "relance_date": cls.today - timedelta(days=3)})
        cls.call_activity = cls.bernard._relance_schedule_call(
            cls.today, summary="Call about 950 € overdue", user=cls.admin
        )

    @classmethod
    def _customer(cls, name):
        email = f"{name.split()[1].lower()}@example.fr"
        return cls._relance_customer(name, email=email, phone="+33 1 23 45 67 89", relance_collector_id=cls.admin.id)

    @classmethod
    def _invoice(cls, partner, amount, days_late):
        return cls._relance_invoice(partner, amount, days_late, company=cls.company)

    def test_daily_flow_tour(self):
        self.assertEqual(self.comm_martin.level_id, self.lvl_notice)
        self.assertEqual(self.comm_martin.state, "to_validate", "the formal notice waits for a person")
        self.assertEqual(
            self.call_activity.activity_type_id, self.env.ref("relance_impayes.mail_activity_type_relance_call")
        )

        def letters_at_once(comms):
            """The cron worker picks the letters' trigger up at once (no cron thread in tests)."""
            for batch in comms.browse()._relance_letter_batches():
                batch._relance_render_letters()

        with patch.object(type(self.env["relance.communication"]), "_relance_trigger_letters", letters_at_once):
            self.start_tour("/odoo", "relance_daily_flow_tour", login="admin")
        self.env.invalidate_all()

        # 1. the reminder prepared and sent by hand: in the mail queue, then sent with its evidence
        comm_dupont = self.env["relance.communication"].search([("partner_id", "=", self.dupont.id)])
        self.assertEqual(len(comm_dupont), 1)
        self.assertEqual(comm_dupont.origin, "manual")
        self.assertEqual(comm_dupont.level_id, self.lvl_amiable)
        self.assertEqual(comm_dupont.state, "sending", "the email waits in the mail queue")
        self.assertEqual(comm_dupont.validated_by_id, self.admin)
        mail = comm_dupont.mail_id
        self.assertTrue(mail)
        self.assertEqual(mail.state, "outgoing")
        self.assertEqual(mail.recipient_ids, self.dupont)
        self.assertIn(self.inv_dupont.name, str(mail.body_html))
        self.assertFalse(self.inv_dupont.relance_level_id, "no level before the email really left")
        with self.mock_mail_gateway():  # the mail queue, SMTP mocked
            mail.send(raise_exception=False)
        self.assertSentEmail(mail.email_from, [self.dupont])
        self.env.invalidate_all()
        self.assertEqual(comm_dupont.state, "sent")
        self.assertEqual(comm_dupont.interaction_ids.mapped("kind"), ["email"])
        self.assertEqual(self.inv_dupont.relance_level_id, self.lvl_amiable)

        # 2. the formal notice validated and sent: registered letter to post, invoice climbed
        self.assertEqual(self.comm_martin.state, "sent")
        self.assertEqual(self.comm_martin.validated_by_id, self.admin)
        letter = self.comm_martin.interaction_ids
        self.assertEqual(letter.mapped("kind"), ["registered_letter"])
        self.assertEqual(letter.lrar_status, "to_send")
        self.assertTrue(letter.attachment_ids, "the letter is kept as evidence")
        self.assertEqual(self.inv_martin.relance_level_id, self.lvl_notice)

        # 3. the call: outcome logged by admin, task done, call back tomorrow
        call = self.env["relance.interaction"].search([("partner_id", "=", self.bernard.id), ("kind", "=", "call")])
        self.assertEqual(len(call), 1)
        self.assertEqual(call.call_outcome, "no_answer")
        self.assertEqual(call.user_id, self.admin)
        self.assertIn(self.inv_bernard, call.move_ids)
        self.assertFalse(self.call_activity.exists() and self.call_activity.active, "the call task is done")
        call_type = self.env.ref("relance_impayes.mail_activity_type_relance_call")
        retry = self.bernard.activity_ids.filtered(lambda a: a.activity_type_id == call_type)
        self.assertEqual(retry.date_deadline, self.today + timedelta(days=1), "no answer: call again tomorrow")
