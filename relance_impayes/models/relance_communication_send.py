"""Around the send of a reminder: the figures it states, and what follows once it left.

*Before*: :meth:`_relance_refresh_amounts` reads the invoices again when a reminder is sent or
validated, so the email, the letter, its QR code and the totals state what is still due today.

*After*: once the mail queue recorded the email, the reminder is only marked *sent*
(:meth:`_set_sent`). The follow-up of a sent reminder (invoices climb, evidence, tasks, credit
hold) is :meth:`_post_send`, run right after the mail queue (``mail.mail.send``), at the end of
``_execute`` for reminders without email, and at the start of each daily run for what an error
left pending. Its flag ``post_send_pending`` is cleared in the same savepoint as its effects:
running it twice gives one climb, one interaction, one task, and an error there never touches
the email (never failed, never sent again).
"""

import logging
from collections import defaultdict

from markupsafe import Markup

from odoo import fields, models
from odoo.exceptions import UserError

from ..tools.context import flag_set
from .account_move_instalment import CLAIMS
from .ir_qweb import compiled_once
from .relance_communication import DISPUTED, PREPARED
from .res_partner import CALL_PRIORITIES

_logger = logging.getLogger(__name__)


class RelanceCommunication(models.Model):
    _inherit = "relance.communication"

    # ------------------------------------------------------------------
    # Live figures
    # ------------------------------------------------------------------
    def _relance_refresh_amounts(self):
        """Read the invoices of these reminders again; return those with something left to claim.

        Invoices paid or cancelled since planning are dropped, the amounts due are today's; a
        reminder with nothing left due is cancelled, with the reason on its chatter. The lines are
        the application's (read-only for users): written with ``sudo``."""
        if not self:
            return self
        comms = self.sudo()
        lines = comms.line_ids
        open_moves = lines.move_id.filtered_domain(self.env["relance.engine"]._open_domain())
        gone = lines.filtered(lambda line: line.move_id not in open_moves)
        dropped = {comm: gone.filtered(lambda line, c=comm: line.communication_id == c).move_id for comm in comms}
        gone.unlink()
        kept = [(line, line.communication_id.date) for line in lines - gone]
        claims = self.env["account.move"]._relance_claims([(line.move_id, date) for line, date in kept])
        for line, date in kept:
            residual = claims[line.move_id.id, date]["due_residual"]
            if line.company_currency_id.compare_amounts(line.amount_residual, residual):
                line.amount_residual = residual
        due = self.browse()
        for comm in comms:
            amount = comm.currency_id.round(sum(comm.line_ids.mapped("amount_residual")))
            if comm.currency_id.compare_amounts(comm.amount_due, amount):
                comm.amount_due = amount
            if not comm.line_ids or (comm.origin == "cron" and not comm.line_ids.filtered("level_id")):
                comm._relance_cancel_nothing_due(dropped[comm])
            else:
                due |= comm
        return due.with_env(self.env)

    def _relance_cancel_nothing_due(self, dropped_moves):
        self.ensure_one()
        names = ", ".join(dropped_moves.mapped("name"))
        reason = self.env._("Nothing is left due for this reminder: cancelled.")
        if names:
            reason += " " + self.env._("Paid or cancelled since it was prepared: %(invoices)s.", invoices=names)
        self.sudo().write({"state": "cancelled", "failure_reason": reason})
        self.sudo().message_post(body=reason, subtype_xmlid="mail.mt_note")
        _logger.info("Reminder %s cancelled: %s", self.id, reason)

    # ------------------------------------------------------------------
    # Performing a batch
    # ------------------------------------------------------------------
    def _relance_perform_part(self):
        """Perform these reminders, their emails created together first (``_relance_prepare_mails``).

        The attempt of each counts, even when refused. What cannot reach its customer is refused
        first, each alone (``_check_can_send`` writes nothing); the others are performed in one
        savepoint, and again each in its own savepoint when one of them fails: the bad one fails
        alone, the others go. Returns them all."""
        now = fields.Datetime.now()
        for comm in self:
            # flushed before any savepoint: a refused attempt counts too
            comm.write({"attempt_count": comm.attempt_count + 1, "last_attempt_date": now})
        token = PREPARED.set(self._relance_prepare_mails())
        try:
            ready = self.browse()
            for comm in self:
                if comm._relance_try(comm._check_can_send, savepoint=False):
                    ready |= comm
            try:
                with self.env.cr.savepoint():
                    for comm in ready:
                        comm._perform()
            except Exception:  # noqa: BLE001 - performed again one by one: the bad one fails alone
                _logger.info("Part of %s reminders failed together, one by one now", len(ready))
                for comm in ready:
                    comm._relance_try(comm._perform)
        finally:
            prepared = PREPARED.get()
            PREPARED.reset(token)
            unused = [mail.id for comm_id, mail in prepared.items() if self.browse(comm_id).mail_id != mail]
            self.env["mail.mail"].sudo().browse(unused).unlink()  # of a reminder refused or failed
        return self

    def _relance_try(self, step, savepoint=True):
        """Run ``step`` (in a savepoint); on error the reminder is marked failed with the reason.
        Returns whether it went through."""
        self.ensure_one()
        try:
            if not savepoint:
                step()
                return True
            with self.env.cr.savepoint():
                step()
            return True
        except UserError as error:
            self._mark_failed(str(error))
        except Exception as error:  # noqa: BLE001 - one bad record must not stop the run
            _logger.exception("Reminder %s failed", self.id)
            self._mark_failed(str(error))
        return False

    # ------------------------------------------------------------------
    # Batched rendering
    # ------------------------------------------------------------------
    def _relance_disputed_moves_batch(self):
        """``{communication id: disputed invoices}`` of these reminders, by one search."""
        moves = self.env["account.move"].search(
            [
                ("company_id", "in", self.company_id.ids),
                ("commercial_partner_id", "in", self.partner_id.ids),
                ("relance_disputed", "=", True),
                ("payment_state", "in", ("not_paid", "partial")),
            ]
        )
        grouped = moves.grouped(lambda move: (move.company_id, move.commercial_partner_id))
        return {comm.id: grouped.get((comm.company_id, comm.partner_id), moves.browse()) for comm in self}

    def _relance_prerender_emails(self):
        """Subjects and bodies of the batch, one ``_render_field`` per (template, language);
        returns ``{communication id: (subject, body)}``. A group that fails to render is left to
        the per-reminder render, where the error fails that reminder only."""
        todo = self.filtered(
            lambda c: c.level_id.action_email and c.level_id.mail_template_id and not (c.subject and c.body_html)
        )
        claims = self.env["account.move"]._relance_claims(
            [(line.move_id, comm.date) for comm in todo for line in comm.line_ids]
        )
        # the invoice table reads the disputed invoices and the claims of each line
        with flag_set(DISPUTED, todo._relance_disputed_moves_batch()), flag_set(CLAIMS, claims):
            return todo._relance_prerender_groups()

    def _relance_line_claims(self):
        """``{line id: claim}`` (``account.move._relance_claim``) of this reminder's invoices, for its
        invoice table: read from the batch being rendered (:data:`CLAIMS`), else by one query."""
        self.ensure_one()
        date = fields.Date.to_date(self.date)
        known = CLAIMS.get() or {}
        missing = [(line.move_id, date) for line in self.line_ids if (line.move_id.id, date) not in known]
        if missing:
            known = {**known, **self.env["account.move"]._relance_claims(missing)}
        return {line.id: known[line.move_id.id, date] for line in self.line_ids}

    def _relance_prerender_groups(self):
        """The renders of ``_relance_prerender_emails``: Odoo's own ``_render_field`` (language of
        each customer, post-processing, translated body), with each template's inline body
        compiled once for the batch (``ir_qweb.compiled_once``) instead of once per reminder."""
        with compiled_once():
            return self._relance_render_groups()

    def _relance_render_groups(self):
        rendered = {}
        for template, comms in self.grouped(lambda c: c.level_id.mail_template_id).items():
            ids_by_lang = defaultdict(list)
            for comm_id, lang in template._render_lang(comms.ids).items():
                ids_by_lang[lang].append(comm_id)
            for lang, ids in ids_by_lang.items():
                localised = template.with_context(lang=lang)
                try:
                    subjects = localised._render_field("subject", ids)
                    bodies = localised._render_field("body_html", ids)
                except Exception:  # noqa: BLE001 - rendered again one by one, the bad one fails alone
                    _logger.info("Batch rendering of template %s failed, rendering one by one", template.id)
                    continue
                rendered.update({comm_id: (subjects[comm_id], bodies[comm_id]) for comm_id in ids})
        return rendered

    # ------------------------------------------------------------------
    # After the send
    # ------------------------------------------------------------------
    def _run_post_send(self):
        """Run :meth:`_post_send` for these reminders: the batch at once, else one by one; an
        error is logged on the reminder, which stays pending for the next run."""
        pending = self.sudo().filtered("post_send_pending")
        if not pending:
            return
        try:
            with self.env.cr.savepoint():
                pending._post_send()
            return
        except Exception:  # noqa: BLE001 - retried one by one below
            if len(pending) > 1:
                _logger.info("Follow-up of %s sent reminders failed together, one by one now", len(pending))
        for comm in pending:
            try:
                with self.env.cr.savepoint():
                    comm._post_send()
            except Exception as error:  # noqa: BLE001 - the email left: nothing may fail it now
                _logger.exception("Follow-up of sent reminder %s failed; retried by the next run", comm.id)
                comm.message_post(
                    body=self.env._(
                        "The reminder was sent, but its follow-up (levels, history, tasks) failed and will be "
                        "retried: %(reason)s",
                        reason=str(error),
                    ),
                    subtype_xmlid="mail.mt_note",
                )

    def _post_send(self):
        """Once a reminder left: its invoices climb (a few writes for the batch), the evidence is
        written, the channels' follow-up tasks are scheduled, the credit hold is updated. Only
        for reminders still pending: a second run does nothing more."""
        pending = self.filtered(lambda c: c.post_send_pending and c.state == "sent")
        if not pending:
            return
        engine = self.env["relance.engine"]
        for date, comms in pending.grouped("date").items():
            engine._climb({line.move_id.id: line.level_id for line in comms.line_ids if line.level_id}, date)
        interactions = pending._create_interactions().grouped("communication_id")
        calls = [
            (comm.partner_id, self.env["mail.activity"]._relance_call_day(comm.date))
            for comm in pending
            if any(channel["on_sent"] == "_action_call" for channel in comm._relance_active_channels())
        ]
        # the call tasks' priorities, read for the batch by one query
        with flag_set(CALL_PRIORITIES, self.env["res.partner"]._relance_call_priorities(calls)):
            for comm in pending:
                comm._relance_channel_step("on_sent")
        self.env["res.partner"]._relance_log_batch(
            [
                (
                    comm.partner_id,
                    Markup("%s<br/>%s")
                    % (
                        self.env._("Reminder sent: %(level)s", level=comm.level_id.name),
                        ", ".join(interactions.get(comm, self.env["relance.interaction"]).mapped("summary")),
                    ),
                )
                for comm in pending
            ]
        )
        held = pending.filtered(lambda c: c.line_ids.level_id.filtered("credit_hold"))
        for company, comms in held.grouped("company_id").items():
            self.env["res.partner"]._relance_update_credit_holds(company, comms.partner_id)
        pending.with_context(tracking_disable=True).write({"post_send_pending": False})

    def _create_interactions(self):
        """The evidence of each channel that left, else one note: the step happened."""
        vals_list = [vals for comm in self for vals in comm._interaction_vals()]
        # the evidence is its own record (hash-chained): no creation note, no follower, no tracking
        return self.env["relance.interaction"].sudo().with_context(tracking_disable=True).create(vals_list)

    def _interaction_vals(self):
        self.ensure_one()
        level = self.level_id
        common = {
            "company_id": self.company_id.id,
            "partner_id": self.partner_id.id,
            "contact_id": self.contact_id.id,
            "move_ids": [fields.Command.set(self.line_ids.move_id.ids)],
            "level_id": level.id,
            "communication_id": self.id,
            "user_id": self.user_id.id or self.env.user.id,
            "amount": self.amount_due,
            "direction": "out",
        }
        vals_list = []
        for channel in self._relance_active_channels():
            if channel["evidence"]:
                vals_list += getattr(self, channel["evidence"])(channel, common)
        if not vals_list:
            vals_list.append(
                dict(
                    common,
                    kind="note",
                    direction="internal",
                    summary=self.env._("Reminder step: %(level)s", level=level.name),
                )
            )
        return vals_list
