import re
from datetime import date, timedelta

from odoo.exceptions import AccessError, UserError, ValidationError
from odoo.tests import tagged

from .common import TODAY, RelanceCommon

NBSP = "\N{NO-BREAK SPACE}"


@tagged("post_install", "-at_install")
class TestRelanceInsolvency(RelanceCommon):
    """A customer under sauvegarde, redressement or liquidation judiciaire (C. com. livre VI)."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.env["res.lang"]._activate_lang("fr_FR")
        cls.env["ir.module.module"]._load_module_terms(["relance_impayes"], ["fr_FR"], overwrite=True)
        cls.company.company_registry = "552 100 554"
        cls.customer.company_registry = "732 829 320"
        office = cls.env["res.partner"].create(
            {
                "name": "SELARL Dubois",
                "is_company": True,
                "street": "15 quai Jean Moulin",
                "zip": "69001",
                "city": "Lyon",
            }
        )
        cls.mandataire = cls.env["res.partner"].create({"name": "Maître Claire Dubois", "parent_id": office.id})
        cls.manager = cls._relance_user("insolvency_manager", "Mona Manager", "mona@example.fr", "manager")
        cls.user = cls._relance_user("insolvency_user", "Ulysse User", "ulysse@example.fr")

    def _invoice(self, partner, amount, invoice_date, due):
        return self._relance_invoice(partner, amount, invoice_date=invoice_date, due=due)

    def _procedure(self, partner=None, judgment=date(2025, 7, 1), **values):
        return (
            self.env["relance.insolvency"]
            .with_user(self.manager)
            .create(
                {
                    "partner_id": (partner or self.customer).id,
                    "kind": "redressement",
                    "judgment_date": judgment,
                    "court": "Tribunal de commerce de Lyon",
                    "case_number": "2025J00123",
                    "mandataire_id": self.mandataire.id,
                    "bodacc_date": judgment + timedelta(days=14),
                    **values,
                }
            )
        )

    # ------------------------------------------------------------------
    # Penalties stop at the judgment (L622-28)
    # ------------------------------------------------------------------
    def test_interest_stops_at_the_judgment_date(self):
        inv = self._invoice(self.customer, 10000, date(2025, 5, 16), date(2025, 6, 15))
        before = inv._relance_penalties(date(2025, 9, 30))
        self.assertEqual([p["days"] for p in before["periods"]], [15, 92], "without procedure: until 30 September")
        self._procedure()
        self.assertTrue(inv.relance_insolvency_id)
        after = inv._relance_penalties(date(2025, 9, 30))
        self.assertEqual(
            [(p["date_from"], p["date_to"], p["days"], p["rate"]) for p in after["periods"]],
            [(date(2025, 6, 16), date(2025, 6, 30), 15, 13.15), (date(2025, 7, 1), date(2025, 7, 1), 1, 12.15)],
            "16 days up to the judgment day included; 1 July is in the second half-year (ECB 2.15 % + 10)",
        )
        self.assertEqual([p["interest"] for p in after["periods"]], [54.04, 3.33])
        self.assertAlmostEqual(after["interest"], 57.37, places=2, msg="10 000 x (13.15 % x 15 + 12.15 % x 1) / 365")
        self.assertAlmostEqual(after["indemnity"], 40.0)
        self.assertAlmostEqual(after["total"], 97.37, places=2)
        self.assertEqual(after, inv._relance_penalties(TODAY), "nothing accrues after the judgment, months later")

    def test_no_indemnity_when_not_late_at_the_judgment(self):
        inv = self._invoice(self.customer, 1000, date(2025, 6, 20), date(2025, 7, 20))
        self._procedure()
        penalties = inv._relance_penalties(TODAY)
        self.assertEqual((penalties["interest"], penalties["indemnity"], penalties["days_late"]), (0.0, 0.0, 0))

    # ------------------------------------------------------------------
    # Reminders: earlier invoices left out, later ones as usual (L622-7, L622-17)
    # ------------------------------------------------------------------
    def test_earlier_invoice_is_not_reminded_later_one_is(self):
        judgment = TODAY - timedelta(days=60)
        earlier = self._invoice(self.customer, 2000, judgment - timedelta(days=40), judgment - timedelta(days=10))
        later = self._invoice(self.customer, 700, judgment, TODAY - timedelta(days=20))
        other = self._invoice(self.customer_b, 500, judgment - timedelta(days=40), TODAY - timedelta(days=20))
        self.assertTrue(earlier.relance_next_date)
        procedure = self._procedure(judgment=judgment)
        self.assertEqual(procedure.move_ids, earlier, "the invoice dated on the judgment day is a later claim")
        self.assertFalse(earlier.relance_next_date, "an earlier invoice has no next reminder")
        excluded = self.env["account.move"].search(self.env["account.move"]._relance_exclusion_domain(TODAY))
        self.assertIn(earlier, excluded)
        self.assertNotIn(later, excluded)
        self.assertIn(
            "insolvency", [code for code, _label, _domain in self.env["relance.engine"]._exclusion_reasons(TODAY)]
        )
        decision = self._decide()[self.customer.id]
        self.assertEqual([step.move_id for step in decision.steps], later.ids, "only the later invoice is chased")
        self.assertIsNone(decision.skip_reason)
        self.assertEqual(decision.level_id, self.lvl_amiable.id)
        self.assertIsNone(self._decide()[self.customer_b.id].skip_reason, "other customers are unaffected")
        self.assertFalse(other.relance_insolvency_id)
        later_penalties = later._relance_penalties(TODAY)
        self.assertEqual(later_penalties["days_late"], 20, "the later invoice bears penalties as usual")
        self.assertAlmostEqual(later_penalties["indemnity"], 40.0)

    # ------------------------------------------------------------------
    # Credit hold
    # ------------------------------------------------------------------
    def test_customer_on_hold_until_the_procedure_is_closed(self):
        procedure = self._procedure()
        customer = self.customer
        self.assertTrue(customer.relance_credit_hold)
        self.assertEqual(customer.relance_hold_cause, "insolvency")
        self.assertIn("Tribunal de commerce de Lyon", customer.relance_hold_reason)
        self.assertEqual(customer.relance_insolvency_id, procedure)
        draft = self._relance_invoice(self.customer, 300, days_late=-30, post=False)
        with self.assertRaises(UserError):
            draft.action_post()
        self.env["relance.credit"]._update_holds(self.company)
        self.assertEqual(customer.relance_hold_cause, "insolvency", "the daily run keeps the hold")
        self.assertFalse(self.customer_b.relance_credit_hold)
        with self.assertRaises(AccessError):
            procedure.with_user(self.user).action_close()
        procedure.with_user(self.manager).action_close()
        self.assertEqual(procedure.state, "closed")
        self.assertFalse(customer.relance_credit_hold, "nothing else holds the customer")
        self.assertFalse(customer.relance_insolvency_id)

    def test_closing_keeps_a_hold_set_by_hand(self):
        self.customer._relance_hold("manual", "Payment incidents")
        procedure = self._procedure()
        self.assertEqual(self.customer.relance_hold_cause, "manual")
        procedure.with_user(self.manager).action_close()
        self.assertTrue(self.customer.relance_credit_hold, "the manager's hold stays")

    # ------------------------------------------------------------------
    # The claim declaration
    # ------------------------------------------------------------------
    def _declared_case(self):
        inv = self._invoice(self.customer, 10000, date(2025, 5, 16), date(2025, 6, 15))
        not_due = self._invoice(self.customer, 1200, date(2025, 6, 20), date(2025, 7, 20))
        procedure = self._procedure(
            retention_of_title="Chambre froide livrée le 16 mai 2025 sous réserve de propriété."
        )
        return inv, not_due, procedure

    def test_declaration_holds_every_mandatory_element(self):
        inv, not_due, procedure = self._declared_case()
        claim = procedure._declaration(TODAY)
        self.assertEqual([row["move"] for row in claim["rows"]], [inv, not_due])
        self.assertEqual(
            claim["totals"], {"principal": 11200.0, "interest": 57.37, "indemnity": 40.0, "total": 11297.37}
        )
        html = (
            self.env["ir.actions.report"]
            ._render_qweb_html("relance_impayes.action_report_declaration_creance", procedure.ids)[0]
            .decode()
        )
        expected = [
            "Lettre recommandée avec accusé de réception",
            "DÉCLARATION DE CRÉANCE",
            f"Procédure{NBSP}:",
            "Redressement judiciaire",
            f"Débiteur{NBSP}:",
            "Dupont SARL",
            "732 829 320",
            "1er juillet 2025",
            "Tribunal de commerce de Lyon",
            "2025J00123",
            "15 juillet 2025",
            "Maître Claire Dubois",
            "15 quai Jean Moulin",
            self.company.name,
            "552 100 554",
            "L. 622-24",
            "R. 622-24",
            "L. 622-28",
            inv.name,
            not_due.name,
            "échue",
            "à échoir",
            f"10{NBSP}000,00",
            "57,37",
            "40,00",
            f"10{NBSP}097,37",
            f"11{NBSP}297,37",
            "chirographaire",
            "Réserve de propriété",
            "Chambre froide livrée le 16 mai 2025",
            "Pièces jointes",
            "Copies des factures",
            "sincère et véritable",
        ]
        for text in expected:
            self.assertIn(text, html)
        # French amounts (« 14 435,68 € »): non-breaking spaces around the currency symbol
        symbol = self.company.currency_id.symbol
        self.assertRegex(html, f"(57,37{NBSP}{re.escape(symbol)}|{re.escape(symbol)}{NBSP}57,37)")
        french = procedure.with_context(lang="fr_FR")
        self.assertEqual(french._format_amount(14435.68, self.env.ref("base.EUR")), f"14{NBSP}435,68{NBSP}€")
        self.assertEqual(french._written_date(date(2026, 12, 1)), "1er décembre 2026")
        self.assertNotIn("Claim declaration", html, "all in French")

    def test_declaration_of_a_consumer_claims_no_indemnity(self):
        consumer = self._relance_customer("Jean Durand", is_company=False, relance_is_consumer=True)
        inv = self._invoice(consumer, 900, date(2025, 5, 16), date(2025, 6, 15))
        procedure = self._procedure(partner=consumer)
        claim = procedure._declaration(TODAY)
        self.assertEqual(claim["rows"][0]["move"], inv)
        self.assertEqual(claim["totals"]["indemnity"], 0.0)
        html = (
            self.env["ir.actions.report"]
            ._render_qweb_html("relance_impayes.action_report_declaration_creance", procedure.ids)[0]
            .decode()
        )
        self.assertIn("Aucune indemnité forfaitaire", html)
        self.assertNotIn("D. 441-5", html)

    def test_declaration_renders_as_a_real_pdf(self):
        inv, _not_due, procedure = self._declared_case()
        text = self._relance_pdf_text("relance_impayes.action_report_declaration_creance", procedure)
        text = text.replace(NBSP, " ").replace("\N{NARROW NO-BREAK SPACE}", " ")
        for expected in (
            "DÉCLARATION DE CRÉANCE",
            inv.name,
            "Maître Claire Dubois",
            "57,37",
            "1er juillet 2025",
            "L. 622-24",
        ):
            self.assertIn(expected, text)

    def test_sending_is_logged_as_evidence_and_ends_the_todo(self):
        inv, not_due, procedure = self._declared_case()
        todo = procedure.activity_ids
        self.assertEqual(len(todo), 1)
        self.assertEqual(procedure.claim_deadline, date(2025, 9, 15))
        self.assertEqual(todo.date_deadline, TODAY, "15 days before the deadline is past: due today")
        with self.assertRaises(AccessError):
            procedure.with_user(self.user).action_send_declaration()
        procedure.with_user(self.manager).action_send_declaration()
        self.assertEqual(procedure.state, "declared")
        self.assertEqual(procedure.declaration_date, TODAY)
        evidence = procedure.interaction_id
        self.assertEqual(evidence.kind, "claim_declaration")
        self.assertEqual(evidence.partner_id, self.customer)
        self.assertEqual(evidence.contact_id, self.mandataire)
        self.assertEqual(evidence.move_ids, inv | not_due)
        self.assertAlmostEqual(evidence.amount, 11297.37)
        self.assertEqual(evidence.user_id, self.manager)
        self.assertTrue(evidence.integrity_hash, "sealed in the chain of evidence")
        self.assertEqual(evidence.attachment_ids, procedure.declaration_attachment_id)
        self.assertIn(b"57,37", evidence.attachment_ids.raw)
        self.assertFalse(procedure.activity_ids, "the to-do is done")
        with self.assertRaises(AccessError):
            evidence.attachment_ids.with_user(self.manager).unlink()

    def test_todo_falls_before_the_deadline(self):
        judgment = TODAY - timedelta(days=20)
        procedure = self._procedure(judgment=judgment, bodacc_date=judgment + timedelta(days=6))
        self.assertEqual(procedure.claim_deadline, date(2026, 4, 24), "BODACC 24 February + 2 months")
        todo = procedure.activity_ids
        self.assertEqual(todo.date_deadline, date(2026, 4, 9), "15 days before the deadline")
        self.assertEqual(todo.activity_type_id, self.env.ref("mail.mail_activity_data_todo"))
        self.assertLess(todo.date_deadline, procedure.claim_deadline)
        procedure.bodacc_date = judgment + timedelta(days=10)
        self.assertEqual(procedure.activity_ids.date_deadline, date(2026, 4, 13), "follows the publication date")

    def test_sending_needs_a_mandataire_and_a_claim(self):
        procedure = self._procedure(mandataire_id=False)
        with self.assertRaises(UserError) as error:
            procedure.with_user(self.manager).action_send_declaration()
        self.assertIn("mandataire", str(error.exception))
        procedure.mandataire_id = self.mandataire
        with self.assertRaises(UserError) as error:
            procedure.with_user(self.manager).action_send_declaration()
        self.assertIn("no claim to declare", str(error.exception))
        self.assertEqual(procedure.state, "open")

    # ------------------------------------------------------------------
    # Bad input: a clear message, nothing changed
    # ------------------------------------------------------------------
    def test_bad_input_is_refused_and_changes_nothing(self):
        inv = self._invoice(self.customer, 1000, TODAY - timedelta(days=60), TODAY - timedelta(days=30))
        procedures = self.env["relance.insolvency"]
        with self.assertRaises(ValidationError) as error:
            self._procedure(judgment=TODAY + timedelta(days=1), bodacc_date=False)
        self.assertIn("The judgment date (03/11/2026) is in the future", str(error.exception))
        with self.assertRaises(ValidationError) as error:
            self._procedure(judgment=TODAY - timedelta(days=10), bodacc_date=TODAY - timedelta(days=11))
        self.assertIn(
            "The BODACC publication (02/27/2026) cannot come before the judgment it publishes (02/28/2026)",
            str(error.exception),
        )
        self.assertFalse(procedures.search([("partner_id", "=", self.customer.id)]))
        self.assertFalse(self.customer.relance_credit_hold)
        self.assertFalse(inv.relance_insolvency_id)
        first = self._procedure(judgment=TODAY - timedelta(days=10))
        with self.assertRaises(ValidationError) as error:
            self._procedure(judgment=TODAY - timedelta(days=5), kind="liquidation")
        self.assertIn("Dupont SARL already has an open insolvency procedure", str(error.exception))
        self.assertEqual(procedures.search([("partner_id", "=", self.customer.id)]), first)
        with self.assertRaises(ValidationError):
            first.with_user(self.manager).bodacc_date = TODAY - timedelta(days=11)
        self.assertEqual(first.bodacc_date, TODAY + timedelta(days=4))
        with self.assertRaises(AccessError):
            self.env["relance.insolvency"].with_user(self.user).create(
                {"partner_id": self.customer_b.id, "judgment_date": TODAY, "court": "TC Paris", "kind": "sauvegarde"}
            )
        self.assertEqual(first.with_user(self.user).state, "open", "Relances users read the procedure")
        first.with_user(self.manager).action_close()
        second = self._procedure(judgment=TODAY - timedelta(days=5), bodacc_date=False, kind="liquidation")
        self.assertEqual(second.state, "open", "a new procedure once the first is closed")
