import re
from datetime import date, timedelta

from odoo import Command
from odoo.exceptions import UserError
from odoo.tests import tagged

from .common import TODAY, RelanceCommon

NNBSP, NBSP = "\N{NARROW NO-BREAK SPACE}", "\N{NO-BREAK SPACE}"
DUE = date(2026, 2, 28)  # 10 days before TODAY, the friendly reminder's day


def text_of(html):
    """The visible text of a rendered report, tags removed, its non-breaking spaces kept."""
    html = html.decode() if isinstance(html, bytes) else html
    return re.sub(r"[ \n\t]+", " ", re.sub(r"<[^>]+>", " ", html))


@tagged("post_install", "-at_install")
class TestRelanceLetterLang(RelanceCommon):
    """A document sent to a customer formats its numbers and dates in the customer's language,
    the language of its text, whoever prints it and whatever the daily run's user."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.env["res.lang"]._activate_lang("fr_FR")
        cls.env["ir.module.module"]._load_module_terms(["relance_impayes"], ["fr_FR"], overwrite=True)
        cls.english_user = cls._relance_user("relance_lang_en", "Emma Clerk", "emma@example.fr")
        cls.french_user = cls._relance_user("relance_lang_fr", "Françoise Commis", "francoise@example.fr")
        cls.french_user.lang = "fr_FR"
        cls.customer.lang = "fr_FR"
        cls.customer_b.lang = "en_US"

    def setUp(self):
        super().setUp()
        # the formats Odoo's languages give, read from the languages themselves
        self.fr = self.env["res.lang"]._lang_get("fr_FR")
        self.en = self.env["res.lang"]._lang_get("en_US")
        self.assertEqual((self.en.code, self.fr.code, self.en.thousands_sep), ("en_US", "fr_FR", ","))
        self.assertEqual(self.english_user.lang, "en_US")

    def _comm(self, partner, amount, level, days_late=10):
        """A planned reminder of ``level`` for one invoice of ``partner`` due ``days_late`` days ago."""
        self._relance_invoice(partner, amount, days_late=days_late)
        decision = self._decide()[partner.id]
        decision.level_id = level.id
        return self.env["relance.communication"]._plan(self.company, [decision], TODAY)

    def _html(self, user, report, records):
        """The report as ``user`` prints it (their own language in the context, as the web client sends)."""
        reports = self.env["ir.actions.report"].with_user(user).with_context(lang=user.lang)
        return text_of(reports._render_qweb_html(report, records.ids)[0])

    def _french_amount(self, whole, cents="00"):
        """``5 000,00``, with fr_FR's own thousands separator (a narrow no-break space)."""
        return f"{whole[:-3]}{self.fr.thousands_sep}{whole[-3:]},{cents}"

    def assertFrench(self, text, name):
        self.assertIn(self.fr.thousands_sep, (NNBSP, NBSP), "fr_FR groups thousands with a no-break space")
        self.assertIn(self._french_amount("5000"), text, f"{name}: French amount")
        self.assertNotIn("5,000.00", text, f"{name}: no English thousands and decimal point")
        self.assertNotIn("02/28/2026", text, f"{name}: no month-first date")

    def test_french_customer_letters_printed_by_english_user_are_french(self):
        letter = self._comm(self.customer, 5000, self.lvl_amiable)
        text = self._html(self.english_user, "relance_impayes.action_report_relance_letter", letter)
        self.assertFrench(text, "reminder letter")
        self.assertIn("28/02/2026", text, "the due date in French (day first)")
        self.assertIn("10 mars 2026", text, "the letter's date written out in French")

        notice = self._comm(self.customer_b.copy({"lang": "fr_FR", "name": "Bernard SA"}), 5000, self.lvl_notice, 50)
        text = self._html(self.english_user, "relance_impayes.action_report_mise_en_demeure", notice)
        self.assertFrench(text, "formal notice")
        self.assertIn((TODAY - timedelta(days=50)).strftime("%d/%m/%Y"), text, "the due date in French")
        self.assertRegex(text, rf"\d+,\d\d{NBSP}%", "the penalty rate with a decimal comma and a no-break space")
        self.assertNotRegex(text, r"\d+\.\d\d.%", "no decimal point in the rate")

        text = self._html(self.english_user, "relance_impayes.action_report_releve_compte", self.customer)
        self.assertFrench(text, "statement")
        self.assertIn("28/02/2026", text)
        self.assertIn("10 mars 2026", text)

        text = self._html(self.english_user, "relance_impayes.action_report_dossier_recouvrement", self.customer)
        self.assertFrench(text, "recovery file")

    def test_totals_in_the_invoices_company_currency_whatever_the_current_company(self):
        """A manager of two companies prints the formal notice of the first while the second (in
        euros) is the current one: the claim's totals stay in the first company's currency."""
        euro = self.env.ref("base.EUR")
        euro.active = True
        other = self.env["res.company"].create({"name": "Autre Société", "currency_id": euro.id})
        self.assertNotEqual(self.company.currency_id, euro)
        notice = self._comm(self.customer, 5000, self.lvl_notice, 50)
        reports = self.env["ir.actions.report"].with_context(allowed_company_ids=[other.id, self.company.id])
        self.assertEqual(reports.env.company, other)
        text = text_of(reports._render_qweb_html("relance_impayes.action_report_mise_en_demeure", notice.ids)[0])
        self.assertNotIn(euro.symbol, text, "no total in the current company's currency")
        self.assertIn(self.company.currency_id.symbol, text)

    def test_english_customer_printed_by_french_user_is_english(self):
        letter = self._comm(self.customer_b, 5000, self.lvl_amiable)
        text = self._html(self.french_user, "relance_impayes.action_report_relance_letter", letter)
        self.assertIn("5,000.00", text)
        self.assertNotIn(self._french_amount("5000"), text)
        self.assertIn("02/28/2026", text, "the due date in English (month first)")
        self.assertIn("March 10, 2026", text)
        for report in (
            "relance_impayes.action_report_releve_compte",
            "relance_impayes.action_report_dossier_recouvrement",
        ):
            text = self._html(self.french_user, report, self.customer_b)
            self.assertIn("5,000.00", text, report)
            self.assertNotIn(self._french_amount("5000"), text, report)
            self.assertNotIn("28/02/2026", text, report)

    def test_one_batch_of_letters_formats_each_in_its_own_language(self):
        """The letters' step renders several customers' letters in one QWeb render, as the
        daily run's user: each letter keeps its customer's formats."""
        french = self._comm(self.customer, 5000, self.lvl_amiable)
        english = self._comm(self.customer_b, 5000, self.lvl_amiable)
        comms = (french | english).with_user(self.env.ref("base.user_root")).with_context(lang="en_US")
        report = self.env.ref("relance_impayes.action_report_relance_letter")
        jobs = {job[0]: text_of(job[2]) for job in comms.sudo()._relance_letter_jobs(report, TODAY)}
        self.assertEqual(set(jobs), {french.id, english.id})
        self.assertIn(self._french_amount("5000"), jobs[french.id])
        self.assertNotIn("5,000.00", jobs[french.id])
        self.assertIn("28/02/2026", jobs[french.id])
        self.assertIn("5,000.00", jobs[english.id])
        self.assertIn("02/28/2026", jobs[english.id])

    def test_payment_plan_in_the_customer_language(self):
        invoice = self._relance_invoice(self.customer, 5000, days_late=10)
        plan = self.env["relance.payment.plan"].create(
            {
                "partner_id": self.customer.id,
                "move_ids": [Command.set(invoice.ids)],
                "line_ids": [Command.create({"date": date(2026, 4, 30), "amount": 5000})],
            }
        )
        text = self._html(self.english_user, "relance_impayes.action_report_payment_plan", plan)
        self.assertFrench(text, "payment plan")
        self.assertIn("30/04/2026", text)


