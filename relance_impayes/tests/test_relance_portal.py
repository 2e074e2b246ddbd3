import re
from datetime import timedelta
from urllib.parse import parse_qs, urlparse

from odoo import Command, fields
from odoo.tests import HttpCase, new_test_user, tagged

from .common import RelanceRecords


class RelancePortalCommon(RelanceRecords, HttpCase):
    """Two customers of the main company, one of them also a customer of a second company; each has
    open invoices and a letter. Requests go through the real HTTP stack (token or login)."""

    HEADERS = {"User-Agent": "Mozilla/5.0 (relance portal test)"}

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.company = cls.env.ref("base.main_company")
        cls.today = fields.Date.context_today(cls.env.user)
        cls.collector = cls.env.ref("base.user_admin")
        cls.other_company = cls.env["res.company"].create(
            {"name": "Autre Société SAS", "currency_id": cls.company.currency_id.id}
        )
        cls.dupont = cls._customer("Portail Dupont SARL")
        cls.martin = cls._customer("Portail Martin SAS")
        cls.inv_old = cls._invoice(cls.dupont, 1000.0, days_late=20)
        cls.inv_recent = cls._invoice(cls.dupont, 500.0, days_late=5)
        cls.inv_future = cls._invoice(cls.dupont, 300.0, days_late=-10)
        cls.inv_martin = cls._invoice(cls.martin, 700.0, days_late=15)
        cls.letter_dupont = cls._letter(cls.dupont, cls.inv_old, "Relance Dupont.pdf")
        cls.letter_martin = cls._letter(cls.martin, cls.inv_martin, "Relance Martin.pdf")
        cls.token = cls.dupont._relance_portal_token(cls.company)
        cls.token_martin = cls.martin._relance_portal_token(cls.company)
        cls.reason = cls.env["relance.dispute.reason"].search([], limit=1)

    @classmethod
    def _customer(cls, name):
        email = f"{name.split()[1].lower()}@example.fr"
        return cls._relance_customer(name, email=email, relance_collector_id=cls.collector.id)

    @classmethod
    def _invoice(cls, partner, amount, days_late, company=None):
        due = cls.today - timedelta(days=days_late)
        invoice_date = min(due, cls.today) - timedelta(days=30)
        return cls._relance_invoice(partner, amount, due=due, company=company or cls.company, invoice_date=invoice_date)

    @classmethod
    def _letter(cls, partner, move, name):
        attachment = cls.env["ir.attachment"].create({"name": name, "raw": b"%PDF-1.4\n% relance letter\n%%EOF\n"})
        return (
            cls.env["relance.interaction"]
            .sudo()
            .create(
                {
                    "company_id": cls.company.id,
                    "partner_id": partner.id,
                    "kind": "letter",
                    "direction": "out",
                    "summary": f"Letter to {partner.name}",
                    "move_ids": [Command.set(move.ids)],
                    "attachment_ids": [Command.set(attachment.ids)],
                }
            )
        )

    def _get(self, path, token=None, **params):
        if token is not None:
            params["access_token"] = token
        return self.url_open(
            path + ("?" + "&".join(f"{k}={v}" for k, v in params.items()) if params else ""),
            allow_redirects=False,
            headers=self.HEADERS,
        )

    def _csrf(self, path, token):
        response = self._get(path, token)
        self.assertEqual(response.status_code, 200, response.text[:500])
        return re.search(r'name="csrf_token" value="([^"]+)"', response.text).group(1)

    def _post(self, path, token, data, files=None):
        data = {"csrf_token": self._csrf(path, token), "access_token": token, **data}
        return self.url_open(path, data=data, files=files, allow_redirects=False, headers=self.HEADERS)

    def _promise_data(self, moves, days=10, amount=None):
        return {
            "move_ids": [str(m.id) for m in moves],
            "date": fields.Date.to_string(self.today + timedelta(days=days)),
            "amount": str(amount if amount is not None else sum(moves.mapped("amount_residual"))),
        }

    def _dispute_data(self, move, message="Livraison incomplète"):
        return {"move_id": str(move.id), "reason_id": str(self.reason.id), "message": message}

    def _portal_interactions(self, partner):
        return self.env["relance.interaction"].search([("partner_id", "=", partner.id), ("ip_address", "!=", False)])


