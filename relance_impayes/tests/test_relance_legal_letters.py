import html
import re
from datetime import date, timedelta

from dateutil.relativedelta import relativedelta
from freezegun import freeze_time

from odoo.exceptions import UserError
from odoo.tests import tagged
from odoo.tools import formataddr

from .common import TODAY, RelanceCommon

NBSP = "\N{NO-BREAK SPACE}"


def as_text(markup):
    """The text a reader sees: tags dropped, entities decoded, blanks (but not NBSP) collapsed."""
    text = html.unescape(re.sub(r"<[^>]+>", " ", re.sub(r"<(style|script)\b.*?</\1>", " ", markup, flags=re.S)))
    return re.sub(r"[ \t\r\n]+", " ", text)


@tagged("post_install", "-at_install")
class TestRelanceLegalLetters(RelanceCommon):
    """What each debtor is told (consumer or business), the court of an injonction de payer, the
    limitation, French typography, who signs, and disputes opened from invoices."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.company.write({"company_registry": "552 100 554", "phone": "+33 1 23 45 67 89"})
        cls.env["res.partner.bank"].create(
            {"acc_number": "FR7630006000011234567890189", "partner_id": cls.company.partner_id.id}
        )
        cls.consumer = cls._relance_customer("Durand Jean", is_company=False)

    def _html(self, report, records, **data):
        return self.env["ir.actions.report"]._render_qweb_html(report, records.ids, data=data or None)[0].decode()

    def _comm(self, partner, level_before, days_late, amount=1000):
        inv = self._relance_invoice(partner, amount, days_late=days_late)
        inv.write({"relance_level_id": level_before.id, "relance_date": TODAY - timedelta(days=20)})
        decisions = [
            d
            for d in self.env["account.move"]._relance_decide(self.company, TODAY, partners=partner)
            if not d.skip_reason
        ]
        return inv, self.env["relance.communication"]._plan(self.company, decisions, TODAY)

    def _documents(self, partner):
        """Formal notice, final notice and reminder letters (penalties stated), the final-notice
        email, statement and recovery file of ``partner``, read as text."""
        _inv, comm = self._comm(partner, self.lvl_final, 60)
        self.assertEqual(comm.level_id, self.lvl_notice)
        docs = {"formal notice": as_text(self._html("relance_impayes.action_report_mise_en_demeure", comm))}
        for name, level in (("final notice", self.lvl_final), ("reminder", self.lvl_phone)):
            level.penalty_mode = "stated"
            comm.sudo().level_id = level  # as the application would: the level is not a user field
            docs[name] = as_text(self._html("relance_impayes.action_report_relance_letter", comm))
        template = self.lvl_final.mail_template_id
        docs["final notice email"] = as_text(template._render_field("body_html", comm.ids)[comm.id])
        docs["statement"] = as_text(self._html("relance_impayes.action_report_releve_compte", partner))
        docs["recovery file"] = as_text(self._html("relance_impayes.action_report_dossier_recouvrement", partner))
        return docs

    # ------------------------------------------------------------------
    # Consumer or business (LEGAL_FR §5)
    # ------------------------------------------------------------------
    def test_person_without_company_is_a_consumer_unless_marked_professional(self):
        self.assertTrue(self.consumer.relance_is_consumer)
        self.assertEqual(self.consumer.relance_debtor_kind, "consumer")
        self.assertIn("2-year limitation", self.consumer.relance_rules_summary)
        contact = self.env["res.partner"].create({"name": "Paul Dupont", "parent_id": self.customer.id})
        self.assertFalse(contact.relance_is_consumer, "a contact of a company is not a consumer")
        self.assertFalse(self.customer.relance_is_consumer)
        self.assertIn("L. 441-10 penalties", self.customer.relance_rules_summary)
        self.consumer.relance_debtor_type = "professional"
        self.assertFalse(self.consumer.relance_is_consumer)
        inv = self._relance_invoice(self.consumer, 1000, days_late=30)
        self.assertAlmostEqual(inv._relance_penalties(TODAY)["indemnity"], 40.0, msg="a sole trader owes the indemnity")
        self.consumer.relance_debtor_type = "auto"
        self.assertTrue(self.consumer.relance_is_consumer)
        self.assertEqual(inv._relance_penalties(TODAY)["indemnity"], 0.0)
        # the former boolean still works for the code that writes it
        self.customer.relance_is_consumer = True
        self.assertEqual(self.customer.relance_debtor_type, "consumer")
        self.customer.relance_is_consumer = False
        self.assertEqual(self.customer.relance_debtor_kind, "trader")

    def test_upgrade_makes_existing_private_individuals_consumers(self):
        ticked = self._relance_customer("Leroy Anne", is_company=False, relance_debtor_type="consumer")
        inv = self._relance_invoice(self.consumer, 500, days_late=10)
        self.env.flush_all()
        # the state of a database before the upgrade: nobody ticked is a consumer
        self.env.cr.execute(
            "UPDATE res_partner SET relance_is_consumer = (id = %s), relance_debtor_kind = 'trader' WHERE id IN %s",
            (ticked.id, (ticked.id, self.consumer.id, self.customer.id)),
        )
        self.env.cr.execute("ALTER TABLE res_partner DROP COLUMN relance_debtor_type")
        self.env.cr.execute(
            "UPDATE account_move SET relance_prescription_date = %s WHERE id = %s", (date(2031, 1, 1), inv.id)
        )
        self.env.invalidate_all()
        pre = self._migration("pre")
        post = self._migration("post")
        pre.migrate(self.env.cr, "19.0.1.0.1")
        self.env.invalidate_all()
        post.recompute(self.env)
        self.env.invalidate_all()
        self.assertEqual(ticked.relance_debtor_type, "consumer")
        self.assertTrue(ticked.relance_is_consumer)
        self.assertTrue(self.consumer.relance_is_consumer, "a person without a company becomes a consumer")
        self.assertFalse(self.customer.relance_is_consumer)
        self.assertEqual(inv.relance_prescription_date, inv.invoice_date + relativedelta(years=2))

    def _migration(self, step):
        import importlib.util  # noqa: PLC0415 - the migration scripts are not a package

        from odoo.modules.module import get_module_path  # noqa: PLC0415

        path = f"{get_module_path('relance_impayes')}/migrations/19.0.1.0.2/{step}-migrate.py"
        spec = importlib.util.spec_from_file_location(f"relance_migration_{step}", path)
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        return module

    def test_consumer_is_never_told_of_penalties_indemnity_or_costs(self):
        for name, text in self._documents(self.consumer).items():
            with self.subTest(document=name):
                self.assertNotIn("441-10", text)
                self.assertNotIn("441-5", text)
                self.assertNotRegex(text, r"\b40[.,]00\b")
                self.assertNotRegex(text, r"(?i)indemnit")
                self.assertNotRegex(text, r"(?i)costs?\b[^.]*\b(borne by you|at your expense|claimed)")
        docs = self._documents(self.consumer)
        self.assertIn("1231-6", docs["formal notice"])
        self.assertIn("from the receipt of this formal notice", docs["formal notice"])
        self.assertIn("tribunal judiciaire de Lyon", docs["recovery file"])
        self.assertNotIn("750-1", docs["recovery file"])

    def test_business_is_told_what_the_law_gives(self):
        docs = self._documents(self.customer)
        for name in ("final notice", "final notice email", "formal notice", "reminder", "recovery file"):
            with self.subTest(document=name):
                self.assertIn("L. 441-10", docs[name])
        for name in ("final notice", "formal notice", "reminder"):
            with self.subTest(document=name):
                self.assertRegex(docs[name], r"\b40[.,]00\b")
                self.assertNotIn("borne by you", docs[name])
        self.assertIn("claimed on proof", docs["formal notice"])
        self.assertNotIn("1231-6", docs["formal notice"])
        self.assertIn("injonction de payer", docs["formal notice"])
        self.assertIn("tribunal des activités économiques de Lyon", docs["recovery file"])
        self.assertIn("cerfa 12946", docs["recovery file"])
        self.assertNotIn("750-1", docs["recovery file"])

    # ------------------------------------------------------------------
    # Court and form of an injonction de payer (LEGAL_FR §7)
    # ------------------------------------------------------------------
    def test_court_and_cerfa_follow_the_debtor(self):
        court = self.env["relance.court"]._injonction_court
        self.assertEqual(
            court(self.customer),
            {
                "kind": "tae",
                "name": "tribunal des activités économiques de Lyon",
                "cerfa": "12946",
                "city": "Lyon",
                "corrected": False,
            },
        )
        bordeaux = self._relance_customer("Garonne SA", city="Bordeaux")
        self.assertEqual(court(bordeaux)["name"], "tribunal de commerce de Bordeaux")
        self.assertEqual(court(bordeaux)["cerfa"], "12946")
        havre = self._relance_customer("Port SAS", city="LE HAVRE CEDEX")
        self.assertEqual(court(havre)["name"], "tribunal des activités économiques du Havre")
        etienne = self._relance_customer("Forez SAS", city="Saint-Etienne")
        self.assertEqual(court(etienne)["kind"], "tae")
        consumer = court(self.consumer)
        self.assertEqual(
            (consumer["kind"], consumer["name"], consumer["cerfa"]),
            ("judiciaire", "tribunal judiciaire de Lyon", "12948"),
        )
        club = self._relance_customer("Club de voile", city="Avignon", relance_debtor_type="association")
        self.assertEqual((court(club)["name"], court(club)["cerfa"]), ("tribunal judiciaire d'Avignon", "12948"))
        bordeaux.relance_court_name = "tribunal de commerce de Libourne"
        self.assertEqual(court(bordeaux)["name"], "tribunal de commerce de Libourne")
        self.assertTrue(court(bordeaux)["corrected"])
        self._relance_invoice(bordeaux, 700, days_late=60)
        text = as_text(self._html("relance_impayes.action_report_dossier_recouvrement", bordeaux))
        self.assertIn("tribunal de commerce de Libourne", text)
        self.assertIn("cerfa 12946", text)

    # ------------------------------------------------------------------
    # Limitation (C. com. L110-4, C. conso. L218-2)
    # ------------------------------------------------------------------
    def test_limitation_two_years_from_invoice_date_for_a_consumer(self):
        consumer_inv = self._relance_invoice(self.consumer, 300, days_late=10)
        business_inv = self._relance_invoice(self.customer, 300, days_late=10)
        self.assertEqual(consumer_inv.relance_prescription_date, consumer_inv.invoice_date + relativedelta(years=2))
        self.assertEqual(business_inv.relance_prescription_date, business_inv.invoice_date_due + relativedelta(years=5))
        self.consumer.relance_debtor_type = "professional"
        self.assertEqual(consumer_inv.relance_prescription_date, consumer_inv.invoice_date_due + relativedelta(years=5))

    # ------------------------------------------------------------------
    # French typography (LEGAL_FR §11)
    # ------------------------------------------------------------------
    def _french(self):
        self.env["res.lang"]._activate_lang("fr_FR")
        self.env["ir.module.module"]._load_module_terms(["relance_impayes"], ["fr_FR"], overwrite=True)
        self.customer.lang = "fr_FR"

    def test_french_letter_typography(self):
        self._french()
        inv, comm = self._comm(self.customer, self.lvl_phone, 25)
        self.assertEqual(comm.contact_id, self.customer)
        text = as_text(self._html("relance_impayes.action_report_relance_letter", comm))
        self.assertIn(f"Client{NBSP}:", text)
        self.assertIn("Madame, Monsieur,", text)
        self.assertIn("10 mars 2026", text)
        self.assertIn("article L. 441-10 du Code de commerce", text)
        self.assertNotRegex(text, r"\w [:;?!]", "no ordinary space before a high punctuation sign")
        self.assertEqual(comm._relance_format_date_long(date(2026, 12, 1), "fr_FR"), "1er décembre 2026")
        statement = as_text(self._html("relance_impayes.action_report_releve_compte", self.customer, date="2026-12-01"))
        self.assertIn("1er décembre 2026", statement)
        email = as_text(comm._render_email()[1])
        self.assertIn("Madame, Monsieur,", email)
        self.assertNotRegex(email, r"\w [:;?!]")

    def test_named_person_is_greeted_by_name_in_an_email_formally_in_a_letter(self):
        self._french()
        self.consumer.lang = "fr_FR"
        docs = self._documents(self.consumer)
        self.assertIn("Dear Durand Jean,", docs["final notice email"], "rendered without a language: English")
        _inv, comm = self._comm(
            self._relance_customer("Martin Paul", is_company=False, lang="fr_FR"), self.lvl_phone, 25
        )
        self.assertIn("Bonjour Martin Paul,", as_text(comm._render_email()[1]))
        for name in ("formal notice", "final notice", "reminder"):
            self.assertIn("Madame, Monsieur,", docs[name], name)
            self.assertNotIn("Bonjour", docs[name], name)

    def test_penalty_invoice_line_in_french(self):
        self._french()
        inv = self._relance_invoice(self.customer, 1000, days_late=1)
        inv.invoice_date_due = date(2025, 7, 15)
        self.company.write(
            {
                "relance_interest_account_id": self.company_data["default_account_revenue"].id,
                "relance_indemnity_account_id": self.company_data["default_account_revenue"].id,
            }
        )
        wizard = self.env["relance.penalty.invoice"].create({"date": date(2025, 8, 14), "move_ids": inv.ids})
        with freeze_time(date(2025, 8, 14)):
            wizard.action_create()
        lines = self.env["account.move.line"].search([("relance_penalty_source_id", "=", inv.id)])
        labels = lines.mapped("name")
        self.assertIn(f"Intérêts de retard sur {inv.name} du 16/07/2025 au 14/08/2025 (12,15{NBSP}%)", labels)
        self.assertIn(
            f"Indemnité forfaitaire pour frais de recouvrement (art. D. 441-5 C. com.) sur {inv.name}", labels
        )

    # ------------------------------------------------------------------
    # Who writes (issue 12, item 11)
    # ------------------------------------------------------------------
    def _cron_mail(self, partner):
        self._relance_invoice(partner, 900, days_late=12)
        self._run_day()
        comm = self._comms(partner)
        self.assertEqual(len(comm), 1)
        mail = self.env["mail.mail"].sudo().search([("model", "=", comm._name), ("res_id", "=", comm.id)])
        self.assertEqual(len(mail), 1)
        return comm, mail

    def test_cron_reminder_comes_from_company_signed_by_accounts_department(self):
        self.company.relance_collector_id = False
        self.customer.write({"user_id": False, "relance_collector_id": False})
        comm, mail = self._cron_mail(self.customer)
        self.assertEqual(mail.email_from, formataddr((self.company.name, "compta@example.fr")))
        body = as_text(mail.body_html)
        self.assertIn("Accounts department", body)
        self.assertIn("+33 1 23 45 67 89", body)
        self.assertIn("compta@example.fr", body)
        for forbidden in ("OdooBot", "System"):
            self.assertNotIn(forbidden, body)
            self.assertNotIn(forbidden, mail.email_from)

    def test_cron_reminder_signed_by_collector(self):
        collector = self.env["res.users"].create(
            {
                "name": "Claire Recouvre",
                "login": "claire.recouvre",
                "email": "claire@example.fr",
                "group_ids": [(6, 0, [self.env.ref("relance_impayes.relance_impayes_group_user").id])],
            }
        )
        self.company.relance_reply_to = "relances@example.fr"
        self.customer.relance_collector_id = collector
        comm, mail = self._cron_mail(self.customer)
        self.assertEqual(mail.email_from, formataddr((self.company.name, "compta@example.fr")))
        self.assertEqual(mail.reply_to, formataddr((self.company.name, "relances@example.fr")))
        body = as_text(mail.body_html)
        self.assertIn("Claire Recouvre", body)
        self.assertNotIn("OdooBot", body)
        self.assertEqual(comm._relance_sender().name, "Claire Recouvre")

    # ------------------------------------------------------------------
    # Disputes from invoices (issue 12, item 12)
    # ------------------------------------------------------------------
    def test_dispute_takes_the_customer_from_its_invoices(self):
        contact = self.env["res.partner"].create({"name": "Paul Dupont", "parent_id": self.customer.id})
        inv = self._relance_invoice(contact, 400, days_late=15)
        reason = self.env.ref("relance_impayes.dispute_reason_defective")
        dispute = self.env["relance.dispute"].create({"move_ids": [(6, 0, inv.ids)], "reason_id": reason.id})
        self.assertEqual(dispute.partner_id, self.customer)
        other = self._relance_invoice(self.customer_b, 400, days_late=15)
        count = self.env["relance.dispute"].search_count([])
        with self.assertRaisesRegex(UserError, "one customer"):
            self.env["relance.dispute"].create({"move_ids": [(6, 0, (inv | other).ids)], "reason_id": reason.id})
        self.assertEqual(self.env["relance.dispute"].search_count([]), count)
        with self.assertRaises(UserError):
            dispute.move_ids = [(4, other.id)]
