import subprocess
import tempfile
import threading
from datetime import timedelta
from unittest.mock import patch

from odoo.tests import tagged
from odoo.tools import mute_logger

from odoo.addons.base.models import ir_actions_report as base_report

from .common import TODAY, RelanceCommon

LETTER_LOGGER = "odoo.addons.relance_impayes.models.relance_letter"


def pdf_text(pdf):
    with tempfile.NamedTemporaryFile(suffix=".pdf") as handle:
        handle.write(pdf)
        handle.flush()
        out = subprocess.run(["pdftotext", "-layout", handle.name, "-"], capture_output=True, check=True, text=True)
    return " ".join(out.stdout.split())


@tagged("post_install", "-at_install")
class TestRelanceLetterStep(RelanceCommon):
    """Letters have their own resumable step: the email never waits for a PDF, the evidence never
    comes without one, a failing PDF is visible and tried again."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.letters_cron = cls.env.ref("relance_impayes.ir_cron_relance_letters")
        cls.comm_class = type(cls.env["relance.communication"])

    def _real_pdf(self):
        """Render real PDFs in the letters' step (tests render HTML by default, as core does)."""
        patcher = patch.object(self.comm_class, "_relance_letter_html_only", lambda comm: False)
        patcher.start()
        self.addCleanup(patcher.stop)

    def _failing_wkhtmltopdf(self, failures):
        """wkhtmltopdf exits 2 for the first ``failures`` calls, then runs for real; returns the calls."""
        real, calls = base_report._run_wkhtmltopdf, []

        def run(args):
            calls.append(args)
            if len(calls) <= failures:
                return subprocess.CompletedProcess(args, 2, stdout="", stderr="Qt: cannot open display")
            return real(args)

        patcher = patch.object(base_report, "_run_wkhtmltopdf", run)
        patcher.start()
        self.addCleanup(patcher.stop)
        return calls

    def _formal_reminder(self, partner=None):
        """An invoice due for the Formal reminder (email and letter)."""
        inv = self._relance_invoice(partner or self.customer, 800, days_late=25)
        inv.write({"relance_level_id": self.lvl_phone.id, "relance_date": TODAY - timedelta(days=10)})
        return inv

    def _notice(self):
        """A formal notice (registered letter only), validated by a Relances manager."""
        inv, comm = self._relance_notice_to_validate(10000)
        manager = self._relance_user("relance_manager_letters", "Marie Valide", "marie@example.fr", role="manager")
        comm.with_user(manager).action_validate()
        return inv, comm

    def _pdf_attachments(self, comm):
        return self.env["ir.attachment"].search(
            [("res_model", "=", comm._name), ("res_id", "=", comm.id), ("mimetype", "=", "application/pdf")]
        )

    def _letter_triggered(self):
        return self.env["ir.cron.trigger"].search_count([("cron_id", "=", self.letters_cron.id)])

    def test_email_leaves_without_the_letter_and_the_letter_follows(self):
        inv = self._formal_reminder()
        with self.mock_mail_gateway():
            self._run_cron()
            comm = self._comms(self.customer)
            self.assertEqual(comm.level_id, self.lvl_formal)
            self.assertEqual(comm.letter_state, "to_render", "marked, not rendered, at send time")
            self.assertFalse(comm.letter_id)
            self.assertEqual(comm.mail_id.state, "outgoing", "the email is queued without waiting for the PDF")
            self.assertFalse(comm.mail_id.attachment_ids.filtered(lambda a: a.name.startswith("Letter")))
            self.assertTrue(self._letter_triggered(), "the daily run wakes the letters' step up")
            self._send_queue()
        self.assertEqual(comm.state, "sent", "sent means the email left")
        self.assertEqual(inv.relance_level_id, self.lvl_formal)
        self.assertEqual(comm.interaction_ids.mapped("kind"), ["email"], "no letter evidence without its PDF")

        self._run_letters()
        self.assertEqual(comm.letter_state, "done")
        self.assertTrue(comm.letter_id.raw)
        letter = comm.interaction_ids.filtered(lambda i: i.kind == "letter")
        self.assertEqual(letter.attachment_ids, comm.letter_id, "the letter's evidence holds its PDF")
        self.assertEqual(letter.move_ids, inv)
        self.assertEqual(inv.relance_level_id, self.lvl_formal, "the invoice climbed once")
        self._run_letters()
        self.assertEqual(len(comm.interaction_ids), 2, "a second run adds nothing")

    def test_letter_only_reminder_is_sent_once_its_pdf_exists(self):
        self._real_pdf()
        inv, comm = self._notice()
        self.assertEqual(comm.state, "sending", "a registered letter waits for its PDF")
        self.assertEqual(comm.letter_state, "to_render")
        self.assertTrue(self._letter_triggered(), "validating wakes the letters' step up")
        self.assertFalse(comm.interaction_ids, "never to post without its PDF")
        self.assertEqual(inv.relance_level_id, self.lvl_final, "no climb before the letter exists")
        self.env["relance.communication"]._relance_sweep_stuck(self.company, now=TODAY + timedelta(days=30))
        self.assertEqual(comm.state, "sending", "no email to wait for: the sweep leaves it to the letters' step")

        self._run_letters()
        self.assertEqual(comm.state, "sent")
        self.assertEqual(inv.relance_level_id, self.lvl_notice)
        registered = comm.interaction_ids
        self.assertEqual(registered.kind, "registered_letter")
        self.assertEqual(registered.lrar_status, "to_send")
        self.assertEqual(registered.attachment_ids, comm.letter_id)
        text = pdf_text(comm.letter_id.raw)
        self.assertIn("FORMAL NOTICE", text)
        self.assertIn(inv.name, text)
        self._run_letters()
        self.assertEqual(len(comm.interaction_ids), 1)
        self.assertEqual(len(self._pdf_attachments(comm)), 1)

    def test_failed_letter_is_visible_and_retried_by_the_next_run(self):
        self._real_pdf()
        calls = self._failing_wkhtmltopdf(failures=1)
        inv, comm = self._notice()
        with mute_logger(LETTER_LOGGER):
            self._run_letters()
        self.assertEqual(comm.letter_state, "failed")
        self.assertIn("cannot open display", comm.letter_error)
        self.assertEqual(comm.letter_attempts, 1)
        self.assertEqual(comm.state, "sending", "still going out: retried")
        self.assertFalse(comm.interaction_ids, "a registered letter without PDF is never to post")
        self.assertFalse(self._pdf_attachments(comm))
        todo = self.env.ref("relance_impayes.relance_communication_action_to_validate")
        self.assertIn("search_default_letter_failed", todo.context)
        relance_user = self._relance_user("relance_user_letters", "Paul Suivi", "paul@example.fr")
        failed = self.env["relance.communication"].with_user(relance_user).search([("letter_state", "=", "failed")])
        self.assertEqual(failed, comm, "the failed letter is in the To do filter, for the team")
        self.assertIn("cannot open display", failed.letter_error)

        self._run_letters()
        self.assertEqual(len(calls), 2)
        self.assertEqual(comm.letter_state, "done")
        self.assertFalse(comm.letter_error)
        self.assertEqual(comm.state, "sent")
        self.assertEqual(inv.relance_level_id, self.lvl_notice)
        self.assertEqual(len(self._pdf_attachments(comm)), 1, "one PDF in the end")
        self.assertEqual(comm.interaction_ids.lrar_status, "to_send")

    def test_letter_failing_for_good_does_not_block_the_customer(self):
        self._real_pdf()
        calls = self._failing_wkhtmltopdf(failures=100)
        inv, comm = self._notice()
        limit = self.env["relance.communication"]._relance_max_attempts()
        with mute_logger(LETTER_LOGGER):
            for _attempt in range(limit + 1):
                self._run_letters()
        self.assertEqual(len(calls), limit, "no attempt past the limit")
        self.assertEqual(comm.letter_state, "failed")
        self.assertEqual(comm.state, "given_up", "failed for good: it no longer holds the customer's open reminder")
        self.assertIn("cannot open display", comm.failure_reason)
        self.assertFalse(comm.interaction_ids)
        self.assertEqual(inv.relance_level_id, self.lvl_final)
        self._run_cron(TODAY + timedelta(days=1))
        later = self._comms(self.customer) - comm
        self.assertEqual(later.level_id, self.lvl_notice, "a new reminder could be prepared")

    def test_one_page_letter_is_small_and_reads_back(self):
        """≤ 80 kB for a one-page letter, with its QR code, read back as text (system fonts, no web
        font drawn as curves)."""
        self._real_pdf()
        self.env["res.partner.bank"].create(
            {"acc_number": "FR7630006000011234567890189", "partner_id": self.company.partner_id.id}
        )
        inv = self._formal_reminder()
        self._run_day()
        comm = self._comms(self.customer)
        pdf = comm.letter_id.raw
        self.assertTrue(pdf.startswith(b"%PDF"))
        self.assertLessEqual(len(pdf), 80 * 1024, f"{len(pdf) / 1024:.0f} kB")
        text = pdf_text(pdf)
        for expected in (inv.name, "Dupont SARL", "Formal reminder", "L. 441-10"):
            self.assertIn(expected, text)

    def test_letters_are_rendered_in_parallel(self):
        """Two workers: two wkhtmltopdf processes at once, each letter its own PDF."""
        self._real_pdf()
        self.env["ir.config_parameter"].sudo().set_param("relance_impayes.letter_workers", "2")
        partners = [self.customer, self.customer_b, self._relance_customer("Durand SA")]
        invoices = [self._formal_reminder(partner) for partner in partners]
        real, lock = base_report._run_wkhtmltopdf, threading.Lock()
        both = threading.Barrier(2, timeout=20)
        state = {"running": 0, "peak": 0, "calls": 0, "threads": set()}

        def run(args):
            with lock:
                state["running"] += 1
                state["peak"] = max(state["peak"], state["running"])
                state["threads"].add(threading.get_ident())
                state["calls"] += 1
                first_two = state["calls"] <= 2
            try:
                if first_two:
                    both.wait()  # the first two processes meet: they run at the same time
                return real(args)
            finally:
                with lock:
                    state["running"] -= 1

        with patch.object(base_report, "_run_wkhtmltopdf", run):
            self._run_day()
        self.assertEqual(state["peak"], 2, "two processes at once, no more than the workers")
        self.assertEqual(state["calls"], 3)
        self.assertNotIn(threading.get_ident(), state["threads"], "wkhtmltopdf runs in the pool, not the main thread")
        for partner, inv in zip(partners, invoices, strict=True):
            comm = self._comms(partner)
            self.assertEqual(comm.letter_state, "done")
            text = pdf_text(comm.letter_id.raw)
            self.assertIn(inv.name, text)
            self.assertIn(partner.name, text)

    def test_one_letter_that_cannot_be_rendered_does_not_stop_the_others(self):
        self._formal_reminder(self.customer)
        self._formal_reminder(self.customer_b)
        with self.mock_mail_gateway():
            self._run_cron()
        bad, good = self._comms(self.customer), self._comms(self.customer_b)
        real = self.comm_class._relance_letter_jobs

        def jobs(comms, report, date):
            if bad in comms:
                raise ValueError("QWeb: broken template")
            return real(comms, report, date)

        with patch.object(self.comm_class, "_relance_letter_jobs", jobs), mute_logger(LETTER_LOGGER):
            self._run_letters()
        self.assertEqual(bad.letter_state, "failed")
        self.assertIn("broken template", bad.letter_error)
        self.assertEqual(good.letter_state, "done")
        self.assertTrue(good.letter_id)
        self._run_letters()
        self.assertEqual(bad.letter_state, "done", "tried again by the next run")
        self.assertEqual(bad.letter_attempts, 2)
