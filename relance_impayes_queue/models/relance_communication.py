"""The letters' step spread over queue jobs: one job per batch of letters.

The letters' scheduled action (``relance_impayes.ir_cron_relance_letters``) enqueues each batch of
``relance.communication._relance_letter_batches`` as a job instead of rendering it. A batch is
rendered by the core's ``_relance_render_letters``, which locks its reminders and skips the
letters already done: two workers, or a job run twice, never make a letter twice.
"""

from odoo import api, models

from odoo.addons.queue_job.job import identity_exact

from .relance_engine import MAX_RETRIES


class RelanceCommunication(models.Model):
    _inherit = "relance.communication"

    @api.model
    def _cron_render_letters(self):
        """One job per batch. ``identity_exact`` keys a job on its batch's sorted ids: while that
        batch waits, the next runs (hourly, and triggered by each send) enqueue it no second time."""
        if not self.env["relance.engine"]._relance_use_jobs():
            return super()._cron_render_letters()
        for batch in self._relance_letter_batches():
            batch.with_delay(
                identity_key=identity_exact,
                max_retries=MAX_RETRIES,
                description=self.env._("Payment reminders: letters to render (%(count)s)", count=len(batch)),
            )._relance_render_letters()
