"""The daily run against the real world: committed data, real cursors, the real scheduler.

Each test commits its data through ``registry.cursor()`` (no test transaction around it) so
that the scheduled action runs exactly as Odoo runs it, on its own cursors, committing as it
goes; the data is removed by SQL at the end.
"""

import logging
import time
from datetime import timedelta
from types import SimpleNamespace
from unittest.mock import patch

from odoo import SUPERUSER_ID, api, fields
from odoo.tests import Form, TransactionCase, tagged
from odoo.tools import SQL, mute_logger

from odoo.addons.base.models import ir_cron
from odoo.addons.base.tests.common import MockSmtplibCase

from .common import RelanceCommon

_logger = logging.getLogger(__name__)

TEXT_TYPES = ("character varying", "text")


@tagged("post_install", "-at_install")
class TestRelanceRunConcurrency(TransactionCase, MockSmtplibCase):
    """A big customer under a short time limit, a person acting between two steps of the run."""

    def _env(self, cr):
        return api.Environment(cr, SUPERUSER_ID, {})

    # ------------------------------------------------------------------
    # Committed fixture, removed by SQL
    # ------------------------------------------------------------------
    def _commit_customers(self, invoices_by_name):
        """Commit one customer per ``{name: (count, amount)}``, each with ``count`` posted invoices
        of ``amount`` due 6 days ago (the friendly reminder is due). The first invoice of each is
        made by the ORM; the others are SQL copies of it (``_clone_invoice``): 2,000 invoices
        through the ORM take minutes on this machine. Returns ``{name: partner id}``."""
        today = fields.Date.context_today(self.env["res.partner"])
        ids = {}
        with self.env.registry.cursor() as cr:
            env = self._env(cr)
            company = env.ref("base.main_company")
            if not company.relance_policy_id:
                self.skipTest("the main company has no payment-reminder policy")
            env = env(context={"allowed_company_ids": company.ids})
            previous_email = company.email
            if not previous_email:
                company.email = "compta@example.fr"  # reminders need a sender address
            self.addCleanup(self._restore_company_email, company.id, previous_email)
            # RelanceCommon's helpers, on this committing environment (they read ``cls.env``)
            helpers = SimpleNamespace(env=env)
            for name, (count, amount) in invoices_by_name.items():
                partner = RelanceCommon._relance_customer.__func__(helpers, name)
                ids[name] = partner.id
                self.addCleanup(self._cleanup, partner.id)
                invoice = RelanceCommon._relance_invoice.__func__(
                    helpers, partner, amount, due=today - timedelta(days=6)
                )
                if count > 1:
                    env.flush_all()
                    self._clone_invoice(cr, invoice.id, count - 1)
                    env.invalidate_all()
                    cr.commit()  # the next invoice numbers are read again (sequence.mixin caches them)
        return ids

    @staticmethod
    def _columns(cr, table):
        cr.execute(
            SQL(
                """SELECT column_name, data_type FROM information_schema.columns
                    WHERE table_schema = current_schema() AND table_name = %s AND column_name != 'id'
                 ORDER BY ordinal_position""",
                table,
            )
        )
        return cr.fetchall()

    def _clone_invoice(self, cr, template_id, count):
        """``count`` copies of the posted invoice ``template_id``, with its lines, by two SQL
        statements: the next numbers of its sequence, its name replaced in every text column
        (payment reference, line labels), every other column as the ORM wrote it. The template
        must be the last invoice of its sequence (it was just posted)."""
        move_cols = self._columns(cr, "account_move")
        line_cols = self._columns(cr, "account_move_line")

        def move_expr(name, kind):
            if name == "name":
                return SQL("numbers.new_name")
            if name == "sequence_number":
                return SQL("src.sequence_number + numbers.g")
            if name == "access_token":
                return SQL("NULL")
            if kind in TEXT_TYPES:
                return SQL("replace(%s, src.name, numbers.new_name)", SQL.identifier("src", name))
            return SQL.identifier("src", name)

        def line_expr(name, kind):
            if name == "move_id":
                return SQL("moves.id")
            if kind in TEXT_TYPES:
                return SQL("replace(%s, src.name, moves.name)", SQL.identifier("line", name))
            return SQL.identifier("line", name)

        cr.execute(
            SQL(
                """
                WITH src AS (SELECT * FROM account_move WHERE id = %(template)s),
                numbers AS (
                    SELECT g, src.sequence_prefix || lpad(
                               (src.sequence_number + g)::text, length(src.name) - length(src.sequence_prefix), '0'
                           ) AS new_name
                      FROM src, generate_series(1, %(count)s) g
                ),
                moves AS (
                    INSERT INTO account_move (%(move_cols)s)
                    SELECT %(move_exprs)s FROM src, numbers ORDER BY numbers.g
                    RETURNING id, name
                )
                INSERT INTO account_move_line (%(line_cols)s)
                SELECT %(line_exprs)s FROM moves, src, account_move_line line WHERE line.move_id = src.id
                """,
                template=template_id,
                count=count,
                move_cols=SQL(", ").join(SQL.identifier(name) for name, _kind in move_cols),
                move_exprs=SQL(", ").join(move_expr(name, kind) for name, kind in move_cols),
                line_cols=SQL(", ").join(SQL.identifier(name) for name, _kind in line_cols),
                line_exprs=SQL(", ").join(line_expr(name, kind) for name, kind in line_cols),
            )
        )

    def _restore_company_email(self, company_id, email):
        with self.env.registry.cursor() as cr:
            cr.execute(SQL("UPDATE res_company SET email = %s WHERE id = %s", email or None, company_id))

    def _cleanup(self, partner_id):
        """Everything the run wrote for this customer: reminders, evidence, emails, tasks, invoices."""
        with self.env.registry.cursor() as cr:
            cr.execute(SQL("SELECT id FROM relance_communication WHERE partner_id = %s", partner_id))
            comm_ids = [row[0] for row in cr.fetchall()] or [0]
            cr.execute(SQL("SELECT id FROM account_move WHERE commercial_partner_id = %s", partner_id))
            move_ids = [row[0] for row in cr.fetchall()] or [0]

            def records(model_column):
                column = SQL.identifier(model_column)
                return SQL(
                    "(%(column)s = 'relance.communication' AND res_id = ANY(%(comms)s))"
                    " OR (%(column)s = 'res.partner' AND res_id = %(partner)s)"
                    " OR (%(column)s = 'account.move' AND res_id = ANY(%(moves)s))",
                    column=column,
                    comms=comm_ids,
                    partner=partner_id,
                    moves=move_ids,
                )

            cr.execute(SQL("DELETE FROM relance_interaction WHERE partner_id = %s", partner_id))
            cr.execute(SQL("DELETE FROM mail_message WHERE %s", records("model")))
            for table in ("mail_followers", "mail_activity", "ir_attachment"):
                cr.execute(SQL("DELETE FROM %s WHERE %s", SQL.identifier(table), records("res_model")))
            cr.execute(SQL("DELETE FROM relance_communication WHERE partner_id = %s", partner_id))
            cr.execute(SQL("DELETE FROM account_move WHERE id = ANY(%s)", move_ids))
            cr.execute(SQL("DELETE FROM res_partner WHERE id = %s", partner_id))

    def _keep_cron_state(self, cron_id):
        """The scheduler reschedules the cron and counts its runs: put it back as it was."""
        with self.env.registry.cursor() as cr:
            cr.execute(
                SQL(
                    "SELECT active, nextcall, lastcall, failure_count, first_failure_date FROM ir_cron WHERE id = %s",
                    cron_id,
                )
            )
            state = cr.fetchone()
            cr.execute(SQL("SELECT COALESCE(MAX(id), 0) FROM ir_cron_trigger"))
            last_trigger = cr.fetchone()[0]
            cr.execute(SQL("SELECT COALESCE(MAX(id), 0) FROM ir_cron_progress"))
            last_progress = cr.fetchone()[0]

        def restore():
            with self.env.registry.cursor() as cr:
                cr.execute(
                    SQL(
                        """UPDATE ir_cron SET active = %s, nextcall = %s, lastcall = %s, failure_count = %s,
                                  first_failure_date = %s WHERE id = %s""",
                        *state,
                        cron_id,
                    )
                )
                cr.execute(SQL("DELETE FROM ir_cron_trigger WHERE cron_id = %s AND id > %s", cron_id, last_trigger))
                cr.execute(SQL("DELETE FROM ir_cron_progress WHERE cron_id = %s AND id > %s", cron_id, last_progress))

        self.addCleanup(restore)

    def _state(self, partner_ids):
        """What is committed, read on a fresh cursor: ``{partner id: [(reminder state, origin, emails)]}``."""
        with self.env.registry.cursor() as cr:
            cr.execute(
                SQL(
                    """SELECT comm.partner_id, comm.state, comm.origin, comm.id,
                              (SELECT COUNT(*) FROM mail_mail mail
                                 JOIN mail_message msg ON msg.id = mail.mail_message_id
                                WHERE msg.model = 'relance.communication' AND msg.res_id = comm.id)
                         FROM relance_communication comm
                        WHERE comm.partner_id = ANY(%s) AND comm.state != 'cancelled'
                     ORDER BY comm.id""",
                    list(partner_ids),
                )
            )
            state = {partner_id: [] for partner_id in partner_ids}
            for partner_id, comm_state, origin, comm_id, mails in cr.fetchall():
                state[partner_id].append((comm_state, origin, mails, comm_id))
            return state

    # ------------------------------------------------------------------
    # A big customer and a short time limit
    # ------------------------------------------------------------------
    def test_big_customer_and_short_cron_time_limit_do_not_stop_the_others(self):
        """A real customer with 2,000 posted invoices beside three small ones, and the scheduled
        action run by Odoo's scheduler (``method_direct_trigger``: its own cursor, progress
        records, deadline, rescheduling) with a short deadline: 1 second instead of Odoo's 10
        (``ir_cron.MIN_TIME_PER_JOB``, what ``_commit_progress`` answers with).

        The small customers' emails are queued in the first run, each before the big customer's
        (2,000-line email, 10 invoice PDFs attached); the big one's follows in the same or a later
        run; one email each in all; the cron stays active and never fails."""
        started = time.monotonic()
        # the big customer owes less than the first small one: the order of the amounts is not
        # what protects the small ones
        ids = self._commit_customers(
            {
                "Petit5000 SARL": (1, 5000.0),
                "Grossiste SA": (2000, 0.5),
                "Petit300 SARL": (1, 300.0),
                "Petit150 SARL": (1, 150.0),
            }
        )
        big = ids.pop("Grossiste SA")
        small = list(ids.values())
        fixture_time = time.monotonic() - started
        cron_id = self.env.ref("relance_impayes.ir_cron_relance").id
        self._keep_cron_state(cron_id)

        callbacks = []
        original_callback = ir_cron.IrCron._callback

        def observed_callback(cron, *args, **kwargs):
            """After each run of the server action, what it committed (read on another cursor)."""
            try:
                return original_callback(cron, *args, **kwargs)
            finally:
                callbacks.append(self._state([*small, big]))

        def trigger():
            with self.env.registry.cursor() as cr:
                self._env(cr)["ir.cron"].browse(cron_id).method_direct_trigger()

        with (
            patch.object(ir_cron, "MIN_TIME_PER_JOB", 1),
            patch.object(ir_cron.IrCron, "_callback", observed_callback),
        ):
            runs = []
            for _run in range(3):  # each a scheduled run (up to 10 server-action calls, Odoo's loop)
                trigger()
                runs.append(callbacks[-1])
                if all(state and state[0][0] != "draft" for state in callbacks[-1].values()):
                    break
        run_time = time.monotonic() - started - fixture_time
        _logger.info(
            "2,000-invoice customer: fixture %.1fs, %s scheduled run(s), %s server-action calls, %.1fs",
            fixture_time,
            len(runs),
            len(callbacks),
            run_time,
        )

        for partner_id in small:
            self.assertEqual(
                [state[:3] for state in runs[0][partner_id]],
                [("sending", "cron", 1)],
                "every small customer's email is queued in the first run",
            )
        first_big = next(i for i, snap in enumerate(callbacks) if snap[big] and snap[big][0][2])
        for partner_id in small:
            self.assertEqual(
                callbacks[first_big][partner_id][0][0],
                "sending",
                "no small customer is still waiting when the big customer's email is queued",
            )
        final = callbacks[-1]
        self.assertEqual([state[:3] for state in final[big]], [("sending", "cron", 1)], "the big one went too")

        # the mail queue sends, the next run only follows up: nothing is sent twice
        with self.mock_smtplib_connection(), self.env.registry.cursor() as cr:
            env = self._env(cr)
            env["mail.mail"].search([("model", "=", "relance.communication"), ("state", "=", "outgoing")]).send()
            with patch.object(ir_cron.IrCron, "_callback", observed_callback):
                cr.commit()
                trigger()
        self.assertEqual(
            sorted(email["smtp_to_list"][0] for email in self.emails),
            ["grossiste@example.fr", "petit150@example.fr", "petit300@example.fr", "petit5000@example.fr"],
            "one SMTP send per customer in all",
        )
        final = callbacks[-1]
        for partner_id in [*small, big]:
            self.assertEqual([state[:3] for state in final[partner_id]], [("sent", "cron", 1)])
        with self.env.registry.cursor() as cr:
            env = self._env(cr)
            cron = env["ir.cron"].browse(cron_id)
            self.assertTrue(cron.active, "the cron stays active")
            self.assertEqual(cron.failure_count, 0, "no run failed")
            big_comm = env["relance.communication"].search([("partner_id", "=", big)])
            self.assertEqual(len(big_comm.line_ids), 2000)
            self.assertEqual(len(big_comm.mail_id.attachment_ids), big_comm.company_id.relance_max_attached_invoices)
            self.assertEqual(big_comm.interaction_ids.mapped("kind"), ["email"], "one piece of evidence")
            moves = env["account.move"].search([("partner_id", "=", big)])
            self.assertEqual(moves.relance_level_id, big_comm.level_id, "the 2,000 invoices climbed once")

    # ------------------------------------------------------------------
    # A person between the plan's search and its create
    # ------------------------------------------------------------------
    def test_manual_reminder_committed_between_search_and_create_does_not_stop_the_run(self):
        """The run plans on cursor A; right after A searched the open reminders, a person prepares
        a reminder by hand for one customer with the send wizard on cursor B and commits. A's
        create then meets that reminder in the one-open-reminder-per-customer index: that
        customer is skipped (logged), the others are planned and their emails queued."""
        ids = self._commit_customers({"Manuel SARL": (1, 900.0), "Auto1 SAS": (1, 700.0), "Auto2 SAS": (1, 500.0)})
        manual_partner = ids["Manuel SARL"]
        comm_class = type(self.env["relance.communication"])
        original = comm_class._plan_existing
        prepared = []

        def search_then_person_commits(comms, company, partner_ids):
            found = original(comms, company, partner_ids)
            if not prepared:
                with self.env.registry.cursor() as cr_b:
                    cr_b.execute("SET LOCAL lock_timeout = '10s'")  # a lock held by A fails here, never hangs
                    env_b = self._env(cr_b)(context={"allowed_company_ids": [company.id]})
                    wizard = Form(env_b["relance.send"].with_context(default_partner_id=manual_partner)).save()
                    action = wizard.action_prepare()  # as the accountant does, from the customer
                    prepared.append(action["res_id"])
                # committed: A's snapshot does not see it, but the unique index does
            return found

        registry = self.env.registry
        with (
            patch.object(comm_class, "_plan_existing", search_then_person_commits),
            self.assertLogs("odoo.addons.relance_impayes.models.relance_communication_plan", "WARNING") as logs,
            mute_logger("odoo.sql_db"),
            registry.cursor() as cr_a,
        ):
            env_a = self._env(cr_a)
            company = env_a.ref("base.main_company")
            env_a["relance.engine"].with_company(company)._run(company)
        self.assertTrue(prepared, "the person's reminder was committed while A was planning")
        self.assertIn(f"Reminder of customer {manual_partner}", "\n".join(logs.output))
        self.assertIn("another reminder is open", "\n".join(logs.output))

        state = self._state(ids.values())
        (manual,) = state[manual_partner]
        self.assertEqual(manual[:3], ("draft", "manual", 0), "the person's reminder is intact, not sent by the run")
        self.assertEqual(manual[3], prepared[0])
        for name in ("Auto1 SAS", "Auto2 SAS"):
            self.assertEqual(
                [comm[:3] for comm in state[ids[name]]], [("sending", "cron", 1)], f"{name}: one reminder, queued"
            )
        with registry.cursor() as cr:
            comm = self._env(cr)["relance.communication"].browse(prepared[0])
            self.assertEqual(comm.line_ids.move_id.partner_id.ids, [manual_partner], "its invoices untouched")
            self.assertTrue(comm.subject, "the email the person prepared is still there")
