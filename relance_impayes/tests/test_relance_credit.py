from datetime import timedelta

from odoo import Command
from odoo.exceptions import AccessError, UserError
from odoo.tests import new_test_user, tagged

from .common import TODAY
from .common_credit import RelanceCreditCommon


@tagged("post_install", "-at_install")
class TestRelanceCredit(RelanceCreditCommon):
    """Credit hold: who is held, what it blocks, who may let a document through, when it lifts."""

    def test_manual_hold_blocks_posting_with_its_reason(self):
        self._hold(self.customer, "Receivership announced")
        self.assertTrue(self.customer.relance_credit_hold)
        self.assertEqual(self.customer.relance_hold_cause, "manual")
        self.assertEqual(
            self.env["res.partner"].search([("relance_credit_hold", "=", True)]),
            self.customer,
            "the hold is searchable",
        )
        draft = self._draft(self.customer, 500)
        self.assertTrue(draft.relance_credit_hold, "the draft invoice shows the hold")
        self.assertIn("relance_credit_hold", draft.alerts)
        with self.assertRaisesRegex(UserError, "Receivership announced"):
            draft.action_post()
        self.assertEqual(draft.state, "draft")
        self.assertEqual(self._notes(self.customer).mapped("summary"), ["Credit hold: Receivership announced"])
        self.assertIn("Credit hold: Receivership announced", self.customer.message_ids[0].body)
        # another customer is not concerned
        self._relance_invoice(self.customer_b, 500, days_late=-30)

    def test_manager_override_posts_one_invoice_and_logs_why(self):
        self._hold(self.customer, "Receivership announced")
        first, second = self._draft(self.customer, 500), self._draft(self.customer, 300)
        self._override(first, "Urgent delivery agreed with the CFO, paid upfront")
        self.assertEqual(first.state, "posted")
        note = self._notes(self.customer)[-1]
        self.assertIn("Urgent delivery agreed with the CFO", note.summary)
        self.assertIn(first.name, note.summary)
        self.assertEqual(note.move_ids, first)
        self.assertIn("Urgent delivery agreed with the CFO", first.message_ids[0].body)
        with self.assertRaises(UserError, msg="the override is for one document only"):
            second.action_post()
        self.assertTrue(self.customer.relance_credit_hold, "the override does not lift the hold")

    def test_override_needs_a_relances_manager(self):
        user = new_test_user(
            self.env,
            login="relance_clerk",
            groups="relance_impayes.relance_impayes_group_user",
            company_id=self.company.id,
            company_ids=[Command.set(self.company.ids)],
        )
        self._hold(self.customer, "Receivership announced")
        draft = self._draft(self.customer, 500)
        with self.assertRaises(AccessError):
            self.env["relance.credit.hold"].with_user(user).create(
                {
                    "partner_id": self.customer.id,
                    "mode": "override",
                    "reason": "please",
                    "res_model": "account.move",
                    "res_id": draft.id,
                }
            ).action_apply()
        with self.assertRaisesRegex(UserError, "Receivership announced"):
            draft.with_user(user).with_context(relance_hold_override=True).action_post()
        with self.assertRaises(AccessError):
            self.env["relance.credit.hold"].with_user(user).create(
                {"partner_id": self.customer.id, "mode": "release", "reason": "paid"}
            )

    def test_credit_notes_are_not_blocked(self):
        self._hold(self.customer, "Receivership announced")
        refund = self._relance_refund(self.customer, 100)
        self.assertEqual(refund.state, "posted")

    def test_manual_hold_stays_until_a_manager_lifts_it(self):
        self._hold(self.customer, "Receivership announced")
        held, released = self.env["res.partner"]._relance_update_credit_holds(self.company)
        self.assertFalse(held or released)
        self.assertTrue(self.customer.relance_credit_hold, "no automatic release of a hold set by hand")
        self.env["relance.credit.hold"].create(
            {"partner_id": self.customer.id, "mode": "release", "reason": "Plan approved by the court"}
        ).action_apply()
        self.assertFalse(self.customer.relance_credit_hold)
        self.assertFalse(self.customer.relance_hold_reason)
        self.assertEqual(self._notes(self.customer)[-1].summary, "Credit hold lifted: Plan approved by the court")
        self._relance_invoice(self.customer, 500, days_late=-30)

    def test_over_limit_blocks_in_block_mode_and_payment_lifts_the_hold(self):
        self._block_mode(1000)
        self._relance_invoice(self.customer, 800, days_late=-10)
        second = self._draft(self.customer, 500)
        with self.assertRaisesRegex(UserError, "credit limit"):
            second.action_post()
        self._override(second, "Strategic customer, exception granted")
        self.assertEqual(second.state, "posted")
        self.assertFalse(self.customer.relance_credit_hold)
        held, _released = self.env["res.partner"]._relance_update_credit_holds(self.company)
        self.assertEqual(held, self.customer)
        self.assertEqual(self.customer.relance_hold_cause, "over_limit")
        self.assertIn("credit limit", self.customer.relance_hold_reason)
        self.assertIn("over its credit limit", self._notes(self.customer)[-1].summary)
        # paid back under the limit: the hold lifts at once, with a trace
        self._pay(second, 500)
        self.assertFalse(self.customer.relance_credit_hold)
        self.assertIn("Credit hold lifted", self._notes(self.customer)[-1].summary)

    def test_raising_the_limit_lifts_the_hold(self):
        self._relance_invoice(self.customer, 1200, days_late=-10)
        self._block_mode(1000)
        self.assertTrue(self.customer.relance_credit_hold, "lowering the limit under the receivable holds at once")
        self.env["relance.credit.review"].create(
            {
                "partner_id": self.customer.id,
                "source": "credit_insurer",
                "rating": "A",
                "granted_limit": 5000,
            }
        )
        self.assertEqual(self.customer.credit_limit, 5000)
        self.assertFalse(self.customer.relance_credit_hold)

    def test_warn_mode_never_holds(self):
        self.company.account_use_credit_limit = True
        self.customer.credit_limit = 1000
        self._relance_invoice(self.customer, 800, days_late=-10)
        draft = self._draft(self.customer, 500)
        self.assertTrue(draft.partner_credit_warning, "core still warns")
        draft.action_post()
        self.env["res.partner"]._relance_update_credit_holds(self.company)
        self.assertFalse(self.customer.relance_credit_hold)

    def test_level_with_credit_hold_holds_the_customer_and_payment_lifts_it(self):
        self.assertTrue(self.lvl_notice.credit_hold)
        inv = self._relance_invoice(self.customer, 1000, days_late=50)
        inv.write({"relance_level_id": self.lvl_final.id, "relance_date": TODAY - timedelta(days=20)})
        comm = self.env["relance.communication"].create(
            {
                "partner_id": self.customer.id,
                "level_id": self.lvl_notice.id,
                "date": TODAY,
                "origin": "manual",
                "contact_id": self.customer.id,
                "amount_due": 1000,
                "line_ids": [
                    Command.create(
                        {
                            "move_id": inv.id,
                            "level_id": self.lvl_notice.id,
                            "date_due": inv.invoice_date_due,
                            "amount_residual": 1000,
                        }
                    )
                ],
            }
        )
        comm._mark_sent()
        self.assertEqual(inv.relance_level_id, self.lvl_notice)
        self.assertTrue(self.customer.relance_credit_hold)
        self.assertEqual(self.customer.relance_hold_cause, "level")
        self.assertIn(inv.name, self.customer.relance_hold_reason)
        self.assertIn(self.lvl_notice.name, self.customer.relance_hold_reason)
        with self.assertRaisesRegex(UserError, self.lvl_notice.name):
            self._draft(self.customer, 100).action_post()
        self._pay(inv, 1000)
        self.assertFalse(self.customer.relance_credit_hold)
        self.assertIn("Credit hold lifted", self._notes(self.customer)[-1].summary)

    def test_daily_run_lifts_a_hold_whose_cause_is_gone(self):
        inv = self._relance_invoice(self.customer, 1000, days_late=50)
        inv.write({"relance_level_id": self.lvl_notice.id, "relance_date": TODAY - timedelta(days=2)})
        self._relance_invoice(self.customer_b, 1000, days_late=3)
        self.env["res.partner"]._relance_update_credit_holds(self.company)
        self.assertEqual(self.customer.relance_hold_cause, "level")
        # the invoice is cancelled by a credit note: nothing is owed at that level any more
        inv._reverse_moves(cancel=True)
        self.assertTrue(self.customer.relance_credit_hold, "a credit note is not a payment: the daily run decides")
        self._run_cron()
        self.assertFalse(self.customer.relance_credit_hold)
        self.assertIn("Credit hold lifted", self._notes(self.customer)[-1].summary)
        self.assertEqual(self.customer_b.relance_risk_date, TODAY, "the daily run scored the customers")
