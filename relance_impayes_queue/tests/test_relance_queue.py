from unittest.mock import patch

from odoo.tests import tagged
from odoo.tools import config, mute_logger

from odoo.addons.queue_job.exception import FailedJobError, RetryableJobError
from odoo.addons.queue_job.job import identity_exact
from odoo.addons.queue_job.tests.common import trap_jobs
from odoo.addons.relance_impayes.models.relance_engine import RelanceEngine
from odoo.addons.relance_impayes_queue.models.relance_engine import USE_JOBS_PARAM

from .common import RelanceQueueCommon

ENGINE_LOGGER = "odoo.addons.relance_impayes.models.relance_engine_faults"


@tagged("post_install", "-at_install")
class TestRelanceQueue(RelanceQueueCommon):
    """The daily run as queue jobs: one per company, never two waiting for the same company,
    each a company's whole day, a failing one retried later without touching the others."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.other = cls.setup_other_company(name="Filiale Sud")["company"]
        cls.other.email = "compta@filiale-sud.example.fr"
        cls.customer_other = cls._relance_customer("Sudiste SA")
        cls.invoices = (
            cls._relance_invoice(cls.customer, 1000, days_late=6)
            | cls._relance_invoice(cls.customer_b, 500, days_late=6)
            | cls._relance_invoice(cls.customer_other, 700, days_late=6, company=cls.other)
        )
        cls.engine = cls.env["relance.engine"]
        cls.companies = cls.env["res.company"].search([]).filtered("relance_policy_id")

    def _start_day(self):
        """What the daily scheduled action runs (``relance_impayes.ir_cron_relance``)."""
        self._as_scheduler("relance_impayes.ir_cron_relance")._cron_relance()

    def test_daily_run_enqueues_one_job_per_company_and_runs_nothing_itself(self):
        self.assertIn(self.other, self.companies)
        with trap_jobs() as trap:
            self._start_day()
            trap.assert_jobs_count(len(self.companies))
            trap.assert_jobs_count(len(self.companies), only=self.engine._relance_job_run_company)
            for company in (self.company, self.other):
                trap.assert_enqueued_job(
                    self.engine._relance_job_run_company,
                    args=(company, 50),
                    properties={"identity_key": identity_exact, "max_retries": 5},
                )
        self.assertFalse(self._comms(), "the scheduled action left the companies' work to the jobs")

    def test_running_twice_enqueues_each_company_once(self):
        jobs = self.env["queue.job"].sudo()
        for _run in range(2):
            self._start_day()
        queued = jobs.search([("method_name", "=", "_relance_job_run_company")])
        self.assertEqual(len(queued), len(self.companies), "one job per company, not one per run")
        self.assertEqual(set(queued.mapped("channel")), {"root.relance"})
        self.assertEqual(set(queued.mapped("state")), {"pending"})
        self.assertEqual(set(queued.mapped("max_retries")), {5})
        self.assertIn("Filiale Sud", " ".join(queued.mapped("name")))
        queued.filtered(lambda j: self.other.name in j.name).button_done()
        self._start_day()
        again = jobs.search([("method_name", "=", "_relance_job_run_company"), ("state", "=", "pending")])
        self.assertEqual(len(again), len(self.companies), "a company whose job is done gets a new one")

    def test_performed_jobs_send_one_email_per_customer_and_a_second_run_sends_nothing(self):
        with self.mock_mail_gateway():
            with trap_jobs() as trap:
                self._start_day()
                self._perform(trap.enqueued_jobs)
            self._send_queue()
            for partner in (self.customer, self.customer_b, self.customer_other):
                self.assertEqual(self._comms(partner).state, "sent", partner.name)
                self.assertEqual(len(self._mails_to(partner)), 1, partner.name)
            self.assertEqual(self._comms(self.customer_other).company_id, self.other)
            sent = len(self._mails)
            with trap_jobs() as trap:  # the same day again, and a job performed twice
                self._start_day()
                self._perform(trap.enqueued_jobs + trap.enqueued_jobs)
            self._send_queue()
        self.assertEqual(len(self._mails), sent, "no reminder sent twice")
        self.assertEqual(len(self._comms()), 3)
        self.assertTrue(
            all(self.invoices.sudo().mapped("relance_level_id")), "every invoice climbed once its email left"
        )

    def _mails_to(self, partner):
        return [mail for mail in self._mails if partner.email in "".join(mail["email_to"])]

    def test_a_failing_company_is_retried_with_backoff_and_the_other_job_sends(self):
        main, negotiations = self.company, RelanceEngine._update_negotiations

        def broken_ledger(engine, company, date):  # the main company's run stops on bad data
            return negotiations(engine, company, date) if company != main else 1 / 0

        with self.mock_mail_gateway(), patch.object(RelanceEngine, "_update_negotiations", broken_ledger):
            with trap_jobs() as trap:
                self._start_day()
            by_company = {job.args[0]: job for job in trap.enqueued_jobs}
            failing, other = by_company[main], by_company[self.other]
            with mute_logger(ENGINE_LOGGER):
                # not assertRaises: in Odoo tests it rolls back to a savepoint, the note with it
                error = self._perform_failing(failing, RetryableJobError)
            self._perform([other])  # the next job, in another worker: untouched by the failure
            self._send_queue()
        self.assertIn("division by zero", str(error))
        self.assertEqual(failing.retry, 1)
        self.assertEqual(failing._get_retry_seconds(), 60, "first retry in a minute (the job function's pattern)")
        self.assertFalse(self._comms(self.customer), "the failing company's work was rolled back")
        self.assertEqual(self._comms(self.customer_other).state, "sent")
        self.assertEqual(len(self._mails), 1)
        notes = main.partner_id.message_ids.filtered(lambda m: "division by zero" in (m.body or ""))
        self.assertEqual(len(notes), 1, "the failure is noted on the company, and kept")

        failing.retry = 3
        self.assertEqual(failing._get_retry_seconds(), 300, "later attempts wait longer")
        failing.retry = 4  # the next attempt is the last one
        with patch.object(RelanceEngine, "_update_negotiations", broken_ledger), mute_logger(ENGINE_LOGGER):
            error = self._perform_failing(failing, FailedJobError)
        self.assertIn("Max. retries (5) reached: division by zero", str(error))

    def test_without_jobs_the_scheduled_action_runs_each_company_itself(self):
        params = self.env["ir.config_parameter"].sudo()
        params.set_param(USE_JOBS_PARAM, "False")
        with trap_jobs() as trap:
            self._run_day()
            trap.assert_jobs_count(0)
        self.assertEqual(self._comms(self.customer_other).state, "sent")
        self.assertEqual(self._comms(self.customer).state, "sent")

    def test_jobs_by_default_only_where_the_job_runner_runs(self):
        params = self.env["ir.config_parameter"].sudo()
        params.set_param(USE_JOBS_PARAM, "")
        with patch.dict(config.options, {"server_wide_modules": ["base", "web"]}):
            self.assertFalse(self.engine._relance_use_jobs(), "no runner here: the scheduled action does the work")
        with patch.dict(config.options, {"server_wide_modules": ["base", "web", "queue_job"]}):
            self.assertTrue(self.engine._relance_use_jobs())
            params.set_param(USE_JOBS_PARAM, "no")
            self.assertFalse(self.engine._relance_use_jobs(), "the setting wins")
            params.set_param(USE_JOBS_PARAM, "maybe")
            with self.assertLogs("odoo.addons.relance_impayes_queue.models.relance_engine", "WARNING"):
                self.assertTrue(self.engine._relance_use_jobs(), "a typo falls back to the default")