@tagged("post_install", "-at_install")
class TestRelancePortal(RelancePortalCommon):
    def test_reminder_link_opens_the_account_without_login(self):
        comm = self.env["relance.communication"].create(
            {
                "company_id": self.company.id,
                "partner_id": self.dupont.id,
                "level_id": self.company.relance_policy_id.level_ids[:1].id,
                "date": self.today,
            }
        )
        link = urlparse(comm._payment_link())
        self.assertEqual(link.path, "/my/relance")
        response = self._get(link.path, parse_qs(link.query)["access_token"][0])
        self.assertEqual(response.status_code, 200)
        for move in self.inv_old | self.inv_recent | self.inv_future:
            self.assertIn(move.name, response.text)
        self.assertNotIn(self.inv_martin.name, response.text)
        self.assertIn("Portail Dupont SARL", response.text)
        self.assertRegex(response.text, r'o_relance_total_due[^>]*><span class="oe_currency_value">1,800.00<')
        self.assertRegex(response.text, r'o_relance_total_overdue[^>]*><span class="oe_currency_value">1,500.00<')

    def test_statement_and_letter_are_downloaded_and_logged(self):
        response = self._get("/my/relance/statement", self.token)
        self.assertEqual(response.status_code, 200)
        self.assertEqual(response.headers["Content-Type"], "application/pdf")
        self.assertIn(
            self.inv_old.name,
            response.content.decode(errors="replace"),
            "the statement lists the open invoices (HTML in test mode, PDF otherwise)",
        )
        letters = self._get("/my/relance/letters", self.token)
        self.assertIn("Relance Dupont.pdf", letters.text)
        self.assertNotIn("Relance Martin.pdf", letters.text)
        attachment = self.letter_dupont.attachment_ids
        response = self._get(f"/my/relance/letters/{attachment.id}", self.token)
        self.assertEqual(response.status_code, 200)
        self.assertTrue(response.content.startswith(b"%PDF"))
        logged = self._portal_interactions(self.dupont)
        self.assertEqual(len(logged), 2)
        self.assertEqual(set(logged.mapped("kind")), {"portal"})
        self.assertEqual(set(logged.mapped("direction")), {"in"})
        self.assertTrue(all(logged.mapped("user_agent")))
        self.assertIn(logged[0], self.dupont.relance_interaction_ids, "in the customer's history")

    def test_promise_from_the_portal_pauses_reminders_and_tells_the_collector(self):
        moves = self.inv_old | self.inv_recent
        response = self._post("/my/relance/promise", self.token, self._promise_data(moves, days=10, amount="1200"))
        self.assertEqual(response.status_code, 200, response.text[-2000:])
        promise = self.env["relance.promise"].search([("partner_id", "=", self.dupont.id)])
        self.assertEqual(len(promise), 1)
        self.assertEqual(promise.move_ids, moves)
        self.assertEqual(promise.amount, 1200.0)
        self.assertEqual(promise.date, self.today + timedelta(days=10))
        self.assertEqual(promise.user_id, self.collector)
        logged = self._portal_interactions(self.dupont)
        self.assertEqual(logged.kind, "promise")
        self.assertEqual(logged.direction, "in")
        self.assertEqual(logged.ip_address, "127.0.0.1")
        self.assertEqual(logged.user_agent, self.HEADERS["User-Agent"])
        activity = self.dupont.activity_ids.filtered(lambda a: "portal" in (a.summary or ""))
        self.assertEqual(activity.user_id, self.collector)
        excluded = self.env["account.move"].search(self.env["account.move"]._relance_exclusion_domain(self.today))
        self.assertTrue(moves <= excluded, "promised invoices are paused as after a promise made by phone")

    def test_dispute_from_the_portal_with_a_document(self):
        pdf = b"%PDF-1.4\n1 0 obj << >> endobj\n%%EOF\n"
        response = self._post(
            "/my/relance/dispute",
            self.token,
            self._dispute_data(self.inv_old),
            files={"attachment": ("bon.pdf", pdf, "application/pdf")},
        )
        self.assertEqual(response.status_code, 200, response.text[-2000:])
        dispute = self.env["relance.dispute"].search([("partner_id", "=", self.dupont.id)])
        self.assertEqual(dispute.move_ids, self.inv_old)
        self.assertEqual(dispute.reason_id, self.reason)
        self.assertEqual(dispute.description, "Livraison incomplète")
        self.assertEqual(dispute.user_id, self.collector)
        self.assertEqual(
            self.env["ir.attachment"].search([("res_model", "=", "relance.dispute"), ("res_id", "=", dispute.id)]).raw,
            pdf,
        )
        self.assertEqual(dispute.activity_ids.user_id, self.collector)
        self.assertTrue(self.inv_old.relance_disputed)
        self.assertEqual(self._portal_interactions(self.dupont).kind, "dispute")
        page = self._get("/my/relance", self.token)
        self.assertIn("Disputed invoices", page.text)

    def test_another_customers_token_and_ids_are_refused(self):
        for path in (
            "/my/relance",
            "/my/relance/statement",
            "/my/relance/letters",
            "/my/relance/promise",
            "/my/relance/dispute",
            f"/my/relance/letters/{self.letter_dupont.attachment_ids.id}",
        ):
            self.assertEqual(self._get(path, "not-a-token").status_code, 403, path)
            self.assertEqual(self._get(path).status_code, 403, f"{path}: anonymous without a token")
            tampered = self.token[:-3] + ("AAA" if not self.token.endswith("AAA") else "BBB")
            self.assertEqual(self._get(path, tampered).status_code, 403, path)
        # Martin's token reaches Dupont's records by id: nothing is revealed, nothing created
        letter = self._get(f"/my/relance/letters/{self.letter_dupont.attachment_ids.id}", self.token_martin)
        self.assertEqual(letter.status_code, 404)
        self.assertNotIn(b"relance letter", letter.content)
        self.assertEqual(self._get("/my/relance/dispute", self.token_martin, move_id=self.inv_old.id).status_code, 404)
        response = self._post("/my/relance/dispute", self.token_martin, self._dispute_data(self.inv_old))
        self.assertIn(response.status_code, (400, 404))
        response = self._post("/my/relance/promise", self.token_martin, self._promise_data(self.inv_old))
        self.assertEqual(response.status_code, 400)
        self.assertNotIn(self.inv_old.name, response.text)
        self.assertFalse(self.env["relance.promise"].search([("move_ids", "in", self.inv_old.ids)]))
        self.assertFalse(self.env["relance.dispute"].search([("move_ids", "in", self.inv_old.ids)]))
        # a token of the same customer for another company shows nothing of this one
        other = self._get("/my/relance", self.dupont._relance_portal_token(self.other_company))
        self.assertEqual(other.status_code, 200)
        self.assertNotIn(self.inv_old.name, other.text)

    def test_bad_inputs_are_refused_and_change_nothing(self):
        moves = self.inv_old | self.inv_recent
        limits = self.dupont._relance_portal_promise_limits(self.company)
        due = sum(moves.mapped("amount_residual"))
        cases = [
            (self._promise_data(moves, days=-1), "cannot be in the past"),
            (self._promise_data(moves, days=limits["days"] + 1), "cannot be later than"),
            ({**self._promise_data(moves), "date": "31/02/2026"}, "Give the date"),
            (self._promise_data(moves, amount="abc"), "Give the amount"),
            (self._promise_data(moves, amount=due + 1), "at most"),
            (self._promise_data(moves, amount=due * limits["percent"] / 100 - 1), "at least"),
            (self._promise_data(moves, amount="0"), "must be positive"),
            ({**self._promise_data(moves), "move_ids": []}, "Choose one or more"),
            ({**self._promise_data(moves), "note": "x" * 2001}, "too long"),
        ]
        for data, message in cases:
            response = self._post("/my/relance/promise", self.token, data)
            self.assertEqual(response.status_code, 400, data)
            self.assertIn(message, response.text)
        self.assertFalse(self.env["relance.promise"].search([("partner_id", "=", self.dupont.id)]))
        dispute_cases = [
            (self._dispute_data(self.inv_old, message=""), None, "what is wrong"),
            (self._dispute_data(self.inv_old, message="x" * 2001), None, "too long"),
            ({**self._dispute_data(self.inv_old), "reason_id": "999999"}, None, "Choose a reason"),
            (
                self._dispute_data(self.inv_old),
                {"attachment": ("virus.exe", b"MZ\x90\x00binary", "application/pdf")},
                "PDF, PNG or JPEG",
            ),
            (
                self._dispute_data(self.inv_old),
                {"attachment": ("big.pdf", b"%PDF-1.4\n" + b"0" * (5 * 1024 * 1024 + 1), "application/pdf")},
                "too large",
            ),
        ]
        for data, files, message in dispute_cases:
            response = self._post("/my/relance/dispute", self.token, data, files=files)
            self.assertEqual(response.status_code, 400, data.get("message", "")[:20])
            self.assertIn(message, response.text)
        self.assertFalse(self.env["relance.dispute"].search([("partner_id", "=", self.dupont.id)]))
        self.assertFalse(self._portal_interactions(self.dupont), "nothing recorded on bad input")
        # a form without its CSRF token is refused
        response = self.url_open(
            "/my/relance/promise", data={"access_token": self.token, **self._promise_data(moves)}, allow_redirects=False
        )
        self.assertEqual(response.status_code, 400)
        self.assertFalse(self.env["relance.promise"].search([("partner_id", "=", self.dupont.id)]))

    def test_forms_are_rate_limited_per_link(self):
        self.env["ir.config_parameter"].sudo().set_param("relance_impayes.portal_posts_per_hour", 2)
        for move in self.inv_old | self.inv_recent:
            self.assertEqual(self._post("/my/relance/dispute", self.token, self._dispute_data(move)).status_code, 200)
        response = self._post("/my/relance/dispute", self.token, self._dispute_data(self.inv_future))
        self.assertEqual(response.status_code, 429)
        self.assertIn("Too many requests", response.text)
        self.assertFalse(self.inv_future.relance_disputed)
        # another customer's link has its own count
        self.assertEqual(
            self._post("/my/relance/dispute", self.token_martin, self._dispute_data(self.inv_martin)).status_code, 200
        )

    def _other_company_books(self):
        """The least a second company needs to invoice: a sales journal and its accounts."""
        Account = self.env["account.account"].with_company(self.other_company)
        income = Account.create({"name": "Ventes", "code": "706100", "account_type": "income"})
        receivable = Account.create(
            {"name": "Clients", "code": "411100", "account_type": "asset_receivable", "reconcile": True}
        )
        self.env["account.journal"].create(
            {
                "name": "Ventes",
                "code": "VTE",
                "type": "sale",
                "company_id": self.other_company.id,
                "default_account_id": income.id,
            }
        )
        self.dupont.with_company(self.other_company).property_account_receivable_id = receivable

    def test_portal_user_sees_its_company_only(self):
        self._other_company_books()
        inv_other = self._invoice(self.dupont, 4321.0, days_late=30, company=self.other_company)
        contact = self.env["res.partner"].create(
            {"name": "Jeanne Dupont", "parent_id": self.dupont.id, "email": "jeanne@example.fr"}
        )
        user = new_test_user(
            self.env,
            "jeanne",
            groups="base.group_portal",
            partner_id=contact.id,
            company_id=self.company.id,
            company_ids=[Command.set(self.company.ids)],
        )
        self.assertTrue(user._is_portal())
        self.authenticate("jeanne", "jeanne")
        home = self._get("/my/home")
        self.assertIn("/my/relance", home.text)
        page = self._get("/my/relance")
        self.assertEqual(page.status_code, 200)
        self.assertIn(self.inv_old.name, page.text)
        self.assertNotIn(inv_other.name, page.text)
        self.assertNotIn(self.inv_martin.name, page.text)
        letter = self._get(f"/my/relance/letters/{self.letter_martin.attachment_ids.id}")
        self.assertEqual(letter.status_code, 404)
        response = self._post("/my/relance/promise", None, self._promise_data(self.inv_old, amount=1000))
        self.assertEqual(response.status_code, 200)
        promise = self.env["relance.promise"].search([("partner_id", "=", self.dupont.id)])
        self.assertEqual(promise.company_id, self.company)


@tagged("post_install", "-at_install")
class TestRelancePortalTour(RelancePortalCommon):
    def test_customer_follows_a_reminder_link(self):
        link = self.dupont._relance_portal_url(self.company)
        self.start_tour(link[len(self.company.get_base_url()) :], "relance_portal_tour")
        self.env.invalidate_all()
        promise = self.env["relance.promise"].search([("partner_id", "=", self.dupont.id)])
        self.assertEqual(promise.move_ids, self.inv_old | self.inv_recent)
        self.assertEqual(promise.amount, 1500.0)
        self.assertEqual(promise.date, self.today + timedelta(days=7))
        self.assertEqual(promise.state, "open")
        dispute = self.env["relance.dispute"].search([("partner_id", "=", self.dupont.id)])
        self.assertEqual(dispute.move_ids, self.inv_future)
        self.assertEqual(dispute.description, "Prestation non réalisée")
        logged = self._portal_interactions(self.dupont)
        self.assertEqual(
            sorted(logged.mapped("kind")),
            ["dispute", "portal", "portal", "promise"],
            "statement, letter, promise, dispute: each in the evidence with its origin",
        )
        self.assertTrue(all(logged.mapped("user_agent")))
        self.assertEqual(set(logged.mapped("direction")), {"in"})
