from datetime import timedelta

from freezegun import freeze_time

from odoo import Command
from odoo.exceptions import UserError
from odoo.tests import tagged
from odoo.tools import mute_logger

from .common import TODAY, RelanceCommon


@tagged("post_install", "-at_install")
class TestRelanceLetters(RelanceCommon):
    """Letters, penalty invoices, formal-notice deadline and limitation."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.company.company_registry = "552 100 554"
        cls.customer.company_registry = "732 829 320"
        cls.env["res.partner.bank"].create(
            {
                "acc_number": "FR7630006000011234567890189",
                "partner_id": cls.company.partner_id.id,
            }
        )
        cls.cur = cls.company.currency_id

    def _notice_comm(self, days_late=50):
        inv = self._relance_invoice(self.customer, 10000, days_late=days_late)
        inv.write({"relance_level_id": self.lvl_final.id, "relance_date": TODAY - timedelta(days=20)})
        decisions = [d for d in self.env["account.move"]._relance_decide(self.company, TODAY) if not d.skip_reason]
        comm = self.env["relance.communication"]._plan(self.company, decisions, TODAY)
        self.assertEqual(comm.level_id, self.lvl_notice)
        return inv, comm

    def _html(self, report, records, **data):
        return self.env["ir.actions.report"]._render_qweb_html(report, records.ids, data=data or None)[0].decode()

    def test_formal_notice_holds_every_mandatory_element(self):
        inv, comm = self._notice_comm()
        html = self._html("relance_impayes.action_report_mise_en_demeure", comm)
        penalties = inv._relance_penalties(TODAY)
        expected = [
            "FORMAL NOTICE",
            "Registered letter with acknowledgement of receipt",
            "Paris",
            self.company.name,
            "552 100 554",
            "Dupont SARL",
            "732 829 320",
            "2 avenue Foch",
            inv.name,
            "L. 441-10",
            "D. 441-5",
            "Interest keeps running",
            f"{penalties['periods'][0]['rate']:.2f}\N{NO-BREAK SPACE}%",
            "within",
            f"<strong>{self.company.relance_payment_days}</strong> days of receipt",
            "FR76 3000 6000 0112 3456 7890 189",
            "/my/",
            "injonction de payer",
            "Signature",
        ]
        for text in expected:
            self.assertIn(text, html)
        total = 10000 + penalties["interest"] + penalties["indemnity"]
        self.assertAlmostEqual(penalties["indemnity"], 40.0)
        self.assertIn(f"{total:,.2f}", html, "the total claimed: principal, penalties and indemnity")

    def test_stated_level_letter_states_penalties_and_indemnity(self):
        inv = self._relance_invoice(self.customer, 800, days_late=25)
        inv.write({"relance_level_id": self.lvl_phone.id, "relance_date": TODAY - timedelta(days=10)})
        decisions = [d for d in self.env["account.move"]._relance_decide(self.company, TODAY) if not d.skip_reason]
        comm = self.env["relance.communication"]._plan(self.company, decisions, TODAY)
        self.assertEqual(comm.level_id.penalty_mode, "stated")
        html = self._html("relance_impayes.action_report_relance_letter", comm)
        for text in (inv.name, "L. 441-10", "D. 441-5", "40.00", "Please pay by", "FR76 3000 6000 0112 3456 7890 189"):
            self.assertIn(text, html)

    def test_customer_statement_ages_open_items(self):
        self._relance_invoice(self.customer, 100, days_late=-5)
        self._relance_invoice(self.customer, 200, days_late=10)
        self._relance_invoice(self.customer, 300, days_late=45)
        self._relance_invoice(self.customer, 400, days_late=75)
        self._relance_invoice(self.customer, 500, days_late=120)
        self._relance_refund(self.customer, 50)
        report = self.env["report.relance_impayes.report_releve_compte"]
        statement = report._statement(self.customer, TODAY)
        self.assertEqual([round(b, 2) for b in statement["buckets"]], [50.0, 200.0, 300.0, 400.0, 500.0])
        self.assertAlmostEqual(statement["total"], 1450.0)
        html = self._html("relance_impayes.action_report_releve_compte", self.customer)
        self.assertIn("Statement of account", html)
        self.assertIn("Over 90", html)
        self.assertIn("1,450.00", html)

    def test_recovery_file_lists_parties_debts_exchanges_and_court_form_data(self):
        inv, comm = self._notice_comm()
        comm._execute()
        self.assertEqual(comm.state, "to_validate")
        comm.action_validate()
        self._run_letters()
        letter = comm.interaction_ids.filtered(lambda i: i.kind == "registered_letter")
        letter.write(
            {
                "tracking_number": "1A00123456789",
                "lrar_status": "received",
                "lrar_sent_date": TODAY,
                "lrar_receipt_date": TODAY + timedelta(days=2),
            }
        )
        html = self._html(
            "relance_impayes.action_report_dossier_recouvrement", self.customer, date=str(TODAY + timedelta(days=20))
        )
        for text in (
            "Recovery file",
            "552 100 554",
            "732 829 320",
            inv.name,
            "1A00123456789",
            "Acknowledgement of receipt no. 1A00123456789",
            "cerfa 12946",
            "tribunal des activités économiques de Lyon",
            "L. 441-10",
            "D. 441-5",
            "Total claimed",
            letter.attachment_ids[:1].name,
        ):
            self.assertIn(text, html)
        self.assertNotIn("750-1", html, "a log of reminders is no amicable attempt within CPC 750-1")

    def test_hand_off_offered_only_after_notice_deadline(self):
        inv = self._relance_invoice(self.customer, 1000, days_late=70)
        inv.write({"relance_level_id": self.lvl_notice.id, "relance_date": TODAY - timedelta(days=25)})
        self.assertSkipReason("awaiting_notice", "no receipt recorded: the notice's deadline has not started")
        self._relance_notice_received(inv)
        self.assertSkipReason("awaiting_notice", "received 5 days ago: the 8 days to pay are not over")
        self.assertEqual(self._decide(TODAY + timedelta(days=4))[self.customer.id].level_id, self.lvl_litigation.id)

    def test_penalty_invoice_per_customer_never_charges_twice(self):
        interest_account = self.company_data["default_account_revenue"].copy({"code": "763199"})
        indemnity_account = self.company_data["default_account_revenue"].copy({"code": "758199"})
        self.company.write(
            {"relance_interest_account_id": interest_account.id, "relance_indemnity_account_id": indemnity_account.id}
        )
        inv1 = self._relance_invoice(self.customer, 10000, days_late=30)
        inv2 = self._relance_invoice(self.customer, 5000, days_late=10)
        wizard = self.env["relance.penalty.invoice"].create(
            {"partner_ids": [Command.set(self.customer.ids)], "date": TODAY}
        )
        self.assertIn(inv1.name, wizard.summary)
        wizard.action_create()
        penalty = inv1.relance_penalty_line_ids.move_id
        self.assertEqual(len(penalty), 1, "one penalty invoice per customer")
        self.assertEqual(penalty.relance_penalty_source_ids, inv1 | inv2)
        self.assertTrue(penalty.relance_is_penalty_invoice)
        p1, p2 = inv1._relance_penalties(TODAY), inv2._relance_penalties(TODAY)
        lines = penalty.invoice_line_ids
        self.assertEqual(len(lines), 4, "interest and indemnity on separate lines, per source invoice")
        self.assertFalse(lines.tax_ids, "no VAT on penalties")
        interest_lines = lines.filtered(lambda line: line.relance_penalty_kind == "interest")
        self.assertEqual(interest_lines.account_id, interest_account)
        self.assertEqual(
            lines.filtered(lambda line: line.relance_penalty_kind == "indemnity").account_id, indemnity_account
        )
        self.assertAlmostEqual(penalty.amount_total, p1["total"] + p2["total"], places=2)
        self.assertAlmostEqual(inv1.relance_interest_charged, p1["interest"], places=2)
        self.assertTrue(inv1.relance_indemnity_charged)
        with self.assertRaises(UserError):
            self.env["relance.penalty.invoice"].create(
                {"partner_ids": [Command.set(self.customer.ids)], "date": TODAY}
            ).action_create()
        later = TODAY + timedelta(days=10)
        with freeze_time(later):  # penalties are invoiced up to a day that has come
            self.env["relance.penalty.invoice"].create(
                {"move_ids": [Command.set(inv1.ids)], "date": later}
            ).action_create()
        second = inv1.relance_penalty_line_ids.move_id - penalty
        self.assertEqual(
            second.invoice_line_ids.mapped("relance_penalty_kind"),
            ["interest"],
            "the indemnity is charged once; only the new period's interest",
        )
        self.assertAlmostEqual(
            second.amount_total, inv1._relance_penalties(later)["interest"] - p1["interest"], places=2
        )
        self.assertEqual(inv1.relance_penalty_charged_until, later)
        self.assertFalse(penalty._relance_penalties(later)["total"], "no penalties on a penalty invoice")

    def test_missing_penalty_accounts_is_a_clear_error(self):
        self._relance_invoice(self.customer, 1000, days_late=30)
        self.company.write({"relance_interest_account_id": False, "relance_indemnity_account_id": False})
        wizard = self.env["relance.penalty.invoice"].create(
            {"partner_ids": [Command.set(self.customer.ids)], "date": TODAY}
        )
        interest, indemnity = self.company._relance_penalty_accounts()
        if interest and indemnity:
            self.skipTest("the test company's chart has 763100 and 758100")
        with self.assertRaisesRegex(UserError, "income accounts"):
            wizard.action_create()
        self.assertFalse(self.env["account.move"].search([("relance_is_penalty_invoice", "=", True)]))

    def test_invoices_approaching_limitation_are_flagged(self):
        old = self._relance_invoice(self.customer, 700, days_late=365 * 5 - 90)
        self._relance_invoice(self.customer_b, 700, days_late=365 * 2)
        self.assertEqual(old.relance_prescription_date, old.invoice_date_due + timedelta(days=365 * 5 + 1))
        moves = self.env["account.move"].search(self.env["relance.limitation"]._domain(self.company))
        self.assertEqual(moves, old, "B2B: 5 years; the 2-year-old B2B invoice is not flagged")
        self.customer_b.relance_is_consumer = True
        moves = self.env["account.move"].search(self.env["relance.limitation"]._domain(self.company))
        self.assertEqual(len(moves), 2, "B2C: 2 years")
        self.assertIn("time-barred", self.customer.relance_prescription_warning)
        action = self.env["res.partner"].action_relance_todo()
        self.assertIn(self.customer.id, action["domain"][0][2])

    def test_formal_notice_renders_as_a_real_pdf(self):
        """wkhtmltopdf for real, read back with pdftotext. Without a web server the letter comes
        out without its stylesheet (wkhtmltopdf warns and exits 1): the text is what we check."""
        inv, comm = self._notice_comm()
        text = self._relance_pdf_text("relance_impayes.action_report_mise_en_demeure", comm)
        text = " ".join(text.split())  # a line may wrap inside "L. 441-10"
        for expected in (
            "FORMAL NOTICE",
            "Registered letter with acknowledgement of receipt",
            inv.name,
            "Dupont SARL",
            "732 829 320",
            "552 100 554",
            "Total claimed",
            "L. 441-10",
        ):
            self.assertIn(expected, text)

    def test_letter_goes_out_even_when_the_qr_code_cannot_be_drawn(self):
        from unittest.mock import patch

        from odoo.addons.account.models.res_partner_bank import ResPartnerBank

        inv, comm = self._notice_comm()
        with (
            patch.object(ResPartnerBank, "build_qr_code_base64", side_effect=ModuleNotFoundError("_rl_renderPM")),
            mute_logger("odoo.addons.relance_impayes.report.relance_report"),
        ):
            html = self._html("relance_impayes.action_report_mise_en_demeure", comm)
        self.assertIn(inv.name, html)
        self.assertNotIn("QR code", html)
