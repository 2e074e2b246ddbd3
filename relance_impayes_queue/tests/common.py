from odoo.addons.queue_job.controllers.main import _prevent_commit
from odoo.addons.relance_impayes.tests.common import RelanceCommon
from odoo.addons.relance_impayes_queue.models.relance_engine import USE_JOBS_PARAM


class RelanceQueueCommon(RelanceCommon):
    """Jobs on; scheduled actions started as the scheduler starts them; trapped jobs performed
    as a queue_job worker performs them."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.env["ir.config_parameter"].sudo().set_param(USE_JOBS_PARAM, "True")

    def _as_scheduler(self, xmlid):
        """The model of the scheduled action ``xmlid``, as its user and without the test's context
        (the jobs run as the user who enqueued them, with the context they were enqueued with)."""
        cron = self.env.ref(xmlid)
        return self.env(user=cron.user_id, context={})[cron.model_id.model]

    def _perform(self, jobs):
        """Perform trapped jobs as a worker does (``/queue_job/runjob``): no commit allowed on the
        job's cursor; a job function with ``allow_commit`` runs on a cursor of its own."""
        with self.enter_registry_test_mode():
            for job in jobs:
                with _prevent_commit(job.env.cr):
                    job.perform()
        self.env.invalidate_all()

    def _perform_failing(self, job, exception):
        """Perform ``job``, which must raise ``exception``, and return it. Not ``assertRaises``: in
        Odoo tests it rolls back to a savepoint, and what the job committed with it."""
        try:
            self._perform([job])
        except exception as error:
            return error
        self.fail(f"{job} did not raise {exception.__name__}")
