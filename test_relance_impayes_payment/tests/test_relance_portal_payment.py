from odoo.tests import tagged
from odoo.tests.common import JsonRpcException

from odoo.addons.relance_impayes.tests.test_relance_portal import RelancePortalCommon


@tagged("post_install", "-at_install")
class TestRelancePortalPayment(RelancePortalCommon):
    """Pay from the portal through payment_demo: the payment is reconciled with the invoices
    and a promise on them is kept at once."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.provider = cls.env.ref("payment.payment_provider_demo")
        cls.provider.write({"state": "test", "is_published": True, "company_id": cls.company.id})

    def test_pay_is_offered_only_with_an_enabled_provider(self):
        self.assertIn("/my/relance/pay", self._get("/my/relance", self.token).text)
        self.provider.state = "disabled"
        self.assertNotIn("/my/relance/pay", self._get("/my/relance", self.token).text)
        self.assertEqual(self._get("/my/relance/pay", self.token).status_code, 404)

    def test_pay_another_customers_invoice_is_refused(self):
        page = self._get("/my/relance/pay", self.token)
        self.assertIn(self.inv_old.name, page.text)
        self.assertEqual(self._get("/my/relance/pay", self.token_martin, move_ids=self.inv_old.id).status_code, 404)
        self.assertEqual(self._get("/my/relance/pay", "bad-token").status_code, 403)
        params = {
            "provider_id": self.provider.id,
            "payment_method_id": self.provider.payment_method_ids[:1].id,
            "token_id": None,
            "amount": 1,
            "flow": "direct",
            "tokenization_requested": False,
            "landing_route": "/my/relance",
        }
        for token in (self.token_martin, "bad-token"):
            with self.assertRaises(JsonRpcException):
                self.make_jsonrpc_request(
                    f"/my/relance/pay/transaction/{self.inv_old.id}",
                    {**params, "access_token": token},
                    headers=self.HEADERS,
                )
        self.assertFalse(self.env["payment.transaction"].search([("invoice_ids", "in", self.inv_old.ids)]))

    def test_customer_pays_two_invoices_from_a_reminder_link(self):
        promise = self.env["relance.promise"].create(
            {
                "company_id": self.company.id,
                "partner_id": self.dupont.id,
                "move_ids": [(6, 0, (self.inv_old | self.inv_recent).ids)],
                "amount": 1500.0,
                "date": self.today,
                "user_id": self.collector.id,
            }
        )
        link = self.dupont._relance_portal_url(self.company)
        self.start_tour(link[len(self.company.get_base_url()) :], "relance_portal_pay_tour")
        self.env.invalidate_all()
        tx = self.env["payment.transaction"].search([("invoice_ids", "in", self.inv_old.ids)])
        self.assertEqual(len(tx), 1)
        self.assertEqual(tx.state, "done")
        self.assertEqual(tx.invoice_ids, self.inv_old | self.inv_recent)
        self.assertEqual(tx.amount, 1500.0, "the amount still due, whatever the browser sent")
        self.assertTrue(tx.payment_id)
        for move in self.inv_old | self.inv_recent:
            self.assertIn(move.payment_state, ("paid", "in_payment"))
        self.assertEqual(self.inv_future.payment_state, "not_paid")
        self.assertEqual(promise.state, "kept", "the promise follows the payment at once")
        logged = self.env["relance.interaction"].search([("partner_id", "=", self.dupont.id), ("kind", "=", "portal")])
        self.assertEqual(len(logged.filtered(lambda i: i.ip_address and "started" in i.summary)), 1)
        self.assertEqual(len(logged.filtered(lambda i: "received" in i.summary)), 1)