@tagged("post_install", "-at_install")
class TestRelanceSendWizard(RelanceCommon):
    """The manual reminder wizard created without its form."""

    def test_created_with_customer_only_takes_the_engine_level(self):
        invoice = self._relance_invoice(self.customer, 1200, days_late=10)
        user = self._relance_user("relance_send_user", "Sam Send", "sam@example.fr")
        wizard = (
            self.env["relance.send"]
            .with_user(user)
            .create({"company_id": self.company.id, "partner_id": self.customer.id})
        )
        self.assertEqual(wizard.level_id.id, self._decide()[self.customer.id].level_id)
        self.assertEqual(wizard.level_id, self.lvl_amiable)
        self.assertEqual(wizard.move_ids, invoice)
        action = wizard.action_prepare()
        comm = self.env["relance.communication"].browse(action["res_id"])
        self.assertEqual((comm.level_id, comm.line_ids.move_id), (self.lvl_amiable, invoice))

    def test_customer_without_any_level_is_refused_clearly(self):
        empty = self.env["relance.policy"].create({"name": "Empty policy", "company_id": self.company.id})
        self.customer_b.relance_policy_id = empty
        count = self.env["relance.send"].search_count([])
        with self.assertRaisesRegex(UserError, "No reminder level applies to Martin SAS"):
            self.env["relance.send"].create({"company_id": self.company.id, "partner_id": self.customer_b.id})
        self.assertEqual(self.env["relance.send"].search_count([]), count)
