import importlib.util
import json

from odoo.modules.module import get_module_path
from odoo.tests import tagged

from .common import RelanceCommon

# the courtesy email as 19.0.1.0.0 shipped it (greeting by name, signed by the user)
OLD_COURTESY = """<div style="margin: 0px; padding: 0px; font-size: 13px;">
    <p>Dear <t t-out="object.contact_id.name or object.partner_id.name"/>,</p>
    <p>We are writing to remind you that the invoice(s) below will soon be due. If you have already arranged payment, please disregard this message.</p>
    <t t-call="relance_impayes.relance_invoice_table"/>
    <p>You can view and pay your invoices online: <a t-att-href="object._payment_link()" t-out="object._payment_link()"/></p>
    <p>If you have any question about these invoices, simply reply to this email.</p>
    <p>Kind regards,</p>
    <t t-if="object.user_id.signature"><div t-out="object.user_id.signature"/></t>
    <t t-else=""><p t-out="object.user_id.name or object.company_id.name"/></t>
</div>
"""  # noqa: E501


def _migration():
    path = f"{get_module_path('relance_impayes')}/migrations/19.0.1.0.3/post-migrate.py"
    spec = importlib.util.spec_from_file_location("relance_migration_19_0_1_0_3", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@tagged("post_install", "-at_install")
class TestRelanceTemplateMigration(RelanceCommon):
    """19.0.1.0.3: the shipped email templates nobody edited follow the new version on upgrade;
    edited ones are kept and named in the log (issue 12)."""

    def _as_shipped_long_ago(self, template, body, french):
        """The template as an old install left it: never written since, old English and French."""
        self.env.flush_all()
        self.env.cr.execute(
            "UPDATE mail_template SET body_html = %s::jsonb, write_date = create_date WHERE id = %s",
            (json.dumps({"en_US": body, "fr_FR": french}), template.id),
        )
        self.env.invalidate_all()

    def test_unedited_templates_are_reloaded_edited_ones_kept(self):
        self.env["res.lang"]._activate_lang("fr_FR")
        self.env["ir.module.module"]._load_module_terms(["relance_impayes"], ["fr_FR"], overwrite=True)
        migration = _migration()
        courtesy = self.env.ref("relance_impayes.mail_template_relance_courtesy")
        amiable = self.env.ref("relance_impayes.mail_template_relance_amiable")
        current = courtesy.with_context(lang="en_US").body_html
        current_fr = courtesy.with_context(lang="fr_FR").body_html
        self.assertIn("_relance_salutation", current)
        self._as_shipped_long_ago(courtesy, OLD_COURTESY, "<div><p>Cher client,</p></div>")
        self.assertIn("Dear", courtesy.with_context(lang="en_US").body_html)
        # the accountant rewrote the friendly reminder
        amiable.with_context(lang="en_US").body_html = "<div><p>Our own words.</p></div>"
        amiable.flush_recordset()

        with self.assertLogs("relance_migration_19_0_1_0_3", "INFO") as logs:
            reloaded, edited = migration.reload_unedited_templates(self.env)
        self.env.invalidate_all()

        self.assertIn("mail_template_relance_courtesy", reloaded)
        self.assertEqual(edited, ["mail_template_relance_amiable"])
        self.assertEqual(courtesy.with_context(lang="en_US").body_html, current)
        self.assertEqual(courtesy.with_context(lang="fr_FR").body_html, current_fr, "and its French translation")
        self.assertNotIn("Cher client", courtesy.with_context(lang="fr_FR").body_html)
        self.assertEqual(amiable.with_context(lang="en_US").body_html, "<div><p>Our own words.</p></div>")
        self.assertTrue(
            any("left as they are" in line and "mail_template_relance_amiable" in line for line in logs.output)
        )

    def test_a_template_written_since_its_install_is_kept_even_if_its_english_matches(self):
        """Edited in French only: the English still matches a shipped version, the write shows."""
        migration = _migration()
        phone = self.env.ref("relance_impayes.mail_template_relance_phone")
        self.env.flush_all()
        self.env.cr.execute(
            "UPDATE mail_template SET write_date = create_date + interval '1 day' WHERE id = %s", [phone.id]
        )
        self.env.invalidate_all()
        before = phone.with_context(lang="en_US").body_html
        _reloaded, edited = migration.reload_unedited_templates(
            self.env, {"mail_template_relance_phone": migration.SHIPPED["mail_template_relance_phone"]}
        )
        self.assertEqual(edited, ["mail_template_relance_phone"])
        self.assertEqual(phone.with_context(lang="en_US").body_html, before)

    def test_every_shipped_template_is_known(self):
        """Each template of the data file has its digests, the current version's among them."""
        migration = _migration()
        with open(f"{get_module_path('relance_impayes')}/{migration.DATA_FILE}", "rb") as data_file:
            current = migration.shipped_values(data_file.read())
        self.assertEqual(set(current), set(migration.SHIPPED))
        for xmlid, (subject, body) in current.items():
            self.assertIn(migration.digest(subject, body), migration.SHIPPED[xmlid], xmlid)
        self.assertIsNone(migration.digest("Subject", "<p>not <b>closed</p>"))
