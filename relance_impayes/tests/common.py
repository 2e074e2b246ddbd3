import subprocess
import tempfile
from datetime import date, timedelta

from freezegun import freeze_time

from odoo import Command
from odoo.tests import new_test_user
from odoo.tools import mute_logger

from odoo.addons.account.tests.common import AccountTestInvoicingCommon
from odoo.addons.mail.tests.common import MailCase

TODAY = date(2026, 3, 10)


def move_values(partner, amount, invoice_date, due=None, move_type="out_invoice"):
    """Values of a customer invoice (or credit note) of one untaxed line of ``amount``, due on
    ``due`` when given; for the tests that create moves in batches or on their own cursor."""
    values = {
        "move_type": move_type,
        "partner_id": partner.id,
        "invoice_date": invoice_date,
        "invoice_line_ids": [
            Command.create(
                {
                    "name": "Avoir" if move_type == "out_refund" else "Prestation",
                    "quantity": 1,
                    "price_unit": amount,
                    "tax_ids": [],
                }
            )
        ],
    }
    if due:
        values["invoice_date_due"] = due
    return values


class RelanceRecords:
    """Customers and invoices of the tests, for a TransactionCase on the frozen ``TODAY`` as for
    an HttpCase on the real date (it sets ``cls.today``): invoices are late from ``today``."""

    today = TODAY

    @classmethod
    def _relance_customer(cls, name, **values):
        return cls.env["res.partner"].create(
            {
                "name": name,
                "is_company": True,
                "email": f"{name.split()[0].lower()}@example.fr",
                "street": "2 avenue Foch",
                "zip": "69006",
                "city": "Lyon",
                "country_id": cls.env.ref("base.fr").id,
                **values,
            }
        )

    @classmethod
    def _relance_invoice(
        cls, partner, amount, days_late=None, post=True, company=None, currency=None, invoice_date=None, due=None
    ):
        """A posted invoice of ``amount`` (no tax) due ``days_late`` days before ``today`` (or on
        ``due``), dated 30 days before its due date unless ``invoice_date`` is given."""
        due = due or cls.today - timedelta(days=days_late)
        values = move_values(partner, amount, invoice_date or due - timedelta(days=30), due)
        if currency:
            values["currency_id"] = currency.id
        move = cls.env["account.move"].with_company(company or cls.env.company).create(values)
        if post:
            move.action_post()
        return move

    @classmethod
    def _relance_refund(cls, partner, amount, on=None):
        """A posted credit note of ``amount`` (no tax), dated ``on`` (``today`` by default), not applied."""
        refund = cls.env["account.move"].create(move_values(partner, amount, on or cls.today, move_type="out_refund"))
        refund.action_post()
        return refund


