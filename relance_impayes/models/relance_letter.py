"""The letters of the reminders: their own resumable step, several PDFs at once.

Performing a letter channel renders nothing: it marks the reminder's letter *to render*
(:meth:`_action_letter`) and the email, if the level has one, leaves without waiting. The
scheduled action ``relance_impayes.ir_cron_relance_letters`` (hourly, and triggered at the end
of the daily run and whenever a reminder is sent or validated by hand) takes the pending letters
in batches (:meth:`_relance_letter_batches`) and commits after each one: a run that is out of time
stops, the next run resumes with what is left.

For a batch (:meth:`_relance_render_letters`), the HTML of all its letters is rendered in the
main thread, with one QWeb render per report and date (QWeb needs the cursor); then one
wkhtmltopdf process per letter runs in a thread pool (``relance_impayes.letter_workers``,
the number of cores by default): the threads only write temporary files and wait for their
process, they never touch the ORM. An unpatched-Qt wkhtmltopdf (Debian's) cannot convert several
documents in one call, so one process per letter is both the portable and the faster way here.

The evidence of a letter (``relance.interaction`` *letter*, or *registered letter* to post) is
written when, and only when, its PDF exists. A reminder whose only waiting channel is its letter
is *sent* once the PDF exists (its invoices climb then, once); a reminder with an email is sent
when the email left, and its letter follows. A letter that fails is *failed*, with its error on
the reminder, and tried again by the next runs until ``relance_impayes.max_attempts``; after that
it is failed for good and the reminder no longer holds the customer's one open reminder.
"""

import logging
import os
import tempfile
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack, closing

from odoo import api, fields, models, modules, tools
from odoo.fields import Domain

from odoo.addons.base.models import ir_actions_report as base_report

from .ir_actions_report import OFFLINE_KEY

_logger = logging.getLogger(__name__)

LETTER_CRON = "relance_impayes.ir_cron_relance_letters"
# reminders whose letter may be rendered: going out (email queued, or waiting for the letter), or gone
LETTER_COMM_STATES = ("sending", "sent")


def _write_temp(stack, prefix, text):
    """A temporary HTML file holding ``text``, removed when ``stack`` closes."""
    handle, path = tempfile.mkstemp(suffix=".html", prefix=prefix)
    with closing(os.fdopen(handle, "wb")) as file:
        file.write(text.encode())
    stack.callback(os.unlink, path)
    return path


def _wkhtmltopdf_letter(command_args, body, index, header=None, footer=None):
    """One letter, one wkhtmltopdf process: ``(pdf bytes, None)`` or ``(None, error)``.

    Runs in a worker thread: temporary files and a subprocess only, no ORM, no cursor. The body
    file is named as core names it (``report.body.tmp.<index>.``): the layout's ``subst()`` picks
    the header and footer of document ``index`` from the shared header/footer files by that name."""
    with ExitStack() as stack:
        files = []
        if header:
            files += ["--header-html", _write_temp(stack, "report.header.tmp.", header)]
        if footer:
            files += ["--footer-html", _write_temp(stack, "report.footer.tmp.", footer)]
        body_path = _write_temp(stack, f"report.body.tmp.{index}.", body)
        handle, pdf_path = tempfile.mkstemp(suffix=".pdf", prefix="report.tmp.")
        os.close(handle)
        stack.callback(os.unlink, pdf_path)
        process = base_report._run_wkhtmltopdf([*command_args, *files, body_path, pdf_path])
        with open(pdf_path, "rb") as pdf_file:
            pdf = pdf_file.read()
        # 1: a resource could not be loaded (core accepts the PDF then, and so do we)
        if process.returncode in (0, 1) and pdf.startswith(b"%PDF"):
            return pdf, None
        return None, f"wkhtmltopdf exit code {process.returncode}: {(process.stderr or '')[-1000:]}"


