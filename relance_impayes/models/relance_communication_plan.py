import logging
from contextvars import ContextVar

import psycopg2

from odoo import api, fields, models
from odoo.tools import SQL

from .relance_communication import OPEN_STATES

_logger = logging.getLogger(__name__)

# a reminder in these states left (or is leaving): its invoices are the evidence, never rewritten
_LINES_LOCKED = ("sending", "sent")
# [(reminder, invoice steps)] whose lines the plan being run replaces at its end (see _refresh)
_REFRESHED_LINES = ContextVar("relance_refreshed_lines", default=None)


class RelanceCommunication(models.Model):
    """Planning: the daily run's reminders created or refreshed set-based (issue 11).

    The reminders are made by one ``create`` without their lines; the lines (about ten per
    reminder) are inserted by one ``INSERT … SELECT FROM unnest(…)`` with the ORM's bookkeeping
    columns, then announced to the ORM (cache, dependencies, access rules): see
    :meth:`RelanceCommunicationLine._relance_insert`. Queries per customer stay constant."""

    _inherit = "relance.communication"

    @api.model
    def _plan(self, company, decisions, date):
        """Create or refresh the communications of the due decisions, keyed by customer/date.

        An open communication (not yet sent) is refreshed with today's invoices and level, unless
        a person validated or edited it; one already sent today is left alone. Set-based: the
        customers' contacts and collectors are read in a few queries, the new communications are
        created by one ``create`` and their lines by one insert (see :meth:`_plan_create`); the
        lines of the refreshed ones are replaced at the end, all at once."""
        if not decisions:
            return self.browse()
        token = _REFRESHED_LINES.set(refreshed_lines := [])
        try:
            refreshed, to_create = self._plan_sort(company, decisions, date)
        finally:
            _REFRESHED_LINES.reset(token)
        self._plan_replace_lines(refreshed_lines)
        return refreshed | self._plan_create(to_create)

    @api.model
    def _plan_sort(self, company, decisions, date):
        """Refresh the open reminders of ``decisions``; return them, and the values of the
        reminders to create, ``[(header vals, invoice steps)]``."""
        partner_ids = [d.partner_id for d in decisions]
        existing = self._plan_existing(company, partner_ids)
        open_by_partner = {c.partner_id.id: c for c in existing if c.state in OPEN_STATES}
        keys = set(existing.filtered("key").mapped("key"))
        partners = self.env["res.partner"].browse(partner_ids).with_company(company)
        self._plan_prefetch(partners)
        to_create, refreshed = [], []
        for decision, partner in zip(decisions, partners, strict=True):
            key = self._make_key(company, decision.partner_id, date)
            current = open_by_partner.get(decision.partner_id)
            if current and current.origin == "manual" and current.state == "draft" and current.date < date:
                current.action_cancel()  # a manual draft left aside: the policy takes over again
                current = None
            if current:
                if (
                    current.state in ("draft", "failed", "to_validate")
                    and not current.validated_by_id
                    and not current.user_edited
                ):
                    current._refresh(decision, date)
                    refreshed.append(current.id)
                continue
            if key in keys:
                continue  # already reminded today
            to_create.append((self._plan_header_vals(company, decision, date, key, partner=partner), decision.steps))
        return self.browse(refreshed), to_create

    @api.model
    def _plan_existing(self, company, partner_ids):
        """Open communications of these customers, and those keyed (sent on some date)."""
        return self.search(
            [
                ("company_id", "=", company.id),
                ("partner_id", "in", partner_ids),
                "|",
                ("state", "in", OPEN_STATES),
                ("key", "!=", False),
            ]
        )

    @api.model
    def _plan_prefetch(self, partners):
        """What the invoice contact (``address_get``) and the collector read, for all at once."""
        partners.fetch(["commercial_partner_id", "type", "is_company", "parent_id", "user_id", "relance_collector_id"])
        partners.child_ids.fetch(["type", "is_company", "parent_id", "child_ids"])

    @api.model
    def _plan_create(self, todo):
        """Create the reminders ``todo`` (``[(header vals, invoice steps)]``): one ``create``
        for the batch, without chatter nor tracking, and one insert of all their lines. If a
        reminder opened in the meantime breaks the one-open-per-customer index (a person sent one
        by hand), the batch is created again record by record: that customer is logged and
        skipped, the others planned."""
        if not todo:
            return self.browse()
        try:
            with self.env.cr.savepoint():
                return self._plan_create_batch(todo)
        except psycopg2.IntegrityError:
            if len(todo) == 1:
                raise
        created = self.browse()
        for item in todo:
            try:
                with self.env.cr.savepoint():
                    created |= self._plan_create_batch([item])
            except psycopg2.IntegrityError as error:
                _logger.warning(
                    "Reminder of customer %s on %s not planned: another reminder is open (%s)",
                    item[0]["partner_id"],
                    item[0]["date"],
                    error.pgerror,
                )
        return created

    @api.model
    def _plan_create_batch(self, todo):
        """The batch's reminders by one INSERT (``relance.engine._relance_insert_rows``), as
        ``create`` makes them without chatter nor tracking: their defaults, the access and
        validation checks, Odoo's company check (the model has no Python constraint); then one
        insert of all their lines."""
        vals_list = [vals for vals, _steps in todo]
        for vals in vals_list:
            self.browse()._check_validation_write(vals)
        self.check_access("create")
        defaults = self.default_get(
            [name for name, field in self._fields.items() if field.column_type and name not in models.MAGIC_COLUMNS]
        )
        comms = self.env["relance.engine"]._relance_insert_rows(self, [dict(defaults, **vals) for vals in vals_list])
        comms._check_company()
        self.env["relance.communication.line"]._relance_insert(
            [(comm, steps) for comm, (_vals, steps) in zip(comms, todo, strict=True)]
        )
        return comms

    def _check_company(self, fnames=None):
        """Odoo's check, set-based for the daily run's batches: it filters the linked records of
        each reminder one by one (about 3 ms per reminder); here the linked records of all the
        reminders of a company are checked at once. When one does not belong, Odoo's own check
        runs, for its message naming the reminder."""
        names = self._fields if fnames is None or "company_id" in fnames else fnames
        checked = [name for name in names if self._fields[name].relational and self._fields[name].check_company]
        if len(self) < 2 or any(self._fields[name].company_dependent for name in checked):
            return super()._check_company(fnames)
        for company, comms in self.grouped("company_id").items():
            for name in checked:
                linked = comms.sudo()[name]
                domain = linked._check_company_domain(company) if linked else None
                if domain and linked != linked.with_context(active_test=False).filtered_domain(domain):
                    return super()._check_company(fnames)
        return None

    @api.model
    def _make_key(self, company, partner_id, date):
        return f"{company.id}-{partner_id}-{fields.Date.to_string(date)}"

    @api.model
    def _plan_header_vals(self, company, decision, date, key=False, origin="cron", partner=None):
        """A reminder's own values, without its lines. ``partner``: the customer, already
        browsed in ``company`` with the batch's prefetch (see :meth:`_plan_prefetch`)."""
        if partner is None:
            partner = self.env["res.partner"].browse(decision.partner_id).with_company(company)
        return {
            "company_id": company.id,
            "currency_id": company.currency_id.id,
            "partner_id": decision.partner_id,
            "contact_id": partner._relance_invoice_contact().id,
            "level_id": decision.level_id,
            "date": date,
            "key": key,
            "origin": origin,
            "amount_due": decision.amount_due,
            "user_id": partner._relance_collector().id,
        }

    @api.model
    def _prepare_vals(self, company, decision, date, key=False, origin="cron"):
        """The values of one reminder with its lines, for ``create`` (the send wizard)."""
        line_model = self.env["relance.communication.line"]
        return dict(
            self._plan_header_vals(company, decision, date, key, origin),
            line_ids=[fields.Command.create(line_model._prepare_vals(step)) for step in decision.steps],
        )

    def _refresh(self, decision, date):
        """Today's invoices and level, written by the application (not a person's edit). Only
        what changed is written; inside :meth:`_plan`, the lines are replaced at its end."""
        self.ensure_one()
        partner = self.partner_id.with_company(self.company_id)  # prefetched with the batch
        vals = self._plan_header_vals(
            self.company_id, decision, date, key=self.key or False, origin=self.origin, partner=partner
        )
        if self.key and self.origin == "cron":
            vals["key"] = self._make_key(self.company_id, decision.partner_id, date)
        vals = {name: value for name, value in vals.items() if self._plan_value(name) != value}
        if vals:
            self.sudo().with_context(tracking_disable=True).write(vals)
        batch = _REFRESHED_LINES.get()
        if batch is None:
            self._plan_replace_lines([(self, decision.steps)])
        else:
            batch.append((self, decision.steps))

    def _plan_value(self, name):
        """The value of field ``name`` as :meth:`_plan_header_vals` gives it (ids for relations)."""
        value = self[name]
        return (value.id or False) if self._fields[name].relational else value

    @api.model
    def _plan_replace_lines(self, comm_steps):
        """The lines of reminders being refreshed, ``[(reminder, invoice steps)]``, replaced."""
        if not comm_steps:
            return
        line_model = self.env["relance.communication.line"]
        comm_ids = [comm.id for comm, _steps in comm_steps]
        line_model.sudo().search([("communication_id", "in", comm_ids)]).unlink()
        line_model._relance_insert(comm_steps)


