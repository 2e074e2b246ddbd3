from datetime import datetime, time, timedelta
from unittest.mock import patch

from odoo import Command
from odoo.exceptions import UserError, ValidationError
from odoo.tests import tagged
from odoo.tools import SQL, mute_logger

from odoo.addons.relance_impayes.models.relance_engine import RelanceEngine
from odoo.addons.relance_impayes.models.relance_promise import RelancePromise

from .common import TODAY, RelanceCommon
from .test_relance_negotiation import REPLY

ENGINE_LOGGER = "odoo.addons.relance_impayes.models.relance_engine_faults"


@tagged("post_install", "-at_install")
class TestRelanceFaults(RelanceCommon):
    """No bad record, setting or email stops the daily run, and nothing stays stuck."""

    def _other_company_with_customer(self):
        other = self.setup_other_company(name="Filiale Sud")["company"]
        other.email = "compta@filiale-sud.example.fr"  # reminders come from the company's address
        customer = self._relance_customer("Sudiste SA")
        invoice = self._relance_invoice(customer, 700, days_late=6, company=other)
        return other, customer, invoice

    # ------------------------------------------------------------------ fault isolation
    def test_policy_of_another_company_is_refused_with_a_clear_message(self):
        other, _customer, _invoice = self._other_company_with_customer()
        with self.assertRaises(ValidationError) as catch:
            self.customer.with_company(self.company).relance_policy_id = other.relance_policy_id
        self.assertIn("belongs to Filiale Sud", str(catch.exception))
        self.assertFalse(self.customer.with_company(self.company).relance_policy_id, "nothing changed")
        self.customer.with_company(other).relance_policy_id = other.relance_policy_id  # its own company: fine

    def test_foreign_policy_forced_in_sql_stops_no_company_and_cron_stays_active(self):
        other, customer_other, inv_other = self._other_company_with_customer()
        inv_main = self._relance_invoice(self.customer, 1000, days_late=6)
        self.env.flush_all()
        self.env.execute_query(
            SQL(
                "UPDATE res_partner SET relance_policy_id = jsonb_build_object(%s::text, %s) WHERE id = %s",
                self.company.id,
                other.relance_policy_id.id,
                self.customer.id,
            )
        )
        self.env.invalidate_all()
        cron = self.env.ref("relance_impayes.ir_cron_relance")
        for day in range(5):
            self._run_day(TODAY + timedelta(days=2 * day))
        self.assertTrue(cron.active, "five runs later the scheduled action is still active")
        self.assertEqual(cron.failure_count, 0, "no run failed")
        self.assertEqual(self._comms(customer_other).company_id, other)
        self.assertIn("sent", self._comms(customer_other).mapped("state"))
        self.assertTrue(inv_other.relance_level_id, "the other company's customer was reminded")
        self.assertEqual(
            inv_main.relance_level_id.policy_id, self.policy, "the foreign policy is ignored: the company's applies"
        )

    def test_a_failing_company_is_rolled_back_logged_and_the_others_send(self):
        other, customer_other, inv_other = self._other_company_with_customer()
        self._relance_invoice(self.customer, 1000, days_late=6)
        original = RelanceEngine._decide
        main = self.company

        def broken_decide(engine, company, date=None, partners=None):
            if company == main:
                raise RuntimeError("corrupted ledger")
            return original(engine, company, date, partners)

        cron = self.env.ref("relance_impayes.ir_cron_relance")
        with patch.object(RelanceEngine, "_decide", broken_decide):
            for day in range(5):
                with self.assertLogs(ENGINE_LOGGER, "ERROR") as logs:
                    self._run_day(TODAY + timedelta(days=day))
                self.assertEqual(len(logs.records), 1, "logged once per run")
        self.assertTrue(cron.active)
        self.assertEqual(cron.failure_count, 0)
        self.assertFalse(self._comms(self.customer), "the failing company sent nothing")
        self.assertTrue(self._comms(customer_other).filtered(lambda c: c.state == "sent"))
        self.assertTrue(inv_other.relance_level_id)
        notes = main.partner_id.message_ids.filtered(lambda m: "corrupted ledger" in (m.body or ""))
        self.assertEqual(len(notes), 5, "each failed day is noted on the company")

    def test_batch_size_zero_or_garbage_falls_back_to_the_default(self):
        self._relance_invoice(self.customer, 1000, days_late=6)
        self._relance_invoice(self.customer_b, 500, days_late=6)
        params = self.env["ir.config_parameter"].sudo()
        params.set_param("relance_impayes.batch_size", "0")
        with self.assertLogs(ENGINE_LOGGER, "WARNING") as logs:
            self._run_day()
        self.assertIn("relance_impayes.batch_size", logs.output[0])
        self.assertEqual(self._comms().mapped("state"), ["sent", "sent"])
        params.set_param("relance_impayes.batch_size", "abc")
        engine = self.env["relance.engine"]
        with self.assertLogs(ENGINE_LOGGER, "WARNING"):
            self.assertEqual(engine._relance_int_setting("relance_impayes.batch_size", None, 50), 50)
        self.assertEqual(engine._relance_int_setting("relance_impayes.batch_size", 7, 50), 7, "cron argument wins")

    def test_negative_delays_are_refused(self):
        for fname in ("relance_min_interval", "relance_promise_grace_days", "relance_plan_break_days"):
            with self.assertRaises(ValidationError) as catch:
                self.company.write({fname: -1})
            self.assertIn("cannot be negative", str(catch.exception))
        with self.assertRaises(ValidationError) as catch:
            self.company.relance_stuck_days = 0
        self.assertIn("one day", str(catch.exception))
        self.assertEqual(self.company.relance_stuck_days, 2, "nothing changed")

    def _promise(self, partner, inv):
        return self.env["relance.promise"].create(
            {"partner_id": partner.id, "move_ids": [Command.set(inv.ids)], "amount": 100, "date": TODAY}
        )

    def test_a_promise_whose_update_raises_does_not_stop_the_others(self):
        bad = self._promise(self.customer, self._relance_invoice(self.customer, 1000, days_late=6))
        good = self._promise(self.customer_b, self._relance_invoice(self.customer_b, 1000, days_late=6))
        original = RelancePromise._relance_update_state

        def update(promise, date, payments_only):
            if promise == bad:
                promise.write({"note": "half done"})
                raise RuntimeError("promise exploded")
            return original(promise, date, payments_only)

        with (
            patch.object(RelancePromise, "_relance_update_state", update),
            mute_logger("odoo.addons.relance_impayes.models.relance_negotiation_mixin"),
        ):
            self.env["relance.promise"]._relance_update_states(date=TODAY + timedelta(days=10), company=self.company)
        self.assertEqual(good.state, "broken", "the other promise moved on")
        self.assertEqual(bad.state, "open")
        self.assertFalse(bad.note, "the failed update was rolled back")
        self.assertTrue(bad.message_ids.filtered(lambda m: "promise exploded" in (m.body or "")))

    def test_a_broken_instalment_template_does_not_stop_the_run(self):
        inv = self._relance_invoice(self.customer, 900, days_late=20)
        plan = self.env["relance.payment.plan"].create(
            {
                "partner_id": self.customer.id,
                "move_ids": [Command.set(inv.ids)],
                "installment_count": 3,
                "first_date": TODAY + timedelta(days=10),
            }
        )
        plan.action_generate()
        plan.action_confirm()
        template = self.env.ref("relance_impayes.mail_template_relance_plan_notice")
        broken = '<p><t t-out="object.no_such_field.name"/></p>'  # written in SQL: the form refuses it
        self.env.flush_all()
        self.env.execute_query(
            SQL(
                "UPDATE mail_template SET body_html = jsonb_build_object('en_US', %s, 'fr_FR', %s) WHERE id = %s",
                broken,
                broken,
                template.id,
            )
        )
        self.env.invalidate_all()
        other_inv = self._relance_invoice(self.customer_b, 400, days_late=6)
        with mute_logger("odoo.addons.mail.models.mail_render_mixin"):
            self._run_day(TODAY + timedelta(days=8))
        self.assertFalse(plan.line_ids[0].notice_sent, "tried again by the next run")
        self.assertEqual(plan.state, "active")
        self.assertTrue(plan.message_ids.filtered(lambda m: "not sent" in (m.body or "")))
        self.assertTrue(other_inv.relance_level_id, "the run went on with the other customers")

    # ------------------------------------------------------------------ nothing stuck
    def test_deleted_email_of_a_sending_reminder_recovers(self):
        inv, comm = self._relance_queued_reminder()
        comm.mail_id.unlink()
        self.assertEqual(comm.state, "sending", "stuck until the sweep")
        self._run_day(TODAY + timedelta(days=1))
        self.assertEqual(self._comms(self.customer), comm, "the same reminder, retried")
        self.assertEqual(comm.state, "sent")
        self.assertEqual(comm.attempt_count, 2)
        self.assertTrue(comm.message_ids.filtered(lambda m: "deleted before it left" in (m.body or "")))
        self.assertEqual(len(self._mails), 1)
        self.assertEqual(inv.relance_level_id, self.lvl_amiable)

    def test_email_unsent_past_the_delay_is_cancelled_and_retried_once(self):
        self._relance_invoice(self.customer, 1000, days_late=6)
        with self.mock_mail_gateway():
            self._run_cron()
        comm = self._comms(self.customer)
        first_mail = comm.mail_id
        self._run_cron(TODAY + timedelta(days=1))
        self.assertEqual(comm.state, "sending", "within the delay (2 days) it may still leave")
        self._run_day(TODAY + timedelta(days=3))
        self.assertEqual(first_mail.state, "cancel", "the old email can never leave after its retry")
        self.assertEqual(comm.state, "sent")
        self.assertNotEqual(comm.mail_id, first_mail)
        self.assertEqual(len(self._mails), 1, "the customer got one email")

    def test_attempts_count_and_the_limit_fails_for_good_without_blocking_the_customer(self):
        nomail = self._relance_customer("Sansmail SARL", email=False)
        self._relance_invoice(nomail, 1000, days_late=6)
        for day in range(3):
            self._run_day(TODAY + timedelta(days=day))
        comm = self._comms(nomail)
        self.assertEqual(comm.attempt_count, 3, "every refused attempt counts")
        self.assertEqual(comm.state, "given_up")
        todo = self.env["relance.communication"].search([("state", "=", "given_up")])
        self.assertIn(comm, todo, "visible in the To do list (Failed for good)")
        self._run_day(TODAY + timedelta(days=3))
        comms = self._comms(nomail)
        self.assertEqual(len(comms), 2, "a new reminder was planned")
        self.assertEqual((comms - comm).attempt_count, 1)
        self.assertEqual(comm.state, "given_up")

    def test_failed_reminder_waits_the_retry_delay_before_its_next_attempt(self):
        """The scheduler calls the action again while reminders remain: a fault is retried by a
        later run, not within the same minutes (it would use up every attempt at once)."""
        nomail = self._relance_customer("Sansmail SARL", email=False)
        self._relance_invoice(nomail, 1000, days_late=6)
        self._run_day()
        comm = self._comms(nomail)
        self.assertEqual((comm.state, comm.attempt_count), ("failed", 1))
        self._run_day()
        self._run_day()
        self.assertEqual((comm.state, comm.attempt_count), ("failed", 1), "not retried within the delay")
        self.assertEqual(comm.last_attempt_date, datetime.combine(TODAY, time(0, 0)))
        self._run_day(datetime.combine(TODAY, time(2, 0)))
        self.assertEqual((comm.state, comm.attempt_count), ("failed", 2), "retried once the delay is over")
        self.env["ir.config_parameter"].sudo().set_param("relance_impayes.retry_delay_minutes", "240")
        self._run_day(datetime.combine(TODAY, time(4, 0)))
        self.assertEqual(comm.attempt_count, 2, "the delay is a setting")

    # ------------------------------------------------------------------ an email in error
    def _reminder_whose_email_failed(self):
        """``(invoice, reminder)``: the friendly reminder's email refused by a mail server that is
        down (connection refused), as the mail queue sees it."""
        invoice, comm = self._relance_queued_reminder()
        with (
            self.mock_mail_gateway(),
            patch.object(
                type(self.env["ir.mail_server"]),
                "_connect__",
                side_effect=ConnectionRefusedError(111, "Connection refused"),
            ),
            mute_logger("odoo.addons.mail.models.mail_mail"),
        ):
            self._send_queue()
        self.assertEqual((comm.state, comm.mail_id.state), ("failed", "exception"))
        return invoice, comm

    def test_email_in_error_is_retried_from_its_reminder_and_reaches_the_customer_once(self):
        invoice, comm = self._reminder_whose_email_failed()
        failed_mail = comm.mail_id
        with self.assertRaisesRegex(UserError, "retry the reminder itself"):
            failed_mail.mark_outgoing()  # Odoo's Retry on the email: a copy of a failed attempt
        self.assertEqual(failed_mail.state, "exception", "refused: nothing changed")
        self.assertEqual(comm.state, "failed")
        accountant = self._relance_user("compta_retry", "Claire Compta", "claire@example.fr")
        with self.mock_mail_gateway():
            comm.with_user(accountant).action_retry()  # a Relances user, who cannot read emails
            self._send_queue()
            self.assertEqual(len(self._mails), 1, "one email, the reminder's new one")
        self.assertEqual(comm.state, "sent")
        self.assertNotEqual(comm.mail_id, failed_mail)
        self.assertEqual(failed_mail.state, "cancel", "the failed attempt's email is replaced")
        self.assertEqual(invoice.relance_level_id, self.lvl_amiable)
        for mail in (failed_mail, comm.mail_id):
            with self.assertRaisesRegex(UserError, "retry the reminder itself"):
                mail.mark_outgoing()  # Odoo shows Retry on a cancelled email too
        self._run_day(TODAY + timedelta(days=1))
        self.assertEqual(len(self._mails), 0, "nothing sent again")
        self.assertEqual(len(comm.interaction_ids), 1)

    def test_failed_reminder_whose_email_left_after_all_counts_as_sent(self):
        """Whatever put its email back in the queue (here SQL, past the guard), an email that left
        is the reminder's send: marked sent, followed up once, never sent again."""
        invoice, comm = self._reminder_whose_email_failed()
        self.env.flush_all()
        self.env.execute_query(SQL("UPDATE mail_mail SET state = 'outgoing' WHERE id = %s", comm.mail_id.id))
        self.env.invalidate_all()
        with self.mock_mail_gateway():
            self._send_queue()
            self.assertEqual(len(self._mails), 1)
        self.assertEqual(comm.state, "sent")
        self.assertEqual(invoice.relance_level_id, self.lvl_amiable, "the invoice climbed")
        self.assertEqual(len(comm.interaction_ids), 1, "the evidence of the email that left")
        self._run_day(TODAY + timedelta(days=1))
        self.assertEqual(len(self._mails), 0, "the retry delay over, nothing is sent again")

    # ------------------------------------------------------------------ replies
    def _sent_reminder(self):
        self._relance_invoice(self.customer, 1000, days_late=6)
        self._run_day()
        return self._comms(self.customer)

    def _reply(self, comm, subject, extra="", email_from="dupont@example.fr", msgid="r1"):
        raw = REPLY.format(
            email_from=email_from,
            email_to="compta@example.fr",
            subject=subject,
            msgid=msgid,
            in_reply_to=comm.mail_id.message_id,
            extra=extra,
            body="Nous contestons la facture.",
        )
        self.env["mail.thread"].message_process(False, raw)

    def _replies(self):
        return self.env["relance.interaction"].search([("kind", "=", "reply")])

    def test_french_reply_about_absence_of_payment_is_a_reply(self):
        comm = self._sent_reminder()
        self._reply(comm, "absence de paiement – facture contestée")
        reply = self._replies()
        self.assertEqual(len(reply), 1)
        self.assertIn("absence de paiement", reply.summary)
        self.assertEqual(reply.contact_id, self.customer)

    def test_auto_replies_recognised_by_headers_and_prefixes_only(self):
        comm = self._sent_reminder()
        self._reply(comm, "Nous revenons vers vous", extra="X-Autoreply: yes\n", msgid="a1")
        self._reply(comm, "Nous revenons vers vous", extra="Precedence: bulk\n", msgid="a2")
        self._reply(comm, "Nous revenons vers vous", extra="Auto-Submitted: auto-replied\n", msgid="a3")
        self._reply(comm, "Absence du bureau : retour le 20 mars", msgid="a4")
        self._reply(comm, "Auto: Relance", msgid="a5")
        self.assertFalse(self._replies())
        self._reply(comm, "Paiement en cours", extra="Auto-Submitted: no\n", msgid="a6")
        self.assertEqual(len(self._replies()), 1, "Auto-Submitted: no is a person")

    def test_reply_with_an_internal_users_address_is_not_written_by_that_user(self):
        comm = self._sent_reminder()
        user = self.env["res.users"].create(
            {
                "name": "Comptable",
                "login": "comptable",
                "email": "comptable@example.fr",
                "group_ids": [Command.link(self.env.ref("relance_impayes.relance_impayes_group_manager").id)],
            }
        )
        self._reply(comm, "Re: relance", email_from="comptable@example.fr")
        reply = self._replies()
        self.assertEqual(len(reply), 1)
        self.assertNotEqual(reply.contact_id, user.partner_id)
        self.assertNotEqual(reply.user_id, user)
        message = comm.message_ids.filtered(lambda m: m.message_type == "email" and "contestons" in (m.body or ""))
        self.assertTrue(message)
        self.assertNotEqual(message.author_id, user.partner_id, "a forged From does not sign as the user")
        self.assertEqual(message.email_from, "comptable@example.fr")

    def test_reply_from_a_customer_contact_is_signed_by_that_contact(self):
        comm = self._sent_reminder()
        contact = self.env["res.partner"].create(
            {"name": "Mme Dupont", "parent_id": self.customer.id, "email": "m.dupont@example.fr"}
        )
        self._reply(comm, "Re: relance", email_from="Mme Dupont <m.dupont@example.fr>")
        self.assertEqual(self._replies().contact_id, contact)

    def test_outgoing_reminder_carries_auto_submitted(self):
        self._sent_reminder()
        self.assertEqual(len(self._mails), 1)
        self.assertEqual(self._mails[0]["headers"].get("Auto-Submitted"), "auto-generated")