class RelanceCommunication(models.Model):
    _inherit = "relance.communication"

    letter_state = fields.Selection(
        [("none", "No letter"), ("to_render", "To render"), ("done", "Rendered"), ("failed", "Render failed")],
        "Letter status",
        default="none",
        required=True,
        readonly=True,
        copy=False,
        index=True,
        help="To render: the letters' scheduled action makes its PDF; Render failed: tried again by the next "
        "runs until the attempt limit.",
    )
    letter_error = fields.Text("Letter error", readonly=True, copy=False)
    letter_attempts = fields.Integer("Letter attempts", readonly=True, copy=False)

    # ------------------------------------------------------------------
    # Waking the step up (the channels' perform marks the letter: relance_channel.py)
    # ------------------------------------------------------------------
    def _execute(self, *args, **kwargs):
        """Sent or validated by a person (outside the daily run): the letters' step starts now."""
        res = super()._execute(*args, **kwargs)
        if not self.env.context.get("ir_cron_progress_id"):
            self._relance_trigger_letters()
        return res

    @api.model
    def _cron_relance(self, *args, **kwargs):
        res = super()._cron_relance(*args, **kwargs)
        self.browse()._relance_trigger_letters()
        return res

    def _relance_trigger_letters(self):
        """Wake the letters' scheduled action when a letter waits (of these reminders, or any)."""
        waiting = (
            self.filtered(lambda c: c.letter_state == "to_render")
            if self
            else self.search_count(self._relance_letter_domain(), limit=1)
        )
        cron = self.env.ref(LETTER_CRON, raise_if_not_found=False)
        if waiting and cron:
            cron.sudo()._trigger()

    def _relance_letter_waits_alone(self):
        """True when the letter is what this reminder waits for: no other waiting channel (an
        email) will mark it sent."""
        self.ensure_one()
        return not any(c["waits"] and not c["report"] for c in self._relance_active_channels())

    def _relance_stuck_reason(self, mail, stale_before):
        """A reminder waiting for its letter only has no email to report back: not stuck (its
        letter is retried, then failed for good, by the letters' step)."""
        if not mail and self.letter_state in ("to_render", "failed") and self._relance_letter_waits_alone():
            return False
        return super()._relance_stuck_reason(mail, stale_before)

    # ------------------------------------------------------------------
    # The letters' step
    # ------------------------------------------------------------------
    @api.model
    def _relance_letter_domain(self):
        """Letters to render: marked, or failed with attempts left, of reminders going out."""
        return Domain("state", "in", LETTER_COMM_STATES) & (
            Domain("letter_state", "=", "to_render")
            | (Domain("letter_state", "=", "failed") & Domain("letter_attempts", "<", self._relance_max_attempts()))
        )

    @api.model
    def _cron_render_letters(self):
        """Entry point of ``relance_impayes.ir_cron_relance_letters``: batch by batch, progress
        committed after each; out of time, it stops and the next run resumes. (The queue_job
        bridge overrides this to run each batch as a job.)"""
        batches = self._relance_letter_batches()
        cron = self.env["ir.cron"]
        cron._commit_progress(remaining=sum(len(batch) for batch in batches))
        for batch in batches:
            batch._relance_render_letters()
            if not cron._commit_progress(len(batch)):
                break

    @api.model
    def _relance_letter_batches(self):
        """The pending letters, oldest first, in batches of ``relance_impayes.letter_batch_size`` (20)."""
        size = self.env["relance.engine"]._relance_int_setting("relance_impayes.letter_batch_size", None, 20)
        pending = self.sudo().search(self._relance_letter_domain(), order="id")
        return [pending[start : start + size].with_env(self.env) for start in range(0, len(pending), size)]

    @api.model
    def _relance_letter_workers(self):
        """How many wkhtmltopdf processes at once (``relance_impayes.letter_workers``, the cores)."""
        return self.env["relance.engine"]._relance_int_setting(
            "relance_impayes.letter_workers", None, os.cpu_count() or 1
        )

    def _relance_render_letters(self):
        """Render the PDFs of these reminders' pending letters; safe to run twice (a letter done,
        or locked by another worker, is skipped). One letter's failure fails that letter only."""
        comms = self.sudo().try_lock_for_update().filtered_domain(self._relance_letter_domain())
        if not comms:
            return
        comms.with_context(tracking_disable=True).write({"letter_error": False})
        for comm in comms:
            comm.letter_attempts += 1  # every attempt counts, a refused one too
        results = comms._relance_letter_pdfs()
        done = self.browse().sudo()
        for comm in comms:
            pdf, error = results.get(comm.id, (None, self.env._("The letter was not rendered.")))
            try:
                with self.env.cr.savepoint():
                    if pdf is None:
                        raise ValueError(error)
                    comm._relance_attach_letter(pdf)
                done |= comm
            except Exception as failure:  # noqa: BLE001 - one bad letter must not stop the others
                _logger.info("Letter of reminder %s failed: %s", comm.id, failure)
                comm._relance_letter_failed(str(failure))
        done._relance_letter_rendered()

    def _relance_letter_pdfs(self):
        """``{id: (pdf, error)}``: HTML in the main thread, wkhtmltopdf in the pool."""
        jobs, results = [], {}
        for (report, date), comms in self.grouped(lambda c: (c._letter_report(), c.date)).items():
            try:
                with self.env.cr.savepoint():
                    jobs += comms._relance_letter_jobs(report, date)
                continue
            except Exception:  # noqa: BLE001 - rendered again one by one, the bad one fails alone
                _logger.info("Letters of %s reminders rendered one by one after an error", len(comms))
            for comm in comms:
                try:
                    with self.env.cr.savepoint():
                        jobs += comm._relance_letter_jobs(report, date)
                except Exception as error:  # noqa: BLE001 - that letter fails, the others go on
                    _logger.info("Letter of reminder %s could not be rendered", comm.id, exc_info=True)
                    results[comm.id] = (None, str(error) or type(error).__name__)
        if self._relance_letter_html_only():
            results.update({comm_id: (body.encode(), None) for comm_id, _args, body, _i, _h, _f in jobs})
            return results
        with ThreadPoolExecutor(max_workers=max(1, min(self._relance_letter_workers(), len(jobs) or 1))) as pool:
            futures = {
                comm_id: pool.submit(_wkhtmltopdf_letter, args, body, index, header, footer)
                for comm_id, args, body, index, header, footer in jobs
            }
            for comm_id, future in futures.items():
                try:
                    results[comm_id] = future.result()
                except Exception as error:  # noqa: BLE001 - a process that could not start fails its letter
                    results[comm_id] = (None, str(error) or type(error).__name__)
        return results

    @api.model
    def _relance_letter_html_only(self):
        """Tests render reports as HTML unless ``force_report_rendering`` (as core
        ``_pre_render_qweb_pdf``): the letter then holds its HTML body."""
        return (modules.module.current_test or tools.config["test_enable"]) and not self.env.context.get(
            "force_report_rendering"
        )

    def _relance_letter_jobs(self, report, date):
        """The wkhtmltopdf work of these letters (one report, one date), prepared with the cursor:
        ``[(id, args, body, index, header, footer)]``. One QWeb render for all of them, split into
        one body per letter by core ``_prepare_html``; CSS inline and no print delay (see
        ir_actions_report.py)."""
        reports = self.env["ir.actions.report"].with_context(debug=False)
        data = {"date": fields.Date.to_string(date), "report_type": "pdf", "debug": False}
        html = reports._render_qweb_html(report.report_name, self.ids, data=data)[0]
        bodies, html_ids, header, footer, paper_args = report.with_context(debug=False)._prepare_html(
            html, report_model=report.model
        )
        if sorted(i for i in html_ids if i) != sorted(self.ids):
            raise ValueError(self.env._("The letter template does not mark each letter with its reminder."))
        static_dirs = set()
        bodies, header, footer = reports._relance_offline_documents(bodies, header, footer, static_dirs)
        args = reports.with_context(**{OFFLINE_KEY: sorted(static_dirs)})._build_wkhtmltopdf_args(
            report.get_paperformat(),
            self.env.context.get("landscape"),
            specific_paperformat_args=paper_args,
            set_viewport_size=self.env.context.get("set_viewport_size"),
        )
        return [
            (comm_id, args, body, index, header, footer)
            for index, (comm_id, body) in enumerate(zip(html_ids, bodies, strict=True))
        ]

    def _relance_attach_letter(self, pdf):
        self.ensure_one()
        name = self.env._(
            "Letter %(level)s - %(customer)s - %(date)s.pdf",
            level=self.level_id.name,
            customer=self.partner_id.name,
            date=self.date,
        )
        attachment = (
            self.env["ir.attachment"]
            .sudo()
            .create(
                {"name": name, "raw": pdf, "mimetype": "application/pdf", "res_model": self._name, "res_id": self.id}
            )
        )
        self.with_context(tracking_disable=True).write(
            {"letter_id": attachment.id, "letter_state": "done", "letter_error": False}
        )

    def _relance_letter_failed(self, reason):
        """Failed, visible, tried again by the next runs; after the attempt limit, failed for good: a
        reminder that waited for this letter only is failed for good too (it no longer holds the
        customer's one open reminder)."""
        self.ensure_one()
        self.with_context(tracking_disable=True).write({"letter_state": "failed", "letter_error": reason})
        exhausted = self.letter_attempts >= self._relance_max_attempts()
        if exhausted and self.state == "sending" and self._relance_letter_waits_alone():
            self.with_context(tracking_disable=True).write({"state": "given_up", "failure_reason": reason})
        body = (
            self.env._(
                "Letter failed for good after %(count)s attempts: %(reason)s", count=self.letter_attempts, reason=reason
            )
            if exhausted
            else self.env._("Letter not rendered, tried again by the next run: %(reason)s", reason=reason)
        )
        self.message_post(body=body, subtype_xmlid="mail.mt_note")

    def _relance_letter_rendered(self):
        """The PDFs exist: a reminder that waited for its letter only is sent now (climb, evidence);
        one whose follow-up already ran (the email left first) gets its letter's evidence now;
        the others get it with their follow-up."""
        alone = self.filtered(lambda c: c.state == "sending" and c._relance_letter_waits_alone())
        alone._mark_sent()
        late = self.filtered(lambda c: c.state == "sent" and not c.post_send_pending) - alone
        vals_list = [vals for comm in late for vals in comm._relance_letter_evidence_vals()]
        if vals_list:
            self.env["relance.interaction"].sudo().with_context(mail_create_nolog=True).create(vals_list)

    def _relance_letter_evidence_vals(self):
        """The evidence of this reminder's letter channels, as its follow-up writes it."""
        self.ensure_one()
        kinds = {channel["kind"] for channel in self._relance_active_channels() if channel["report"]}
        return [vals for vals in self._interaction_vals() if vals["kind"] in kinds]
