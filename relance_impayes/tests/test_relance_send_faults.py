import smtplib
import sys
from datetime import timedelta
from unittest.mock import patch

import psycopg2

from odoo.tests import tagged
from odoo.tools import mute_logger

from odoo.addons.base.models.ir_cron import IrCron

from .common import TODAY, RelanceCommon, move_values


@tagged("post_install", "-at_install")
class TestRelanceSendFaults(RelanceCommon):
    """What happens around a send: errors after it, figures read at send time, big customers."""

    def _call_tasks(self, partner):
        call = self.env.ref("relance_impayes.mail_activity_type_relance_call")
        return partner.activity_ids.filtered(lambda a: a.activity_type_id == call)

    def _phone_level_invoice(self):
        inv = self._relance_invoice(self.customer, 1000, days_late=13)
        inv.write({"relance_level_id": self.lvl_amiable.id, "relance_date": TODAY - timedelta(days=8)})
        return inv

    # ------------------------------------------------------------------
    # The send is the only thing in the mail hook
    # ------------------------------------------------------------------
    def test_error_after_the_email_left_sends_once_and_follows_up_once(self):
        inv = self._phone_level_invoice()
        comm_class = type(self.env["relance.communication"])
        original = comm_class._post_send

        def broken(comm):
            raise RuntimeError("follow-up down")

        sent = []
        with (
            patch.object(comm_class, "_post_send", broken),
            mute_logger("odoo.addons.relance_impayes.models.relance_communication_send"),
        ):
            self._run_day()
            sent += self._mails
        comm = self._comms(self.customer)
        self.assertEqual(len(sent), 1, "the email left")
        self.assertEqual(comm.state, "sent", "an error after the send never flags the reminder failed")
        self.assertEqual(comm.mail_id.state, "sent", "nor the email")
        self.assertTrue(comm.sent_date)
        self.assertTrue(comm.post_send_pending, "the follow-up waits for the next run")
        self.assertEqual(inv.relance_level_id, self.lvl_amiable, "no climb yet")
        self.assertFalse(comm.interaction_ids)
        self.assertIn("follow-up down", comm.message_ids[0].body)

        calls = []

        def counted(comm):
            calls.append(comm.ids)
            return original(comm)

        with patch.object(comm_class, "_post_send", counted):
            self._run_day()  # the next run: retries the follow-up, sends nothing
            sent += self._mails
        self.assertTrue(calls)
        self.assertEqual(len(sent), 1, "one SMTP send in all")
        self.assertFalse(comm.post_send_pending)
        self.assertEqual(inv.relance_level_id, self.lvl_phone, "one climb")
        self.assertEqual(len(comm.interaction_ids), 1, "one interaction")
        self.assertEqual(len(self._call_tasks(self.customer)), 1, "one call task")
        # running the step again changes nothing
        comm._run_post_send()
        comm._post_send()
        self.assertEqual(len(comm.interaction_ids), 1)
        self.assertEqual(len(self._call_tasks(self.customer)), 1)
        self.assertEqual(len(self.env["mail.mail"].search([("model", "=", "relance.communication")])), 1)

    def test_mail_hook_only_marks_the_reminder_sent(self):
        inv, comm = self._relance_queued_reminder()
        comm_class = type(self.env["relance.communication"])
        with patch.object(comm_class, "_run_post_send", lambda comms: None), self.mock_mail_gateway():
            self._send_queue()
        self.assertEqual(comm.state, "sent")
        self.assertTrue(comm.post_send_pending)
        self.assertFalse(inv.relance_level_id, "the climb is not done by the hook")
        self.assertFalse(comm.interaction_ids, "nor the evidence")
        comm._run_post_send()
        self.assertEqual(inv.relance_level_id, self.lvl_amiable)
        self.assertEqual(comm.interaction_ids.kind, "email")

    def test_reminder_changed_meanwhile_keeps_its_email_sent_and_is_marked_by_the_sweep(self):
        """The letters' step (or a person) changed the reminder while its email left: PostgreSQL
        refuses the mark. The email's own state stands (never sent again); the sweep marks it."""
        inv, comm = self._relance_queued_reminder()
        comm_class = type(self.env["relance.communication"])

        def conflict(comms):
            raise psycopg2.errors.SerializationFailure("could not serialize access due to concurrent update")

        with patch.object(comm_class, "_set_sent", conflict), self.mock_mail_gateway():
            self._send_queue()
            self.assertEqual(len(self._mails), 1)
        self.assertEqual((comm.mail_id.state, comm.state), ("sent", "sending"), "the email's state stands")
        self._run_day()
        self.assertEqual(len(self._mails), 0, "never sent again")
        self.assertEqual(comm.state, "sent", "marked by the sweep")
        self.assertEqual(inv.relance_level_id, self.lvl_amiable)
        self.assertEqual(len(comm.interaction_ids), 1)

    def test_connection_dropped_midway_marks_the_emails_that_left(self):
        self._relance_invoice(self.customer, 1000, days_late=6)
        self._relance_invoice(self.customer_b, 800, days_late=6)
        with self.mock_mail_gateway():
            self._run_cron()
        comms = self._comms()
        self.assertEqual(comms.mapped("state"), ["sending", "sending"])
        server_class = type(self.env["ir.mail_server"])
        original = server_class.send_email
        sent = []

        def drop_second(server, message, *args, **kwargs):
            if sent:
                raise smtplib.SMTPServerDisconnected("Connection unexpectedly closed")
            sent.append(message["To"])
            return original(server, message, *args, **kwargs)

        dropped = None
        with (
            self.mock_mail_gateway(),
            patch.object(server_class, "send_email", drop_second),
            mute_logger("odoo.addons.mail.models.mail_mail"),
        ):
            try:  # not assertRaises: its savepoint would undo the first email's state, as no queue does
                comms.mail_id.send(raise_exception=False)
            except smtplib.SMTPServerDisconnected as error:
                dropped = error
        self.assertTrue(dropped, "the queue's error goes on up")
        first = comms.filtered(lambda c: c.mail_id.state == "sent")
        self.assertEqual(len(first), 1)
        self.assertEqual(first.state, "sent", "the email that left before the drop is marked")
        self.assertEqual((comms - first).state, "sending", "the other one waits for the queue")

    # ------------------------------------------------------------------
    # Amounts read at send time
    # ------------------------------------------------------------------
    def _formal_notice_waiting(self, *amounts):
        invoices = self.env["account.move"]
        for amount in amounts:
            inv = self._relance_invoice(self.customer, amount, days_late=50)
            inv.write({"relance_level_id": self.lvl_final.id, "relance_date": TODAY - timedelta(days=20)})
            invoices |= inv
        self._run_day()
        comm = self._comms(self.customer)
        self.assertEqual(comm.state, "to_validate")
        self.assertEqual(comm.move_ids, invoices)
        return comm, invoices

    def test_invoice_paid_before_validation_is_not_claimed(self):
        comm, (paid, unpaid) = self._formal_notice_waiting(700, 300)
        self.assertEqual(comm.amount_due, 1000)
        self._pay(paid, 700)
        with self.mock_mail_gateway():
            comm.action_validate()
            self._send_queue()
        self._run_letters()  # the registered letter: sent once its PDF exists
        self.assertEqual(comm.state, "sent")
        self.assertEqual(comm.move_ids, unpaid, "the paid invoice is dropped")
        self.assertEqual(comm.amount_due, 300)
        self.assertEqual(unpaid.relance_level_id, self.lvl_notice)
        self.assertEqual(paid.relance_level_id, self.lvl_final, "a paid invoice does not climb")
        letter = comm.interaction_ids.filtered(lambda i: i.kind == "registered_letter")
        self.assertEqual(letter.amount, 300)
        self.assertEqual(letter.move_ids, unpaid)
        content = letter.attachment_ids.raw.decode(errors="ignore")
        self.assertIn(unpaid.name, content)
        self.assertNotIn(paid.name, content, "the letter states only what is still due")
        if comm.mail_id:
            self.assertIn(unpaid.name, comm.mail_id.body_html)
            self.assertNotIn(paid.name, comm.mail_id.body_html)

    def test_partly_paid_invoice_is_claimed_for_what_is_left(self):
        comm, (inv,) = self._formal_notice_waiting(1000)
        self._pay(inv, 400)
        with self.mock_mail_gateway():
            comm.action_validate()
        self.assertEqual(comm.amount_due, 600)
        self.assertEqual(comm.line_ids.amount_residual, 600)

    def test_reminder_with_nothing_left_due_is_cancelled_with_the_reason(self):
        comm, (inv,) = self._formal_notice_waiting(500)
        self._pay(inv, 500)
        with self.mock_mail_gateway():
            comm.action_validate()
            self._send_queue()
        self.assertEqual(comm.state, "cancelled")
        self.assertFalse(self._mails, "nothing sent")
        self.assertIn(inv.name, comm.failure_reason)
        self.assertIn("Nothing is left due", comm.message_ids[0].body)
        self.assertEqual(inv.relance_level_id, self.lvl_final)

    def test_cron_never_rewrites_a_reminder_edited_by_a_person(self):
        comm, _invoices = self._formal_notice_waiting(500)
        comm.write({"subject": "Mise en demeure, relue"})
        self.assertTrue(comm.user_edited)
        newer = self._relance_invoice(self.customer, 200, days_late=40)
        self._run_day(TODAY + timedelta(days=1))
        self.assertEqual(self._comms(self.customer), comm)
        self.assertEqual(comm.subject, "Mise en demeure, relue")
        self.assertNotIn(newer, comm.move_ids, "the person's reminder is left as it was")
        self.assertEqual(comm.date, TODAY)

    def test_cron_refreshes_a_reminder_nobody_edited(self):
        comm, _invoices = self._formal_notice_waiting(500)
        newer = self._relance_invoice(self.customer, 200, days_late=40)
        self._run_day(TODAY + timedelta(days=1))
        self.assertFalse(comm.user_edited)
        self.assertIn(newer, comm.move_ids)

    # ------------------------------------------------------------------
    # Big customers do not starve the others
    # ------------------------------------------------------------------
    def test_big_customer_and_short_time_limit_do_not_stop_the_others(self):
        """60 invoices in the test transaction; the time limit is simulated: each call of the
        scheduled action is out of time after its first reminder. (The real 2,000 invoices under a
        real cron deadline, on committed data: test_relance_run_concurrency.py.)"""
        self.lvl_amiable.attach_invoices = True
        self.company.relance_max_attached_invoices = 5
        small = [self._relance_customer(f"Petit{i} SARL") for i in range(2)]
        for partner in small:
            self._relance_invoice(partner, 1000, days_late=6)
        big = self._relance_customer("Grossiste SA")
        moves = self.env["account.move"].create(
            [move_values(big, 10, TODAY - timedelta(days=36), TODAY - timedelta(days=6)) for _i in range(60)]
        )
        moves.action_post()
        original = IrCron._commit_progress
        timeouts = []

        def short_time_limit(cron, processed=0, **kwargs):
            original(cron, processed, **kwargs)
            caller = sys._getframe(1)
            if caller.f_code.co_name == "_execute":  # a part of the batch was just committed
                timeouts.append(caller.f_locals["part"].partner_id)
                return 0
            return 60  # the company's own checkpoints (relance.engine._run_company) have time left

        with self.mock_mail_gateway(), patch.object(IrCron, "_commit_progress", short_time_limit):
            self._run_cron()
        self.assertEqual(
            timeouts, [*small, big], "out of time after each reminder, called again for the rest: smallest first"
        )
        big_comm = self._comms(big)
        self.assertEqual(big_comm.state, "sending", "all in the same scheduled run")
        with self.mock_mail_gateway():
            self._send_queue()
            self._run_cron()
            self._send_queue()
        self.assertEqual(len(big_comm.mail_id.attachment_ids), 5, "at most the cap of invoice PDFs")
        self.assertIn("55 other invoices are not attached", big_comm.mail_id.body_html)
        for partner in [*small, big]:
            self.assertEqual(self._comms(partner).state, "sent")
        self.assertEqual(len(self.env["mail.mail"].search([("res_id", "=", big_comm.id)])), 1)

    def test_reminder_opened_meanwhile_does_not_stop_the_plan(self):
        """A person commits a manual reminder between the plan's search and its create (simulated
        in the same transaction: the same unique index is hit): that customer is skipped and
        logged, the others are planned."""
        self._relance_invoice(self.customer, 1000, days_late=6)
        self._relance_invoice(self.customer_b, 800, days_late=6)
        decisions = [d for d in self._decide().values() if d.skip_reason is None]
        comm_model = self.env["relance.communication"]
        original = type(comm_model)._plan_existing

        def search_then_manual(comms, company, partner_ids):
            found = original(comms, company, partner_ids)
            comms.create(comms._prepare_vals(company, self._decide()[self.customer.id], TODAY, origin="manual"))
            return found

        with (
            patch.object(type(comm_model), "_plan_existing", search_then_manual),
            mute_logger("odoo.sql_db", "odoo.addons.relance_impayes.models.relance_communication"),
        ):
            planned = comm_model._plan(self.company, decisions, TODAY)
        self.assertEqual(planned.partner_id, self.customer_b)
        self.assertEqual(self._comms(self.customer).origin, "manual")

    # ------------------------------------------------------------------
    # Planning is set-based
    # ------------------------------------------------------------------
    def _plan_queries(self, count):
        partners = [self._relance_customer(f"Lot{count}-{i} SA") for i in range(count)]
        for partner in partners:
            self._relance_invoice(partner, 100, days_late=6)
            self._relance_invoice(partner, 50, days_late=8)
        decisions = [
            d for d in self._decide().values() if d.skip_reason is None and d.partner_id in {p.id for p in partners}
        ]
        self.assertEqual(len(decisions), count)
        self.env.flush_all()
        self.env.invalidate_all()
        before = self.env.cr.sql_log_count
        comms = self.env["relance.communication"]._plan(self.company, decisions, TODAY)
        self.env.flush_all()
        self.assertEqual(len(comms), count)
        self.assertFalse(comms.message_ids, "no chatter message per planned reminder")
        return self.env.cr.sql_log_count - before

    def test_planning_queries_do_not_grow_with_customers(self):
        one = self._plan_queries(1)
        ten = self._plan_queries(10)
        self.assertLessEqual(ten, one + 2, f"1 customer: {one} queries, 10 customers: {ten}")
