from unittest.mock import patch

from lxml import etree

from odoo.tests import tagged

from ..models.account_move_instalment import CLAIMS
from ..tools.context import flag_set
from .common import TODAY, RelanceCommon


@tagged("post_install", "-at_install")
class TestRelanceRenderBatch(RelanceCommon):
    """The emails of a batch are rendered with one QWeb compilation per (template, language, body),
    and say byte for byte what Odoo's per-record ``_render_field`` says."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.env["res.lang"]._activate_lang("fr_FR")

    def _planned(self, langs):
        partners = [self._relance_customer(f"Client{i} SARL", lang=lang) for i, lang in enumerate(langs)]
        for i, partner in enumerate(partners):
            self._relance_invoice(partner, 1000 + 10 * i, days_late=6)
            self._relance_invoice(partner, 300 + i, days_late=40)
        decisions = [d for d in self._decide().values() if d.skip_reason is None]
        return self.env["relance.communication"]._plan(self.company, decisions, TODAY)

    def _one_by_one(self, comms):
        """What the per-reminder path renders: each alone, in its customer's language."""
        expected = {}
        for comm in comms:
            template = comm.level_id.mail_template_id
            lang = template._render_lang(comm.ids)[comm.id]
            localised = template.with_context(lang=lang)
            expected[comm.id] = (
                localised._render_field("subject", comm.ids)[comm.id],
                localised._render_field("body_html", comm.ids)[comm.id],
            )
        return expected

    def _batch(self, comms):
        """The batched render, and how many inline QWeb elements it compiled."""
        qweb_class = type(self.env["ir.qweb"])
        original = qweb_class._generate_code_uncached
        compiled = []

        def counting(qweb, template):
            if isinstance(template, etree._Element):
                compiled.append(template)
            return original(qweb, template)

        with patch.object(qweb_class, "_generate_code_uncached", counting):
            rendered = comms._relance_prerender_emails()
        return rendered, len(compiled)

    def test_batch_render_is_byte_identical_and_compiles_once_per_language(self):
        comms = self._planned(["fr_FR", "en_US", "fr_FR", "en_US", "fr_FR"])
        self.assertEqual(len(comms), 5)
        self.assertEqual(len(comms.level_id.mail_template_id), 1, "one level, one template")
        rendered, compiled = self._batch(comms)
        expected = self._one_by_one(comms)
        self.assertEqual(set(rendered), set(comms.ids))
        for comm in comms:
            self.assertEqual(rendered[comm.id], expected[comm.id], f"reminder of {comm.partner_id.lang}")
            for move in comm.line_ids.move_id:
                self.assertIn(move.name, rendered[comm.id][1], "its own invoices")
        fr = comms.filtered(lambda c: c.partner_id.lang == "fr_FR")
        en = comms - fr
        self.assertNotEqual(rendered[fr[0].id][1], rendered[en[0].id][1], "each in its own language")
        self.assertLessEqual(compiled, 2, "one compilation per language, not per reminder")

        # an edited template: its new body is compiled and rendered, identical again
        template = comms.level_id.mail_template_id
        template.with_context(lang="fr_FR").body_html = (
            "<div><p>Bonjour <t t-out='object.partner_id.name'/>, reste dû : "
            "<t t-out='format_amount(object.amount_due, object.currency_id)'/>.</p></div>"
        )
        rendered, compiled = self._batch(comms)
        expected = self._one_by_one(comms)
        for comm in comms:
            self.assertEqual(rendered[comm.id], expected[comm.id])
        for comm in fr:
            self.assertIn(f"Bonjour {comm.partner_id.name}, reste dû", rendered[comm.id][1])
        for comm in en:
            self.assertNotIn("Bonjour", rendered[comm.id][1], "the English body is not the edited French one")
        self.assertLessEqual(compiled, 2)

    def test_a_group_that_fails_is_rendered_one_by_one(self):
        comms = self._planned(["fr_FR", "fr_FR"])
        bad = comms[1]
        # the template fails on the second reminder only: the group render fails
        comms.level_id.mail_template_id.with_context(
            lang="fr_FR"
        ).body_html = "<div><p t-out=\"1 / (0 if object.partner_id.ref == 'BAD' else 1)\"/></div>"
        bad.partner_id.ref = "BAD"
        rendered, _compiled = self._batch(comms)
        self.assertEqual(rendered, {}, "the group is left to the per-reminder render")
        comms._execute()
        self.assertEqual(comms[0].state, "sending", "the good one goes")
        self.assertEqual(bad.state, "failed", "the bad one fails alone")

    def test_invoice_table_reads_its_claims_once(self):
        """A reminder rendered alone (a letter, a preview) reads the claims of its invoices by one
        query; inside a batch's render, by none."""
        comm = self._planned(["fr_FR"])
        self.assertEqual(len(comm.line_ids), 2)
        expected = {line.id: line.move_id._relance_claim(comm.date) for line in comm.line_ids}
        self.env.flush_all()
        before = self.env.cr.sql_log_count
        self.assertEqual(comm._relance_line_claims(), expected)
        self.assertEqual(self.env.cr.sql_log_count - before, 1)
        batch = self.env["account.move"]._relance_claims([(line.move_id, comm.date) for line in comm.line_ids])
        with flag_set(CLAIMS, batch):
            before = self.env.cr.sql_log_count
            self.assertEqual(comm._relance_line_claims(), expected)
            self.assertEqual(self.env.cr.sql_log_count - before, 0)
