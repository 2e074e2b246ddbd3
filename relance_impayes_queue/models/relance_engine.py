"""The daily run spread over queue jobs: one job per company, which any worker may take.

The scheduled action still starts the day (``relance_impayes.ir_cron_relance``); instead of
running each company in turn, it enqueues one job per company on the channel ``root.relance``
and returns. The job is the core's own company run (``relance.engine._run_company``): the same
order of work, the same commits per batch, the same idempotence (a reminder that left is never
sent again, the rows being sent are locked), so a job that runs twice sends nothing twice.
"""

import logging

from odoo import api, models
from odoo.tools import config, str2bool

from odoo.addons.queue_job.exception import RetryableJobError
from odoo.addons.queue_job.job import identity_exact

_logger = logging.getLogger(__name__)

USE_JOBS_PARAM = "relance_impayes_queue.use_jobs"
MAX_RETRIES = 5


class RelanceEngine(models.AbstractModel):
    _inherit = "relance.engine"

    @api.model
    def _relance_use_jobs(self):
        """Whether the daily run enqueues jobs. The system parameter ``relance_impayes_queue.use_jobs``
        decides when set; otherwise jobs are used only where this server runs queue_job's job
        runner (``queue_job`` in ``server_wide_modules``): jobs that no runner takes would leave
        every customer unreminded, so without a runner the scheduled action keeps doing the work."""
        raw = self.env["ir.config_parameter"].sudo().get_param(USE_JOBS_PARAM)
        default = "queue_job" in config["server_wide_modules"]
        if raw in (None, False, ""):
            return default
        try:
            return str2bool(raw)
        except ValueError:
            _logger.warning("Setting %s = %r is neither true nor false: %s used instead", USE_JOBS_PARAM, raw, default)
            return default

    @api.model
    def _relance_dispatch_company(self, company, batch_size):
        """One job per company. ``identity_exact``: while a company's job waits (or waits for a
        retry), the next run enqueues no second one."""
        if not self._relance_use_jobs():
            return super()._relance_dispatch_company(company, batch_size)
        return self.with_delay(
            identity_key=identity_exact,
            max_retries=MAX_RETRIES,
            description=self.env._("Payment reminders: daily run of %(company)s", company=company.display_name),
        )._relance_job_run_company(company, batch_size)

    @api.model
    def _relance_job_run_company(self, company, batch_size):
        """The job: ``company``'s day, as the scheduled action would run it. A failure is rolled
        back and noted on the company by the core, then raised again to queue_job as retryable
        (see :meth:`_relance_note_run_failure`)."""
        self.with_context(relance_queue_job=True)._run_company(company, batch_size)

    @api.model
    def _relance_note_run_failure(self, company, error):
        """In a job, the note is kept (committed) and the failure handed to queue_job: the
        company's run is tried again with the job function's backoff, and after the last attempt
        the job is Failed, in Job Queue, with its traceback. Other companies' jobs are apart."""
        super()._relance_note_run_failure(company, error)
        if self.env.context.get("relance_queue_job"):
            self.env["ir.cron"]._commit_progress()
            raise RetryableJobError(str(error)) from error
