from datetime import timedelta

from odoo.tests import tagged

from odoo.addons.queue_job.job import identity_exact
from odoo.addons.queue_job.tests.common import trap_jobs
from odoo.addons.relance_impayes.tests.common import TODAY
from odoo.addons.relance_impayes_queue.models.relance_engine import USE_JOBS_PARAM

from .common import RelanceQueueCommon


@tagged("post_install", "-at_install")
class TestRelanceQueueLetters(RelanceQueueCommon):
    """The letters' step as queue jobs: one job per batch of letters, never two waiting for the
    same batch, and a batch rendered twice makes each letter once."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.env["ir.config_parameter"].sudo().set_param("relance_impayes.letter_batch_size", "1")
        cls.letter_customers = cls._relance_customer("Lettre SARL") | cls._relance_customer("Courrier SAS")
        for partner in cls.letter_customers:  # due for the Formal reminder: an email and a letter
            invoice = cls._relance_invoice(partner, 800, days_late=25)
            invoice.write({"relance_level_id": cls.lvl_phone.id, "relance_date": TODAY - timedelta(days=10)})

    def setUp(self):
        super().setUp()
        params = self.env["ir.config_parameter"].sudo()
        params.set_param(USE_JOBS_PARAM, "False")  # the reminders go out as usual, letters left to render
        with self.mock_mail_gateway():
            self._run_cron()
            self._send_queue()
        params.set_param(USE_JOBS_PARAM, "True")
        self.comms = self._comms().filtered(lambda c: c.partner_id in self.letter_customers)
        self.assertEqual(self.comms.mapped("level_id"), self.lvl_formal)
        self.assertEqual(set(self.comms.mapped("letter_state")), {"to_render"})

    def _start_letters(self):
        """What the letters' scheduled action runs (``relance_impayes.ir_cron_relance_letters``)."""
        self._as_scheduler("relance_impayes.ir_cron_relance_letters")._cron_render_letters()

    def _letter_evidence(self, comm):
        return comm.interaction_ids.filtered(lambda i: i.kind == "letter")

    def test_letters_step_enqueues_one_job_per_batch_and_the_jobs_render_them(self):
        with trap_jobs() as trap:
            self._start_letters()
            self._start_letters()  # the next trigger while the batches wait
            trap.assert_jobs_count(2)
            for comm in self.comms:
                trap.assert_enqueued_job(
                    comm._relance_render_letters, properties={"identity_key": identity_exact, "max_retries": 5}
                )
            self.assertEqual(set(self.comms.mapped("letter_state")), {"to_render"}, "nothing rendered by the cron")
            jobs = trap.enqueued_jobs
            self._perform(jobs)
        self.assertEqual(set(self.comms.mapped("letter_state")), {"done"})
        for comm in self.comms:
            self.assertTrue(comm.letter_id.raw)
            self.assertEqual(self._letter_evidence(comm).attachment_ids, comm.letter_id)
        self._perform(jobs)  # a job run twice
        for comm in self.comms:
            self.assertEqual(len(self._letter_evidence(comm)), 1, "each letter made once")
            self.assertEqual(comm.letter_attempts, 1)

    def test_a_waiting_batch_is_enqueued_once_on_its_channel(self):
        for _run in range(2):
            self._start_letters()
        jobs = self.env["queue.job"].sudo().search([("method_name", "=", "_relance_render_letters")])
        self.assertEqual(len(jobs), 2, "one job per batch of one letter, not one per run")
        self.assertEqual(set(jobs.mapped("channel")), {"root.relance"})
        self.assertEqual(sorted(job.records.id for job in jobs), sorted(self.comms.ids))

    def test_without_jobs_the_letters_scheduled_action_renders_them_itself(self):
        self.env["ir.config_parameter"].sudo().set_param(USE_JOBS_PARAM, "False")
        with trap_jobs() as trap:
            self._run_letters()
            trap.assert_jobs_count(0)
        self.assertEqual(set(self.comms.mapped("letter_state")), {"done"})
