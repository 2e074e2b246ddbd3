import re
from datetime import datetime
from unittest.mock import patch

from odoo import Command
from odoo.exceptions import AccessError, UserError
from odoo.tests import tagged

from .common import TODAY, RelanceCommon

REPORT = "relance_impayes.report_relance_integrity"


@tagged("post_install", "-at_install")
class TestRelanceEvidence(RelanceCommon):
    """The history is the proof shown to a judge: people add to it, nobody rewrites it, and any
    alteration behind the application's back is found by the integrity check."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.relance_user = cls._relance_user("evidence_user", "Ulysse User", "ulysse@example.fr")
        cls.relance_manager = cls._relance_user("evidence_manager", "Mona Manager", "mona@example.fr", "manager")

    def _letter(self, partner=None):
        """A registered letter as the application records it, with its PDF."""
        pdf = self.env["ir.attachment"].create(
            {
                "name": "Mise en demeure.pdf",
                "raw": b"%PDF-1.4 mise en demeure",
                "mimetype": "application/pdf",
                "res_model": "res.partner",
                "res_id": (partner or self.customer).id,
            }
        )
        return (
            self.env["relance.interaction"]
            .sudo()
            .create(
                {
                    "partner_id": (partner or self.customer).id,
                    "kind": "registered_letter",
                    "lrar_status": "to_send",
                    "summary": "Mise en demeure",
                    "amount": 1200.0,
                    "attachment_ids": [Command.set(pdf.ids)],
                }
            )
        )

    def _check(self):
        return self.env["relance.interaction"]._integrity_check(self.company)

    def _report_html(self, user=None):
        """The report's text, as the manager reads it."""
        report = self.env["ir.actions.report"].with_user(user or self.relance_manager)
        html = report._render_qweb_html(REPORT, self.company.ids)[0].decode()
        return " ".join(re.sub(r"<[^>]+>", " ", html).split())

    # ------------------------------------------------------------------
    # Append-only
    # ------------------------------------------------------------------
    def test_user_interaction_is_dated_now_and_signed_by_himself(self):
        note = self._relance_note(
            "Appel reçu", self.relance_user, date=datetime(2025, 1, 1, 9, 0), user_id=self.relance_manager.id
        )
        self.assertEqual(note.date.date(), TODAY, "the date sent by the client is ignored")
        self.assertEqual(note.user_id, self.relance_user, "signed by whoever records it")
        with self.assertRaises(UserError):
            note.with_user(self.relance_user).write({"date": datetime(2025, 1, 1)})
        with self.assertRaises(UserError):
            note.with_user(self.relance_manager).write({"user_id": self.relance_manager.id})
        self.assertEqual((note.date.date(), note.user_id), (TODAY, self.relance_user))

    def test_application_keeps_the_date_and_author_it_knows(self):
        reply = (
            self.env["relance.interaction"]
            .sudo()
            .create(
                {
                    "partner_id": self.customer.id,
                    "kind": "reply",
                    "direction": "in",
                    "summary": "Réponse",
                    "date": datetime(2026, 3, 9, 18, 30),
                    "user_id": self.relance_manager.id,
                }
            )
        )
        self.assertEqual((reply.date, reply.user_id), (datetime(2026, 3, 9, 18, 30), self.relance_manager))

    def test_sent_email_is_kept_as_sent_other_bodies_are_sanitized(self):
        """The evidence of an email is the body the customer received, byte for byte; a reply's
        email or a person's note is cleaned like any HTML field (no script reaches a screen)."""
        _invoice, comm = self._relance_queued_reminder()
        with self.mock_mail_gateway():
            self._send_queue()
        sent = comm.interaction_ids.filtered(lambda i: i.kind == "email")
        self.assertEqual(len(sent), 1)
        self.assertEqual(str(sent.body), comm.mail_id.body_html, "the body as it was sent")
        self.assertIn("Total due", sent.body)
        hostile = '<p>Payé</p><script>alert("x")</script><img src="x" onerror="alert(1)">'
        reply = (
            self.env["relance.interaction"]
            .sudo()
            .create(
                {"partner_id": self.customer.id, "kind": "reply", "direction": "in", "summary": "Re", "body": hostile}
            )
        )
        note = self._relance_note("Appel", self.relance_user, body=hostile)
        for record in reply | note:
            self.assertIn("Payé", record.body)
            self.assertNotIn("<script", record.body)
            self.assertNotIn("onerror", record.body)
        self.assertEqual(self._check()["status"], "intact")

    def test_correction_only_through_the_managers_wizard(self):
        note = self._relance_note("Appel entrant", self.relance_user)
        for user in (self.relance_user, self.relance_manager):
            with self.assertRaisesRegex(UserError, "Only a manager can correct"):
                self.env["relance.interaction"].with_user(user).create(
                    {
                        "partner_id": self.customer.id,
                        "kind": "correction",
                        "direction": "internal",
                        "summary": "Fausse correction",
                    }
                )
            with self.assertRaisesRegex(UserError, "Only a manager can correct"):
                self.env["relance.interaction"].with_user(user).create(
                    {
                        "partner_id": self.customer.id,
                        "kind": "note",
                        "summary": "Autre",
                        "corrected_id": note.id,
                    }
                )
        with self.assertRaises(AccessError):
            self.env["relance.interaction.correct"].with_user(self.relance_user).create(
                {"interaction_id": note.id, "summary": "Par l'utilisateur"}
            )
        wizard = (
            self.env["relance.interaction.correct"]
            .with_user(self.relance_manager)
            .create({"interaction_id": note.id, "summary": "Appel sortant, pas entrant"})
        )
        with self.assertRaises(AccessError):
            wizard.with_user(self.relance_user).action_confirm()
        self.assertFalse(note.correction_ids)
        wizard.action_confirm()
        correction = note.correction_ids
        self.assertEqual(
            (correction.kind, correction.summary, correction.user_id),
            ("correction", "Appel sortant, pas entrant", self.relance_manager),
        )
        self.assertEqual(note.summary, "Appel entrant", "the original stays as it was")
        self.assertEqual(self._check()["status"], "intact", "the correction is sealed in the chain")

    def test_evidence_documents_cannot_be_deleted_or_rewritten(self):
        letter = self._letter()
        pdf = letter.attachment_ids
        for user in (self.relance_user, self.relance_manager):
            as_user = pdf.with_user(user)
            with self.assertRaisesRegex(AccessError, "kept as evidence"):
                as_user.unlink()
            for vals in (
                {"raw": b"%PDF-1.4 autre"},
                {"datas": "JVBERi0xLjQ="},
                {"res_id": self.customer_b.id},
                {"res_model": "relance.communication"},
            ):
                with self.assertRaisesRegex(AccessError, "kept as evidence"):
                    as_user.write(vals)
        self.assertTrue(pdf.exists())
        self.assertEqual((pdf.raw, pdf.res_id), (b"%PDF-1.4 mise en demeure", self.customer.id))
        # a receipt added to the history record is evidence as soon as it is there
        receipt = (
            self.env["ir.attachment"]
            .with_user(self.relance_user)
            .create(
                {
                    "name": "AR signé.pdf",
                    "raw": b"%PDF-1.4 AR",
                    "res_model": "relance.interaction",
                    "res_id": letter.id,
                }
            )
        )
        with self.assertRaisesRegex(AccessError, "kept as evidence"):
            receipt.unlink()
        # any other document stays the user's to manage
        draft = self.env["ir.attachment"].with_user(self.relance_user).create({"name": "brouillon.txt", "raw": b"x"})
        draft.unlink()
        self.assertEqual(self._check()["status"], "intact")

    def test_registered_letter_follow_up_stays_editable(self):
        letter = self._letter().with_user(self.relance_user)
        letter.write({"tracking_number": "1A00123456789", "lrar_status": "sent", "lrar_sent_date": TODAY})
        self.assertEqual(letter.lrar_status, "sent")
        self.assertEqual(self._check()["status"], "intact", "the postal follow-up is not sealed")

    def _sent_reminder(self):
        self._relance_invoice(self.customer, 800, days_late=10)
        self._run_day()
        comm = self._comms(self.customer)
        self.assertEqual(comm.state, "sent")
        return comm

    def test_lines_of_a_sent_reminder_are_read_only(self):
        comm = self._sent_reminder()
        lines = comm.line_ids
        self.assertTrue(lines)
        for user in (self.relance_user, self.relance_manager):
            with self.assertRaisesRegex(AccessError, "part of the evidence"):
                lines.with_user(user).unlink()
            with self.assertRaisesRegex(AccessError, "part of the evidence"):
                lines.with_user(user).write({"amount_residual": 1.0})
            with self.assertRaisesRegex(AccessError, "part of the evidence"):
                self.env["relance.communication.line"].with_user(user).create(
                    {"communication_id": comm.id, "move_id": lines[0].move_id.id}
                )
        self.assertEqual(comm.line_ids, lines)
        self.assertEqual(lines.mapped("amount_residual"), [800.0])

    def test_validation_is_written_by_the_validation_only(self):
        comm = self._sent_reminder()
        for user in (self.relance_user, self.relance_manager):
            with self.assertRaisesRegex(AccessError, "cannot be written by hand"):
                comm.with_user(user).write({"validated_by_id": self.relance_manager.id})
            with self.assertRaisesRegex(AccessError, "cannot be written by hand"):
                comm.with_user(user).write({"validated_by_id": user.id})
        self.assertFalse(comm.validated_by_id)

    def test_validate_button_signs_with_the_validating_user(self):
        _inv, comm = self._relance_notice_to_validate()
        with self.mock_mail_gateway():
            comm.with_user(self.relance_user).action_validate()
        self._run_letters()  # the formal notice is a registered letter: sent once its PDF exists
        self.assertEqual(comm.validated_by_id, self.relance_user)
        self.assertEqual(self._check()["status"], "intact")

    # ------------------------------------------------------------------
    # Integrity chain
    # ------------------------------------------------------------------
    def test_untouched_chain_is_reported_intact(self):
        self.assertEqual(self._check()["status"], "empty")
        first = self._letter()
        self.env["relance.interaction"].with_user(self.relance_user).create(
            {
                "partner_id": self.customer_b.id,
                "kind": "call",
                "summary": "Appel",
                "amount": 10.5,
            }
        )
        last = (
            self.env["relance.interaction"]
            .sudo()
            .create(
                {
                    "partner_id": self.customer.id,
                    "kind": "email",
                    "summary": "Relance",
                    "body": "<p>Bonjour</p>",
                }
            )
        )
        self.assertEqual([first.integrity_sequence, last.integrity_sequence], [1, 3])
        self.assertTrue(last.integrity_hash.startswith("$1$"))
        result = self._check()
        self.assertEqual(
            (result["status"], result["count"], result["first"], result["last"]), ("intact", 3, first, last)
        )
        text = self._report_html()
        self.assertIn("Chain intact: 3 records, from #1 (", text)

    def test_sql_alteration_is_named_by_the_report(self):
        self._letter()
        altered = self._relance_note("Pas de réponse")
        self._letter(self.customer_b)
        self.env.flush_all()
        self.env.cr.execute(
            "UPDATE relance_interaction SET summary = %s WHERE id = %s", ["Le client a promis de payer", altered.id]
        )
        self.env.invalidate_all()
        result = self._check()
        self.assertEqual((result["status"], result["record"], result["count"]), ("broken", altered, 1))
        text = self._report_html()
        self.assertIn(f"Chain broken at record ID {altered.id}: Its content or one of its documents", text)
        self.assertIn("Intact before this record: 1 records, from #1", text)
        self.assertIn("Le client a promis de payer", text, "the record is shown as it is stored now")

    def test_altered_or_removed_document_is_detected(self):
        letter = self._letter()
        self._letter(self.customer_b)
        letter.attachment_ids.sudo().write({"raw": b"%PDF-1.4 autre contenu"})
        self.assertEqual(self._check()["record"], letter)
        self.env.cr.execute("DELETE FROM relance_interaction WHERE id = %s", [letter.id])
        self.env.invalidate_all()
        result = self._check()
        self.assertEqual(result["status"], "broken", "a record missing from the chain is found too")
        self.assertIn("missing", result["reason"])

    def test_history_without_hash_is_sealed_at_upgrade(self):
        first, second = self._letter(), self._letter(self.customer_b)
        self.env.flush_all()
        self.env.cr.execute(
            "UPDATE relance_interaction SET integrity_hash = NULL, integrity_sequence = NULL WHERE id IN %s",
            [(first.id, second.id)],
        )
        self.env.invalidate_all()
        self.assertEqual(self._check()["record"], first, "an unsealed record is reported")
        self.env["relance.interaction"]._integrity_seal_missing()
        self.assertEqual([first.integrity_sequence, second.integrity_sequence], [1, 2])
        self.assertEqual(self._check()["count"], 2)

    def test_a_field_sealed_later_keeps_older_records_intact(self):
        self._letter()
        Interaction = type(self.env["relance.interaction"])
        sealed = Interaction._get_integrity_hash_fields
        with patch.object(Interaction, "_get_integrity_hash_fields", lambda self: [*sealed(self), "tracking_number"]):
            self.assertEqual(self._check()["status"], "intact", "empty on the records sealed before it")
            later = self._letter(self.customer_b)
            later.tracking_number = "1A00123456789"
            self.assertEqual(self._check()["record"], later, "filled in after sealing: a change")

    def test_integrity_report_is_for_managers_from_the_menu(self):
        menu = self.env.ref("relance_impayes.relance_integrity_menu")
        Menu = self.env["ir.ui.menu"]
        self.assertIn(menu.id, Menu.with_user(self.relance_manager)._visible_menu_ids())
        self.assertNotIn(menu.id, Menu.with_user(self.relance_user)._visible_menu_ids())
        server_action = self.env.ref("relance_impayes.relance_interaction_action_integrity")
        action = server_action.with_user(self.relance_manager).run()
        self.assertEqual(action["report_name"], REPORT)
        with self.assertRaises(AccessError):
            server_action.with_user(self.relance_user).run()
        with self.assertRaises(AccessError):
            self._report_html(self.relance_user)
