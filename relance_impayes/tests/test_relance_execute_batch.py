from unittest.mock import patch

from odoo.tests import tagged
from odoo.tools import mute_logger

from .common import TODAY, RelanceCommon


@tagged("post_install", "-at_install")
class TestRelanceExecuteBatch(RelanceCommon):
    """A batch is performed together (emails created by one create, one savepoint) and stays as
    safe as one reminder at a time: the bad one fails alone, nothing is sent twice."""

    def _planned(self, partners):
        for partner in partners:
            self._relance_invoice(partner, 1000, days_late=6)
        decisions = [d for d in self._decide().values() if d.skip_reason is None]
        return self.env["relance.communication"]._plan(self.company, decisions, TODAY)

    def test_one_failing_reminder_fails_alone_and_leaves_no_email(self):
        partners = [self._relance_customer(f"Client{i} SARL") for i in range(3)]
        comms = self._planned(partners)
        self.assertEqual(len(comms), 3)
        bad = comms.filtered(lambda c: c.partner_id == partners[1])
        comm_class = type(self.env["relance.communication"])
        original = comm_class._relance_channel_step

        def broken(comm, step, channels=None):
            if step == "perform" and comm == bad:
                raise RuntimeError("channel down")
            return original(comm, step, channels)

        with (
            patch.object(comm_class, "_relance_channel_step", broken),
            mute_logger("odoo.addons.relance_impayes.models.relance_communication_send"),
        ):
            comms._execute()
        self.assertEqual((comms - bad).mapped("state"), ["sending", "sending"], "the others go")
        self.assertEqual(bad.state, "failed")
        self.assertIn("channel down", bad.failure_reason)
        self.assertEqual(comms.mapped("attempt_count"), [1, 1, 1], "each attempt counted once")
        mails = self.env["mail.mail"].search([("model", "=", "relance.communication"), ("res_id", "in", comms.ids)])
        self.assertEqual(mails, (comms - bad).mail_id, "no email left behind for the failed one")

        bad._execute()  # retried: sent now, with one email
        self.assertEqual(bad.state, "sending")
        self.assertEqual(bad.attempt_count, 2)
        self.assertEqual(len(self.env["mail.mail"].search([("res_id", "=", bad.id)])), 1)

    def test_refused_reminder_is_failed_with_its_reason_and_the_others_go(self):
        partners = [self._relance_customer(f"Client{i} SARL") for i in range(2)]
        comms = self._planned(partners)
        no_mail = comms.filtered(lambda c: c.partner_id == partners[0])
        no_mail.contact_id.email = False
        comms._execute()
        self.assertEqual(no_mail.state, "failed")
        self.assertIn("has no email address", no_mail.failure_reason)
        self.assertFalse(no_mail.mail_id)
        self.assertEqual((comms - no_mail).state, "sending")
        self.assertEqual(len(self.env["mail.mail"].search([("res_id", "in", comms.ids)])), 1)

    def test_climb_is_traced_on_each_invoice_once(self):
        """The test classes disable tracking: the follow-up runs here with it, as in production."""
        inv = self._relance_invoice(self.customer, 1000, days_late=6)
        inv_b = self._relance_invoice(self.customer_b, 500, days_late=6)
        comm_class = type(self.env["relance.communication"])
        with patch.object(comm_class, "_run_post_send", lambda comms: None):
            self._run_day()
        comms = self._comms(self.customer) | self._comms(self.customer_b)
        self.assertEqual(comms.mapped("post_send_pending"), [True, True])
        tracking = comms.with_context(tracking_disable=False, mail_notrack=False)
        tracking._run_post_send()
        self.flush_tracking()
        tracking._run_post_send()
        tracking._post_send()
        self.flush_tracking()

        def traces(move):
            return move.message_ids.tracking_value_ids.filtered(lambda t: t.field_id.name == "relance_level_id")

        for move in inv | inv_b:
            self.assertEqual(move.relance_level_id, self.lvl_amiable)
            self.assertEqual(len(traces(move)), 1, "one trace of the climb per invoice, however often run")
            self.assertEqual(traces(move).new_value_char, self.lvl_amiable.display_name)
            message = traces(move).mail_message_id
            # the note the ORM's tracking writes: internal, by the current user, on the invoice
            self.assertEqual(
                (message.model, message.res_id, message.message_type, message.subtype_id, message.author_id),
                ("account.move", move.id, "notification", self.env.ref("mail.mt_note"), self.env.user.partner_id),
            )
            self.assertTrue(message.is_internal and message.date and message.message_id)
        self.assertNotEqual(*(traces(move).mail_message_id.message_id for move in inv | inv_b))
        note = self.customer.message_ids.filtered(lambda m: "Reminder sent" in (m.body or ""))
        self.assertEqual(len(note), 1, "one note on the customer")

    def test_execute_queries_do_not_grow_with_reminders(self):
        """The queries of a batch are constant: 2 reminders vs 8 (26 each when written, 26 and 30 when
        the record rules' cache is read again in the second)."""

        def queries_for(count, prefix):
            partners = [self._relance_customer(f"{prefix}{i} SARL") for i in range(count)]
            comms = self._planned(partners)
            self.env.flush_all()
            self.env.invalidate_all()
            before = self.env.cr.sql_log_count
            comms._execute()
            self.env.flush_all()
            return self.env.cr.sql_log_count - before

        # the invoices' own PDFs are made once per invoice, the first time one is attached: not measured
        (self.lvl_amiable | self.lvl_phone | self.lvl_formal).write({"attach_invoices": False})
        queries_for(1, "Chauffe")  # the first execute reads views, rules and templates once for all
        small = queries_for(2, "Petit")
        big = queries_for(8, "Gros")
        # 6 more reminders, fewer than 6 more queries: the rest is a one-time cache read (record rules)
        self.assertLess(big, small + 6, f"{small} queries for 2 reminders, {big} for 8")
