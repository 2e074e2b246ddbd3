from odoo import Command
from odoo.exceptions import AccessError, UserError
from odoo.tests import Form, new_test_user, tagged

from odoo.addons.relance_impayes.tests.common import RelanceCommon


@tagged("post_install", "-at_install")
class TestRelanceSale(RelanceCommon):
    """A customer on credit hold gets no confirmed order; the quotation says so."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.env.user.group_ids = [Command.link(cls.env.ref("sales_team.group_sale_manager").id)]

    def _order(self, partner, price=100.0):
        return self.env["sale.order"].create(
            {
                "partner_id": partner.id,
                "order_line": [
                    Command.create(
                        {"product_id": self.product_a.id, "product_uom_qty": 1, "price_unit": price, "tax_ids": []}
                    )
                ],
            }
        )

    def _hold(self, partner, reason):
        self.env["relance.credit.hold"].create(
            {"partner_id": partner.id, "mode": "hold", "reason": reason}
        ).action_apply()

    def test_order_of_a_customer_on_hold_cannot_be_confirmed(self):
        order = self._order(self.customer)
        self.assertFalse(order.relance_credit_hold)
        self._hold(self.customer, "Receivership announced")
        order.invalidate_recordset(["relance_credit_hold", "relance_hold_reason"])
        self.assertTrue(order.relance_credit_hold, "the quotation shows the hold")
        self.assertEqual(order.relance_hold_reason, "Receivership announced")
        with self.assertRaisesRegex(UserError, "Receivership announced"):
            order.action_confirm()
        self.assertEqual(order.state, "draft")
        other = self._order(self.customer_b)
        other.action_confirm()
        self.assertEqual(other.state, "sale")

    def test_quotation_form_shows_the_hold_banner(self):
        self._hold(self.customer, "Receivership announced")
        order = self._order(self.customer)
        arch = self.env["sale.order"].get_view(self.env.ref("sale.view_order_form").id, "form")["arch"]
        self.assertIn('name="relance_hold_reason"', arch)
        self.assertIn("action_relance_override_hold", arch)
        with Form(order) as form:
            self.assertTrue(form.relance_credit_hold)
            self.assertEqual(form.relance_hold_reason, "Receivership announced")

    def test_manager_override_confirms_one_order_and_logs_why(self):
        self._hold(self.customer, "Receivership announced")
        order, second = self._order(self.customer), self._order(self.customer)
        action = order.action_relance_override_hold()
        with Form(self.env[action["res_model"]].with_context(action["context"])) as wizard:
            wizard.reason = "Paid upfront by wire transfer"
        wizard.record.action_apply()
        self.assertEqual(order.state, "sale")
        note = self.env["relance.interaction"].search(
            [("partner_id", "=", self.customer.id), ("kind", "=", "note")], order="id desc", limit=1
        )
        self.assertIn(order.name, note.summary)
        self.assertIn("Paid upfront by wire transfer", note.summary)
        self.assertIn("Paid upfront by wire transfer", order.message_ids[0].body)
        with self.assertRaises(UserError):
            second.action_confirm()

    def test_override_needs_a_relances_manager(self):
        user = new_test_user(
            self.env,
            login="seller",
            groups="sales_team.group_sale_salesman_all_leads",
            company_id=self.company.id,
            company_ids=[Command.set(self.company.ids)],
        )
        self._hold(self.customer, "Receivership announced")
        order = self._order(self.customer)
        with self.assertRaisesRegex(UserError, "Receivership announced"):
            order.with_user(user).with_context(relance_hold_override=True).action_confirm()
        with self.assertRaises(AccessError):
            self.env["relance.credit.hold"].with_user(user).create(
                {
                    "partner_id": self.customer.id,
                    "mode": "override",
                    "reason": "please",
                    "res_model": "sale.order",
                    "res_id": order.id,
                }
            )

    def test_order_over_the_limit_is_blocked_in_block_mode(self):
        self.company.write({"account_use_credit_limit": True, "relance_credit_limit_mode": "block"})
        self.customer.credit_limit = 1000
        self._relance_invoice(self.customer, 800, days_late=-10)
        order = self._order(self.customer, 500)
        with self.assertRaisesRegex(UserError, "credit limit"):
            order.action_confirm()
        small = self._order(self.customer, 100)
        small.action_confirm()
        self.assertEqual(small.state, "sale")
        # warn only: core's warning, no block
        self.company.relance_credit_limit_mode = "warn"
        order.action_confirm()
        self.assertEqual(order.state, "sale")