def _pg_array(values):
    """A PostgreSQL array literal (``{1,NULL,2026-11-23}``) of ints, floats, dates or None:
    parsed by ``array_in`` at once, where a parameter list becomes one expression per value."""
    return "{%s}" % ",".join("NULL" if value is None or value is False else str(value) for value in values)


class RelanceCommunicationLine(models.Model):
    _inherit = "relance.communication.line"

    _INSERTED_FIELDS = ("communication_id", "move_id", "level_id", "date_due", "days_late", "amount_residual")

    @api.model
    def _relance_insert(self, comm_steps):
        """Insert the lines of reminders being planned, ``[(communication, invoice steps)]``,
        in one query: the ORM's ``create`` costs about 1 ms of Python per line (its Monetary
        amount computes its related currency record by record), this a few µs. (The reminders
        themselves are not updated here: an UPDATE of rows inserted by the same transaction
        runs all their foreign-key checks again.)

        What ``create`` guarantees is kept: access rights and rules (checked as the current
        user), the bookkeeping columns, the ORM told of the new rows (reminders' ``line_ids``
        cache, dependent fields, constraints). The application plans only reminders that did
        not leave: the invoices of a reminder being sent or sent are the evidence."""
        comms = self.env["relance.communication"].union(*(comm for comm, _steps in comm_steps))
        if not comms:
            return self.browse()
        self.check_access("create")
        self._check_lines_editable(comms)  # a person: as create (relance_communication_evidence.py)
        if comms.filtered(lambda comm: comm.state in _LINES_LOCKED):  # the application: never either
            raise ValueError(f"the invoices of reminders {comms.ids} that left cannot be replanned")
        columns = {name: [] for name in (*self._INSERTED_FIELDS, "digits")}
        for comm, steps in comm_steps:
            digits = comm.currency_id.decimal_places  # the lines' amounts are in the reminder's currency
            for step in steps:
                vals = self._prepare_vals(step)
                columns["communication_id"].append(comm.id)
                for name in self._INSERTED_FIELDS[1:]:
                    columns[name].append(vals[name])
                columns["digits"].append(digits)
        if not columns["move_id"]:
            return self.browse()
        now, uid = self.env.cr.now(), self.env.uid
        arrays = [_pg_array(values) for values in columns.values()]
        rows = self.env.execute_query(
            SQL(
                """
                INSERT INTO relance_communication_line
                       (communication_id, move_id, level_id, date_due, days_late, amount_residual,
                        create_uid, create_date, write_uid, write_date)
                SELECT u.comm, u.move, u.level, u.due, u.late, ROUND(u.amount, u.digits), %s, %s, %s, %s
                  FROM unnest(%s::int[], %s::int[], %s::int[], %s::date[], %s::int[], %s::numeric[], %s::int[])
                       AS u(comm, move, level, due, late, amount, digits)
             RETURNING id
                """,
                uid,
                now,
                uid,
                now,
                *arrays,
            )
        )
        lines = self.browse([row[0] for row in rows])
        comms.invalidate_recordset(["line_ids"])
        lines.modified(self._INSERTED_FIELDS, create=True)
        lines._validate_fields(self._INSERTED_FIELDS)
        lines.check_access("create")
        return lines
