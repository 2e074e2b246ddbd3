from datetime import timedelta
from unittest.mock import patch

from odoo.tests import tagged
from odoo.tools import mute_logger

from odoo.addons.base.models.ir_cron import IrCron
from odoo.addons.base.models.ir_mail_server import IrMail_Server, MailDeliveryException

from .common import TODAY, RelanceCommon


@tagged("post_install", "-at_install")
class TestRelanceRun(RelanceCommon):
    """The daily scheduled action: sends, queues, never twice, nothing lost."""

    def test_daily_run_sends_email_and_climbs(self):
        inv = self._relance_invoice(self.customer, 1000, days_late=6)
        self._run_day()
        comm = self._comms(self.customer)
        self.assertEqual(comm.state, "sent")
        self.assertEqual(comm.level_id, self.lvl_amiable)
        self.assertEqual(inv.relance_level_id, self.lvl_amiable)
        self.assertEqual(inv.relance_date, TODAY)
        self.assertEqual(inv.relance_next_level_id, self.lvl_phone)
        self.assertEqual(inv.relance_next_date, inv.invoice_date_due + timedelta(days=12))
        self.assertEqual(len(self._mails), 1)
        mail = self._mails[0]
        self.assertIn("dupont@example.fr", mail["email_to"][0])
        self.assertIn(inv.name, mail["body"])
        self.assertIn("/my/relance?access_token=", mail["body"])
        interaction = comm.interaction_ids
        self.assertEqual(interaction.kind, "email")
        self.assertEqual(interaction.move_ids, inv)
        self.assertEqual(interaction.mail_message_id, comm.mail_id.mail_message_id)
        self.assertIn(interaction, inv.relance_interaction_ids)

    def test_two_runs_the_same_day_send_nothing_new(self):
        self._relance_invoice(self.customer, 1000, days_late=6)
        self._run_day()
        self._run_day()
        self.assertEqual(len(self._comms(self.customer)), 1)
        self.assertEqual(len(self.env["mail.mail"].search([("model", "=", "relance.communication")])), 1)
        self.assertEqual(len(self._mails), 0, "the second run sent no email")

    def test_one_communication_per_customer_listing_all_overdue_invoices(self):
        inv1 = self._relance_invoice(self.customer, 1000, days_late=6)
        inv2 = self._relance_invoice(self.customer, 250, days_late=2)
        self._run_day()
        comm = self._comms(self.customer)
        self.assertEqual(len(comm), 1)
        self.assertEqual(comm.move_ids, inv1 | inv2)
        self.assertEqual(comm.amount_due, 1250)
        self.assertEqual(inv1.relance_level_id, self.lvl_amiable)
        self.assertFalse(inv2.relance_level_id, "listed, but not yet due for a level: does not climb")
        self.assertIn(inv2.name, self._mails[0]["body"])

    def test_resume_after_a_run_stopped_between_batches(self):
        partners = [self._relance_customer(f"Client{i} SA") for i in range(3)]
        invoices = [self._relance_invoice(p, 100 * (i + 1), days_late=6) for i, p in enumerate(partners)]
        self.env["ir.config_parameter"].sudo().set_param("relance_impayes.batch_size", 1)
        calls = []
        original = IrCron._commit_progress

        def stop_after_first_batch(cron, processed=0, **kwargs):
            original(cron, processed, **kwargs)
            calls.append(processed)
            return 0 if processed else 60  # out of time once one batch is done

        with self.mock_mail_gateway(), patch.object(IrCron, "_commit_progress", stop_after_first_batch):
            self._run_cron()
        comms = self.env["relance.communication"].search([("partner_id", "in", [p.id for p in partners])])
        self.assertEqual(len(comms), 3, "all planned before sending")
        # out of time after each batch, the reminders left are still counted as remaining: Odoo's
        # scheduler calls the action again in the same scheduled run, one batch per call
        self.assertEqual([processed for processed in calls if processed], [1, 1, 1])
        self.assertEqual(sorted(comms.mapped("state")), ["sending", "sending", "sending"])
        with self.mock_mail_gateway():
            self._send_queue()
            self._run_cron()
            self._send_queue()
        self.assertEqual(comms.mapped("state"), ["sent"] * 3)
        self.assertEqual(
            len(self.env["mail.mail"].search([("model", "=", "relance.communication")])),
            3,
            "each customer got exactly one email",
        )
        for inv in invoices:
            self.assertEqual(inv.relance_level_id, self.lvl_amiable)

    def test_mail_failure_is_visible_retried_and_does_not_climb(self):
        inv = self._relance_invoice(self.customer, 1000, days_late=6)
        with (
            self.mock_mail_gateway(),
            mute_logger("odoo.addons.mail.models.mail_mail"),
            patch.object(IrMail_Server, "send_email", side_effect=MailDeliveryException("Mail server down")),
        ):
            self._run_cron()
            self._send_queue()
        comm = self._comms(self.customer)
        self.assertEqual(comm.state, "failed")
        self.assertIn("Mail server down", comm.failure_reason)
        self.assertFalse(inv.relance_level_id, "the invoice does not climb past a reminder that never left")
        self.assertFalse(comm.interaction_ids, "nothing says it was sent")
        # the next run retries the same communication
        self._run_day(TODAY + timedelta(days=1))
        self.assertEqual(self._comms(self.customer), comm)
        self.assertEqual(comm.state, "sent")
        self.assertEqual(inv.relance_level_id, self.lvl_amiable)
        self.assertEqual(comm.attempt_count, 2)

    def test_missing_email_is_reported_not_skipped(self):
        nomail = self._relance_customer("Sansmail SARL", email=False)
        inv = self._relance_invoice(nomail, 1000, days_late=6)
        self._run_day()
        comm = self._comms(nomail)
        self.assertEqual(comm.state, "failed")
        self.assertIn("no email address", comm.failure_reason)
        self.assertFalse(inv.relance_level_id)
        nomail.email = "contact@sansmail.fr"
        with self.mock_mail_gateway():
            comm.action_retry()
            self._send_queue()
        self.assertEqual(comm.state, "sent")

    def test_missing_address_blocks_a_letter(self):
        inv = self._relance_invoice(self.customer, 1000, days_late=25)
        inv.write({"relance_level_id": self.lvl_phone.id, "relance_date": TODAY - timedelta(days=10)})
        self.customer.write({"street": False})
        self._run_day()
        comm = self._comms(self.customer)
        self.assertEqual(comm.level_id, self.lvl_formal)
        self.assertEqual(comm.state, "failed")
        self.assertIn("postal address", comm.failure_reason)
        self.assertEqual(inv.relance_level_id, self.lvl_phone)

    def test_validation_queue_for_formal_notice(self):
        inv = self._relance_invoice(self.customer, 1000, days_late=50)
        inv.write({"relance_level_id": self.lvl_final.id, "relance_date": TODAY - timedelta(days=20)})
        self._run_day()
        comm = self._comms(self.customer)
        self.assertEqual(comm.level_id, self.lvl_notice)
        self.assertEqual(comm.state, "to_validate", "a formal notice waits for a person")
        self.assertEqual(inv.relance_level_id, self.lvl_final)
        self._run_day()
        self.assertEqual(self._comms(self.customer), comm, "still one communication waiting")
        comm.action_validate()
        self.assertEqual(comm.state, "sending", "a registered letter waits for its PDF")
        self.assertFalse(comm.interaction_ids, "never to post without its PDF")
        self._run_letters()
        self.assertEqual(comm.state, "sent")
        self.assertEqual(comm.validated_by_id, self.env.user)
        self.assertEqual(inv.relance_level_id, self.lvl_notice)
        letter = comm.interaction_ids
        self.assertEqual(letter.kind, "registered_letter")
        self.assertEqual(letter.lrar_status, "to_send")
        self.assertTrue(letter.attachment_ids, "the letter is stored on the interaction")
        letter.write(
            {
                "tracking_number": "1A12345678901",
                "lrar_status": "received",
                "lrar_sent_date": TODAY,
                "lrar_receipt_date": TODAY + timedelta(days=2),
            }
        )
        self.assertEqual(letter.tracking_number, "1A12345678901")

    def test_phone_level_creates_call_task_for_collector(self):
        collector = self.env["res.users"].create(
            {"name": "Claire Recouvrement", "login": "claire", "email": "claire@example.fr"}
        )
        self.customer.relance_collector_id = collector
        inv = self._relance_invoice(self.customer, 1000, days_late=13)
        inv.write({"relance_level_id": self.lvl_amiable.id, "relance_date": TODAY - timedelta(days=8)})
        self._run_day()
        activity = self.customer.activity_ids.filtered(
            lambda a: a.activity_type_id == self.env.ref("relance_impayes.mail_activity_type_relance_call")
        )
        self.assertEqual(len(activity), 1)
        self.assertEqual(activity.user_id, collector)
        self.assertEqual(activity.date_deadline, TODAY)
        self.assertEqual(self._comms(self.customer).user_id, collector)

    def test_multi_company_isolation(self):
        other = self.setup_other_company(name="Filiale Sud")["company"]
        self.assertTrue(other.relance_policy_id, "a new company starts with its own policy")
        self.assertNotEqual(other.relance_policy_id, self.policy)
        inv_other = self._relance_invoice(self.customer, 900, days_late=6, company=other)
        inv_main = self._relance_invoice(self.customer, 100, days_late=2)
        decisions = self._decide(company=other)
        self.assertEqual([s.move_id for s in decisions[self.customer.id].steps], inv_other.ids)
        self.assertEqual(decisions[self.customer.id].level_id, other.relance_policy_id._ladder()[0].id)
        self._run_day()
        comms = self._comms(self.customer)
        self.assertEqual(comms.company_id, other)
        self.assertEqual(comms.move_ids, inv_other)
        self.assertFalse(inv_main.relance_level_id)
        user = self.env["res.users"].create(
            {
                "name": "Main only",
                "login": "mainonly",
                "company_id": self.company.id,
                "company_ids": [self.company.id],
                "group_ids": [(4, self.env.ref("relance_impayes.relance_impayes_group_user").id)],
            }
        )
        self.assertFalse(self.env["relance.communication"].with_user(user).search([("id", "in", comms.ids)]))
        self.assertFalse(
            self.env["relance.interaction"].with_user(user).search([("id", "in", comms.interaction_ids.ids)])
        )

    def test_courtesy_next_step_is_refreshed_once_due_date_passed(self):
        self.lvl_courtesy.active = True
        inv = self._relance_invoice(self.customer, 1000, days_late=-1)
        self.assertEqual(inv.relance_next_level_id, self.lvl_courtesy)
        self._run_day(TODAY + timedelta(days=3))
        self.assertEqual(self._comms(self.customer).mapped("state"), [], "no courtesy reminder after the due date")
        self.assertEqual(inv.relance_next_level_id, self.lvl_amiable)
