from datetime import date, timedelta

from odoo import Command
from odoo.exceptions import UserError, ValidationError
from odoo.tests import Form, tagged

from .common import TODAY, RelanceCommon

REPLY = """From: {email_from}
To: {email_to}
Subject: Re: {subject}
Message-ID: <{msgid}@example.fr>
In-Reply-To: {in_reply_to}
References: {in_reply_to}
{extra}MIME-Version: 1.0
Content-Type: text/plain; charset=utf-8

{body}
"""


@tagged("post_install", "-at_install")
class TestRelanceNegotiation(RelanceCommon):
    """Promises, payment plans, disputes, calls and replies, end to end with frozen dates."""

    def _due_level(self, on=TODAY):
        decision = self._decide(on).get(self.customer.id)
        return decision and not decision.skip_reason and decision.level_id

    # ------------------------------------------------------------------ promises
    def test_promise_kept_when_the_amount_comes_in(self):
        inv = self._relance_invoice(self.customer, 1000, days_late=10)
        promise = self.env["relance.promise"].create(
            {
                "partner_id": self.customer.id,
                "move_ids": [Command.set(inv.ids)],
                "amount": 600,
                "date": TODAY + timedelta(days=5),
            }
        )
        self.assertEqual(promise.date_limit, TODAY + timedelta(days=8), "promised date + 3 days of grace")
        self.assertFalse(self._due_level(), "escalation suspended while the promise runs")
        self.assertEqual(
            self.env["relance.interaction"].search([("partner_id", "=", self.customer.id)]).kind, "promise"
        )
        self._pay(inv, 600, TODAY + timedelta(days=3))
        self.assertEqual(promise.state, "kept", "detected from the reconciliation, no manual step")
        self.assertEqual(self.customer.relance_promise_kept_count, 1)
        self.assertEqual(self._due_level(), self.lvl_amiable.id, "the rest is reminded again")
        self.assertAlmostEqual(self._decide()[self.customer.id].amount_due, 400)

    def test_promise_broken_resumes_escalation_and_notifies_collector(self):
        inv = self._relance_invoice(self.customer, 1000, days_late=10)
        inv.write({"relance_level_id": self.lvl_amiable.id, "relance_date": TODAY - timedelta(days=5)})
        promise = self.env["relance.promise"].create(
            {
                "partner_id": self.customer.id,
                "move_ids": [Command.set(inv.ids)],
                "amount": 1000,
                "date": TODAY + timedelta(days=2),
            }
        )
        self._run_day(TODAY + timedelta(days=5))
        self.assertEqual(promise.state, "open", "still within the grace period")
        self.assertFalse(self._comms(self.customer))
        self._run_day(TODAY + timedelta(days=6))
        self.assertEqual(promise.state, "broken")
        self.assertEqual(self.customer.relance_promise_broken_count, 1)
        self.assertEqual(self._comms(self.customer).level_id, self.lvl_phone, "escalation resumes at the next level")
        self.assertTrue(self.customer.activity_ids.filtered(lambda a: "Promise broken" in (a.summary or "")))
        self.assertTrue(
            self.env["relance.interaction"].search(
                [("partner_id", "=", self.customer.id), ("summary", "ilike", "Promise broken")]
            )
        )

    def test_promise_in_the_past_is_refused(self):
        inv = self._relance_invoice(self.customer, 1000, days_late=10)
        with self.assertRaises(UserError):
            self.env["relance.promise"].create(
                {
                    "partner_id": self.customer.id,
                    "move_ids": [Command.set(inv.ids)],
                    "amount": 100,
                    "date": TODAY - timedelta(days=1),
                }
            )
        with self.assertRaises(ValidationError):
            self.env["relance.promise"].create(
                {"partner_id": self.customer.id, "move_ids": [Command.set(inv.ids)], "amount": 0, "date": TODAY}
            )

    # ------------------------------------------------------------------ payment plans
    def _plan(self, inv, count=3, **values):
        plan = self.env["relance.payment.plan"].create(
            {
                "partner_id": self.customer.id,
                "move_ids": [Command.set(inv.ids)],
                "installment_count": count,
                "frequency": "month",
                "first_date": TODAY + timedelta(days=10),
                **values,
            }
        )
        plan.action_generate()
        return plan

    def test_plan_confirmed_and_paid(self):
        inv = self._relance_invoice(self.customer, 1000, days_late=20)
        plan = self._plan(inv)
        self.assertEqual(plan.line_ids.mapped("amount"), [333.33, 333.33, 333.34])
        self.assertEqual(
            plan.line_ids.mapped("date"), [TODAY + timedelta(days=10), date(2026, 4, 20), date(2026, 5, 20)]
        )
        self.assertTrue(self._due_level(), "a draft plan changes nothing")
        plan.action_confirm()
        self.assertEqual(plan.state, "active")
        confirmation = self.env["relance.interaction"].search([("kind", "=", "plan")])
        self.assertEqual(confirmation.attachment_ids.mimetype, "application/pdf", "letter for the customer to sign")
        self.assertFalse(self._due_level(), "an active plan takes the invoices out of the ladder")
        with self.mock_mail_gateway():
            self._run_cron(TODAY + timedelta(days=8))
        self.assertTrue(plan.line_ids[0].notice_sent, "courtesy notice before the instalment")
        self.assertEqual(len(self.env["mail.mail"].search([("model", "=", "relance.payment.plan.line")])), 1)
        self._pay(inv, 400, TODAY + timedelta(days=9))
        self.assertEqual(
            plan.line_ids.mapped("state"), ["paid", "partial", "pending"], "payments go to the oldest instalment first"
        )
        self.assertAlmostEqual(plan.line_ids[1].amount_paid, 66.67)
        self._pay(inv, 600, TODAY + timedelta(days=40))
        self.assertEqual(plan.state, "done")

    def test_plan_broken_resumes_escalation(self):
        inv = self._relance_invoice(self.customer, 900, days_late=20)
        inv.write({"relance_level_id": self.lvl_phone.id, "relance_date": TODAY - timedelta(days=5)})
        plan = self._plan(inv, penalty_policy="waived", resume_level_id=self.lvl_final.id)
        plan.action_confirm()
        self.assertTrue(inv.relance_penalty_waived)
        with self.mock_mail_gateway():
            self._run_cron(TODAY + timedelta(days=11))
        self.assertTrue(plan.line_ids[0].reminder_sent, "reminder the day after an unpaid instalment")
        self.assertEqual(plan.state, "active")
        with self.mock_mail_gateway():
            self._run_cron(TODAY + timedelta(days=10 + plan.break_days + 1))
        self.assertEqual(plan.state, "broken")
        self.assertFalse(inv.relance_penalty_waived, "the waiver ends with the plan")
        self.assertEqual(inv.relance_level_id, self.lvl_final, "resumes at the level chosen on the plan")
        self.assertTrue(self.customer.activity_ids.filtered(lambda a: "Payment plan broken" in (a.summary or "")))

    def test_plan_instalments_must_add_up(self):
        inv = self._relance_invoice(self.customer, 1000, days_late=20)
        plan = self._plan(inv)
        plan.line_ids[0].amount = 300
        with self.assertRaisesRegex(ValidationError, "add up"):
            plan.action_confirm()
        self.assertEqual(plan.state, "draft")

    # ------------------------------------------------------------------ disputes
    def _dispute(self, inv):
        return self.env["relance.dispute"].create(
            {
                "partner_id": self.customer.id,
                "move_ids": [Command.set(inv.ids)],
                "reason_id": self.env.ref("relance_impayes.dispute_reason_defective").id,
                "description": "Marchandise abîmée à la livraison",
            }
        )

    def test_disputed_invoice_is_not_claimed_but_shown(self):
        disputed = self._relance_invoice(self.customer, 1000, days_late=10)
        other = self._relance_invoice(self.customer, 200, days_late=10)
        self._dispute(disputed)
        decision = self._decide()[self.customer.id]
        self.assertEqual([s.move_id for s in decision.steps], other.ids)
        self.assertEqual(decision.amount_due, 200)
        self._run_day()
        body = self._mails[0]["body"]
        self.assertIn(other.name, body)
        self.assertIn("Under dispute, not claimed", body)
        self.assertIn(disputed.name, body)

    def test_dispute_resolved_in_our_favour_resumes_at_same_level(self):
        inv = self._relance_invoice(self.customer, 1000, days_late=20)
        inv.write({"relance_level_id": self.lvl_phone.id, "relance_date": TODAY - timedelta(days=10)})
        dispute = self._dispute(inv)
        self.assertFalse(self._due_level())
        self.assertTrue(inv.relance_disputed)
        dispute.action_resolve_company()
        self.assertEqual(dispute.state, "resolved")
        self.assertEqual(dispute.resolution, "company")
        self.assertEqual(self._due_level(), self.lvl_formal.id, "escalation resumes where it stopped")

    def test_dispute_resolved_in_customer_favour_suggests_credit_note(self):
        inv = self._relance_invoice(self.customer, 1000, days_late=20)
        dispute = self._dispute(inv)
        action = dispute.action_resolve_customer()
        self.assertEqual(action["res_model"], "account.move.reversal")
        reversal = (
            self.env["account.move.reversal"]
            .with_context(action["context"])
            .create({"reason": "Litige", "journal_id": inv.journal_id.id})
        )
        reversal.refund_moves()
        self.assertEqual(len(dispute.credit_note_ids), 1)
        self.assertEqual(dispute.resolution, "customer")

    # ------------------------------------------------------------------ calls
    def _log_call(self, outcome, **values):
        call_type = self.env.ref("relance_impayes.mail_activity_type_relance_call")
        activity = self.customer.activity_schedule(activity_type_id=call_type.id, date_deadline=TODAY)
        wizard = Form(self.env["relance.call.log"].with_context(default_activity_id=activity.id))
        wizard.outcome = outcome
        for name, value in values.items():
            setattr(wizard, name, value)
        wizard.save().action_log()

    def test_call_outcome_promise_creates_promise(self):
        inv = self._relance_invoice(self.customer, 1000, days_late=13)
        self._log_call("promise", promise_amount=1000, promise_date=TODAY + timedelta(days=7))
        promise = self.env["relance.promise"].search([("partner_id", "=", self.customer.id)])
        self.assertEqual(promise.move_ids, inv)
        self.assertEqual(promise.amount, 1000)
        self.assertFalse(self._due_level())

    def test_call_outcome_dispute_opens_dispute(self):
        inv = self._relance_invoice(self.customer, 1000, days_late=13)
        self._log_call(
            "dispute", dispute_reason_id=self.env.ref("relance_impayes.dispute_reason_price"), note="Conteste le prix"
        )
        dispute = self.env["relance.dispute"].search([("partner_id", "=", self.customer.id)])
        self.assertEqual(dispute.move_ids, inv)
        self.assertEqual(dispute.description, "Conteste le prix")

    def test_call_outcome_wrong_number_and_call_back(self):
        self._relance_invoice(self.customer, 1000, days_late=13)
        self._log_call("wrong_number")
        self.assertTrue(self.customer.activity_ids.filtered(lambda a: "phone number" in (a.summary or "")))
        self._log_call("call_back", call_back_date=date(2026, 3, 14))  # a Saturday
        call_type = self.env.ref("relance_impayes.mail_activity_type_relance_call")
        calls = self.customer.activity_ids.filtered(lambda a: a.activity_type_id == call_type)
        self.assertEqual(calls.date_deadline, date(2026, 3, 16), "never due outside business days")

    def test_call_queue_priority_and_calling_hours(self):
        self._relance_invoice(self.customer, 1000, days_late=20)
        self._relance_invoice(self.customer_b, 5000, days_late=5)
        first = self.customer._relance_schedule_call(TODAY, "Appel")
        second = self.customer_b._relance_schedule_call(TODAY, "Appel")
        self.assertEqual(first.relance_priority, 1000 * 20)
        self.assertEqual(second.relance_priority, 5000 * 5)
        with self.assertRaises(ValidationError):
            self.company.relance_call_hours = "le matin"

    # ------------------------------------------------------------------ replies
    def _reply(self, comm, extra="", subject=None):
        mail = comm.mail_id
        raw = REPLY.format(
            email_from="dupont@example.fr",
            email_to="compta@example.fr",
            subject=subject or mail.subject,
            msgid=f"r{comm.id}{len(extra)}",
            in_reply_to=mail.message_id,
            extra=extra,
            body="Nous payons la semaine prochaine.",
        )
        self.env["mail.thread"].message_process(False, raw)

    def test_customer_reply_lands_in_history_and_notifies_collector(self):
        self._relance_invoice(self.customer, 1000, days_late=6)
        self._run_day()
        comm = self._comms(self.customer)
        self._reply(comm)
        reply = self.env["relance.interaction"].search([("kind", "=", "reply")])
        self.assertEqual(reply.direction, "in")
        self.assertEqual(reply.communication_id, comm)
        self.assertIn("semaine prochaine", reply.body)
        self.assertTrue(self.customer.activity_ids.filtered(lambda a: "replied" in (a.summary or "")))
        action = reply.action_open_dispute()
        self.assertEqual(action["context"]["default_move_ids"], comm.move_ids.ids, "one click to a dispute")

    def test_auto_reply_is_not_a_reply(self):
        self._relance_invoice(self.customer, 1000, days_late=6)
        self._run_day()
        comm = self._comms(self.customer)
        self._reply(comm, extra="Auto-Submitted: auto-replied\n")
        self._reply(comm, subject="Réponse automatique : absent du bureau")
        self.assertFalse(self.env["relance.interaction"].search([("kind", "=", "reply")]))
