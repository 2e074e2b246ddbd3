"""The daily run survives its faults: one company, one record, one bad setting at a time.

The run commits as it goes (``ir.cron._commit_progress``), so a company is isolated by rolling
back to its last commit rather than by one savepoint around work that commits. The scheduled
action itself never fails: Odoo deactivates a cron after repeated failures, which would stop the
reminders of every company for one customer's bad data.
"""

import logging

from markupsafe import Markup

from odoo import api, models

_logger = logging.getLogger(__name__)


class RelanceEngine(models.AbstractModel):
    _inherit = "relance.engine"

    @api.model
    def _relance_int_setting(self, key, value, default):
        """A positive whole number from ``value`` (a cron argument), else the system parameter
        ``key``, else ``default``. A value that is not a number of at least 1 ("0", "abc") falls
        back to ``default`` with a warning: a typo in a setting must not stop the run."""
        raw = value if value not in (None, False, "") else self.env["ir.config_parameter"].sudo().get_param(key)
        if raw in (None, False, ""):
            return default
        try:
            number = int(raw)
        except (TypeError, ValueError):
            number = 0
        if number < 1:
            _logger.warning("Setting %s = %r is not a whole number of at least 1: %s used instead", key, raw, default)
            return default
        return number

    @api.model
    def _relance_progress_remaining(self):
        """How many reminders the scheduled run still counts as to do (``ir.cron.progress``), 0
        outside a scheduled run. Each company adds its own to it: setting it would forget what
        the previous companies left, and Odoo would take the day as done."""
        progress_id = self.env.context.get("ir_cron_progress_id")
        return self.env["ir.cron.progress"].sudo().browse(progress_id).remaining if progress_id else 0

    @api.model
    def _relance_execution_order(self, communications):
        """``communications`` smallest first (fewest invoices, then oldest): a reminder's cost grows
        with its invoices (re-read at send time, listed in the email, their PDFs attached), so a
        customer with thousands of invoices goes after the others and never makes them wait for
        the cron's time limit."""
        if len(communications) < 2:
            return communications
        counts = dict(
            self.env["relance.communication.line"]._read_group(
                [("communication_id", "in", communications.ids)], ["communication_id"], ["__count"]
            )
        )
        return communications.sorted(lambda comm: (counts.get(comm, 0), comm.id))

    @api.model
    def _relance_execute_batch(self, batch):
        """Execute ``batch``; return how many of its reminders this run dealt with (queued, sent,
        sent for validation, cancelled, or failed once more). Those ``_execute`` did not reach
        because time ran out are not counted: they stay in the progress' *remaining*, so Odoo's
        scheduler calls the action again soon instead of taking the day as done."""
        attempts = {comm.id: comm.attempt_count for comm in batch}
        batch._execute()
        return len(
            batch.filtered(
                lambda comm: comm.state not in ("draft", "failed") or comm.attempt_count != attempts[comm.id]
            )
        )

    @api.model
    def _run_company(self, company, batch_size):
        """Credit then reminders of ``company``. A failure rolls back what this company did since
        its last commit, is logged once, noted on the company's chatter, and the run goes on."""
        cron = self.env["ir.cron"]
        cron._commit_progress()  # what the previous companies did is kept whatever happens here
        remaining = self._relance_progress_remaining()
        try:
            self.env["relance.risk"].with_company(company)._daily_credit(company)
            # messages written by the run (failures, notes) in the company's language, not OdooBot's
            lang = company.partner_id.lang or self.env.lang
            self.with_company(company).with_context(lang=lang)._run(company, batch_size=batch_size)
        except Exception as error:  # noqa: BLE001 - one company's fault must not stop the others
            self.env.cr.rollback()
            _logger.exception("Payment reminders: the daily run of %s failed", company.display_name)
            self._relance_note_run_failure(company, error)
            # its reminders are not left counted as remaining: the scheduler would call the action
            # again at once, only to meet the same error
            cron._commit_progress(remaining=remaining)

    @api.model
    def _relance_note_run_failure(self, company, error):
        """Tell the company's accountants, on the company's own chatter, what stopped its run."""
        partner = company.partner_id.sudo().with_context(lang=company.partner_id.lang or self.env.lang)
        partner.message_post(
            body=Markup("%s<br/>%s")
            % (
                partner.env._("The daily payment-reminder run of this company stopped on an error:"),
                str(error),
            ),
            subtype_xmlid="mail.mt_note",
        )
