from datetime import timedelta

from odoo import Command
from odoo.exceptions import UserError
from odoo.tests import tagged

from .common import TODAY, RelanceCommon


@tagged("post_install", "-at_install")
class TestRelanceDecision(RelanceCommon):
    """The one decision: which customers get which level today, and why not the others."""

    def test_invoice_due_for_first_level_after_its_delay(self):
        inv = self._relance_invoice(self.customer, 1000, days_late=6)
        decision = self._decide()[self.customer.id]
        self.assertIsNone(decision.skip_reason)
        self.assertEqual(decision.level_id, self.lvl_amiable.id)
        self.assertEqual([s.move_id for s in decision.steps], inv.ids)
        self.assertEqual(decision.steps[0].days_late, 6)
        self.assertEqual(decision.amount_due, 1000)

    def test_invoice_not_yet_at_first_delay_is_not_reminded(self):
        inv = self._relance_invoice(self.customer, 1000, days_late=3)
        decision = self._decide()[self.customer.id]
        self.assertEqual(decision.skip_reason, "nothing_due")
        self.assertEqual(inv.with_context(tz="UTC").relance_next_level_id, self.lvl_amiable)

    def test_paid_invoice_is_never_reminded(self):
        inv = self._relance_invoice(self.customer, 1000, days_late=40)
        self._pay(inv, 1000)
        self.assertNotIn(self.customer.id, self._decide())
        self.assertFalse(inv.relance_next_date)

    def test_cancelled_and_reversed_invoices_leave_the_process(self):
        cancelled = self._relance_invoice(self.customer, 500, days_late=40)
        cancelled.button_draft()
        cancelled.button_cancel()
        reversed_inv = self._relance_invoice(self.customer_b, 700, days_late=40)
        reversal = reversed_inv._reverse_moves(cancel=True)
        self.assertEqual(reversal.state, "posted")
        decisions = self._decide()
        self.assertNotIn(self.customer.id, decisions)
        self.assertNotIn(self.customer_b.id, decisions)

    def test_partial_payment_keeps_the_remaining_amount_in_the_process(self):
        inv = self._relance_invoice(self.customer, 1000, days_late=10)
        self._pay(inv, 400)
        self.assertEqual(inv.payment_state, "partial")
        decision = self._decide()[self.customer.id]
        self.assertIsNone(decision.skip_reason)
        self.assertAlmostEqual(decision.amount_due, 600)
        self.assertAlmostEqual(decision.steps[0].residual, 600)

    def test_credit_note_nets_the_balance(self):
        self._relance_invoice(self.customer, 1000, days_late=10)
        self._relance_refund(self.customer, 1000, TODAY - timedelta(days=2))
        self.assertSkipReason("netted")

    def test_partial_credit_note_keeps_customer_in_process(self):
        self._relance_invoice(self.customer, 1000, days_late=10)
        self._relance_refund(self.customer, 300)
        decision = self._decide()[self.customer.id]
        self.assertIsNone(decision.skip_reason)
        self.assertAlmostEqual(decision.net_balance, 700)

    def test_balance_under_tolerance_is_not_reminded(self):
        self.company.relance_tolerance = 50
        self._relance_invoice(self.customer, 30, days_late=10)
        self.assertSkipReason("netted")

    def test_unreconciled_payment_nets_the_balance(self):
        self._relance_invoice(self.customer, 1000, days_late=10)
        payment = self.env["account.payment"].create(
            {
                "payment_type": "inbound",
                "partner_type": "customer",
                "partner_id": self.customer.id,
                "amount": 1000,
                "date": TODAY,
            }
        )
        payment.action_post()
        self.assertSkipReason("netted")

    def test_manual_followup_customer_is_never_automatic(self):
        self.customer.relance_manual = True
        self._relance_invoice(self.customer, 1000, days_late=10)
        self.assertSkipReason("manual")

    def test_excluded_invoice_needs_a_reason_and_is_left_out(self):
        inv = self._relance_invoice(self.customer, 1000, days_late=10)
        with self.assertRaises(UserError):
            inv.relance_excluded = True
        inv.write({"relance_excluded": True, "relance_exclusion_reason": "Litige qualité en cours"})
        self.assertNotIn(self.customer.id, self._decide())
        self.assertFalse(inv.relance_next_date)

    def test_customer_with_invoices_at_two_levels(self):
        old = self._relance_invoice(self.customer, 1000, days_late=25)
        old.write({"relance_level_id": self.lvl_phone.id, "relance_date": TODAY - timedelta(days=8)})
        new = self._relance_invoice(self.customer, 200, days_late=7)
        decision = self._decide()[self.customer.id]
        self.assertEqual(decision.level_id, self.lvl_formal.id, "the communication takes the highest level due")
        targets = {s.move_id: s.target_level_id for s in decision.steps}
        self.assertEqual(
            targets, {old.id: self.lvl_formal.id, new.id: self.lvl_amiable.id}, "each invoice climbs one level only"
        )

    def test_invoice_climbs_one_level_at_a_time(self):
        inv = self._relance_invoice(self.customer, 1000, days_late=50)
        self.assertEqual(
            self._decide()[self.customer.id].level_id,
            self.lvl_amiable.id,
            "a very late invoice starts at the first level, it never skips silently",
        )
        inv.write({"relance_level_id": self.lvl_amiable.id, "relance_date": TODAY - timedelta(days=2)})
        self.assertSkipReason("nothing_due", "two reminders are at least the minimum interval apart")
        self.assertEqual(self._decide(TODAY + timedelta(days=3))[self.customer.id].level_id, self.lvl_phone.id)

    def test_courtesy_reminder_before_due_date(self):
        self.lvl_courtesy.active = True
        inv = self._relance_invoice(self.customer, 1000, days_late=-2)
        decision = self._decide()[self.customer.id]
        self.assertEqual(decision.level_id, self.lvl_courtesy.id)
        self.assertEqual(decision.steps[0].days_late, -2)
        self.assertEqual(inv.relance_next_date, TODAY - timedelta(days=1))
        overdue = self._relance_invoice(self.customer_b, 1000, days_late=6)
        self.assertEqual(
            self._decide()[self.customer_b.id].level_id,
            self.lvl_amiable.id,
            "no courtesy reminder once the invoice is overdue",
        )
        self.assertEqual(overdue.relance_next_level_id, self.lvl_amiable)

    def test_customer_policy_wins_over_company_default(self):
        gentle = self.env["relance.policy"].create(
            {
                "name": "Gentle",
                "level_ids": [Command.create({"name": "Late", "delay": 30, "action_call": True})],
            }
        )
        self.customer.relance_policy_id = gentle
        inv = self._relance_invoice(self.customer, 1000, days_late=10)
        self.assertSkipReason("nothing_due")
        self.assertEqual(inv.relance_next_date, inv.invoice_date_due + timedelta(days=30))

    def test_level_delay_change_moves_next_dates(self):
        inv = self._relance_invoice(self.customer, 1000, days_late=1)
        self.assertEqual(inv.relance_next_date, inv.invoice_date_due + timedelta(days=5))
        self.lvl_amiable.delay = 8
        self.assertEqual(inv.relance_next_date, inv.invoice_date_due + timedelta(days=8))

    def test_foreign_currency_amounts_in_company_currency(self):
        chf = self.setup_other_currency("CHF", rates=[("2000-01-01", 2.0)])
        self._relance_invoice(self.customer, 1000, days_late=10, currency=chf)
        self.assertAlmostEqual(self._decide()[self.customer.id].amount_due, 500)