class RelanceCommon(RelanceRecords, AccountTestInvoicingCommon, MailCase):
    """A company with the shipped standard policy, customers with emails and addresses."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.company = cls.env.company
        cls.company.write({"email": "compta@example.fr", "street": "1 rue de la Paix", "zip": "75002", "city": "Paris"})
        cls.policy = cls.company.relance_policy_id
        ladder = cls.policy.with_context(active_test=False).level_ids.sorted("delay")
        (
            cls.lvl_courtesy,
            cls.lvl_amiable,
            cls.lvl_phone,
            cls.lvl_formal,
            cls.lvl_final,
            cls.lvl_notice,
            cls.lvl_litigation,
        ) = ladder
        cls.customer = cls._relance_customer("Dupont SARL")
        cls.customer_b = cls._relance_customer("Martin SAS")

    def setUp(self):
        super().setUp()
        freezer = freeze_time(TODAY)
        freezer.start()
        self.addCleanup(freezer.stop)

    @classmethod
    def _relance_user(cls, login, name, email, role="user"):
        """An internal user of the company in the Relances group ``role`` (user or manager)."""
        return new_test_user(
            cls.env,
            login=login,
            name=name,
            email=email,
            groups=f"relance_impayes.relance_impayes_group_{role}",
            company_id=cls.company.id,
        )

    def _pay(self, invoice, amount, pay_date=TODAY):
        self.env["account.payment.register"].with_context(active_model="account.move", active_ids=invoice.ids).create(
            {"amount": amount, "payment_date": pay_date}
        )._create_payments()

    def _decide(self, on=TODAY, company=None):
        with freeze_time(on):
            decisions = self.env["account.move"]._relance_decide(company or self.company, on)
        return {d.partner_id: d for d in decisions}

    def assertSkipReason(self, reason, msg=None, on=TODAY):
        """The decision of ``on`` leaves ``customer`` out for ``reason`` (None: it is reminded)."""
        self.assertEqual(self._decide(on)[self.customer.id].skip_reason, reason, msg)

    def _run_cron(self, on=TODAY):
        """The scheduled action as the scheduler runs it, then the mail queue."""
        with freeze_time(on), self.enter_registry_test_mode():
            self.env.ref("relance_impayes.ir_cron_relance").method_direct_trigger()
        self.env.invalidate_all()

    def _send_queue(self, on=TODAY):
        with freeze_time(on):
            self.env["mail.mail"].sudo().search([("state", "=", "outgoing")]).send(raise_exception=False)
        self.env.invalidate_all()

    def _run_letters(self, on=TODAY):
        """The letters' scheduled action (triggered by the daily run and by a person's send)."""
        with freeze_time(on), self.enter_registry_test_mode():
            self.env.ref("relance_impayes.ir_cron_relance_letters").method_direct_trigger()
        self.env.invalidate_all()

    def _run_day(self, on=TODAY):
        """One day of the process: the scheduled action, then the mail queue (mocked SMTP), then
        the letters' scheduled action."""
        with self.mock_mail_gateway():
            self._run_cron(on)
            self._send_queue(on)
            self._run_letters(on)

    def _comms(self, partner=None):
        domain = [("partner_id", "=", partner.id)] if partner else []
        return self.env["relance.communication"].search(domain)

    def _relance_note(self, summary, user=None, **values):
        """A note on ``customer``'s history, recorded by ``user`` (by the application when none)."""
        interactions = self.env["relance.interaction"]
        interactions = interactions.with_user(user) if user else interactions.sudo()
        return interactions.create(
            {"partner_id": self.customer.id, "kind": "note", "direction": "internal", "summary": summary, **values}
        )

    def _relance_notice_received(self, invoice, sent=None, received=None):
        """The formal notice of ``invoice`` by registered letter, posted on ``sent`` and received on
        ``received`` (10 and 5 days before TODAY by default), as a collector records its follow-up."""
        letter = (
            self.env["relance.interaction"]
            .sudo()
            .create(
                {
                    "partner_id": invoice.partner_id.id,
                    "kind": "registered_letter",
                    "summary": "Mise en demeure",
                    "move_ids": [Command.set(invoice.ids)],
                    "level_id": self.lvl_notice.id,
                }
            )
        )
        letter.write(
            {
                "lrar_status": "received",
                "lrar_sent_date": sent or TODAY - timedelta(days=10),
                "lrar_receipt_date": received or TODAY - timedelta(days=5),
            }
        )
        return letter

    def _relance_pdf_text(self, report, records):
        """The text of the real PDF of ``report`` (wkhtmltopdf, read back with pdftotext)."""
        with mute_logger("odoo.addons.base.models.ir_actions_report"):
            pdf, fmt = (
                self.env["ir.actions.report"]
                .with_context(force_report_rendering=True)
                ._render_qweb_pdf(report, records.ids)
            )
        self.assertEqual(fmt, "pdf")
        self.assertTrue(pdf.startswith(b"%PDF"))
        with tempfile.NamedTemporaryFile(suffix=".pdf") as handle:
            handle.write(pdf)
            handle.flush()
            return subprocess.run(
                ["pdftotext", "-layout", handle.name, "-"], capture_output=True, check=True, text=True
            ).stdout

    def _relance_notice_to_validate(self, amount=1000):
        """``(invoice, reminder)``: an invoice 50 days late, after its final notice 20 days ago; the
        daily run prepared its formal notice, waiting in To validate."""
        invoice = self._relance_invoice(self.customer, amount, days_late=50)
        invoice.write({"relance_level_id": self.lvl_final.id, "relance_date": TODAY - timedelta(days=20)})
        self._run_cron()
        comm = self._comms(self.customer)
        self.assertEqual(comm.state, "to_validate")
        return invoice, comm

    def _relance_queued_reminder(self):
        """``(invoice, reminder)``: an invoice 6 days late whose friendly reminder the daily run
        queued; its email has not left yet."""
        invoice = self._relance_invoice(self.customer, 1000, days_late=6)
        with self.mock_mail_gateway():
            self._run_cron()
        comm = self._comms(self.customer)
        self.assertEqual(comm.state, "sending")
        return invoice, comm
