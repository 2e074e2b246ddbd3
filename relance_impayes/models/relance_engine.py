"""The recovery engine: what is due, at which level, for whom, and why not the others.

``relance.engine`` holds no data. It reads where each invoice stands (fields on ``account.move``),
the ladder of the customer's policy and the company's settings, and answers with plain
dataclasses. Other modules change its rules by overriding :meth:`RelanceEngine._next_step` (the
step rule and the hand-off gate) and :meth:`RelanceEngine._exclusion_reasons`.
"""

from dataclasses import dataclass, field
from datetime import date as Date
from datetime import timedelta
from functools import partial
from typing import NamedTuple

from odoo import api, fields, models
from odoo.fields import Domain
from odoo.tools import SQL, float_compare, float_round

from .relance_engine_ladder import Ladder


@dataclass
class InvoiceStep:
    """Where one open invoice stands on a given date."""

    move_id: int
    partner_id: int
    date_due: Date
    level_id: int | None
    target_level_id: int | None
    next_date: Date | None
    residual: float
    days_late: int


@dataclass
class PartnerDecision:
    """What to do with one customer on a given date (plain data, no records)."""

    partner_id: int
    policy_id: int | None
    level_id: int | None = None
    steps: list = field(default_factory=list)
    amount_due: float = 0.0
    net_balance: float = 0.0
    skip_reason: str | None = None
    awaiting_notice: bool = False


class NextStep(NamedTuple):
    """The next level of an invoice and the date it applies (``None`` while it waits)."""

    level: object  # relance.level record, or None at the top of the ladder
    date: Date | None
    awaiting_notice: bool = False  # the ladder says today, the formal notice's deadline says not yet


class RelanceEngine(models.AbstractModel):
    _name = "relance.engine"
    _description = "Recovery engine"

    # ------------------------------------------------------------------
    # Which invoices are in the process
    # ------------------------------------------------------------------
    @api.model
    def _open_domain(self):
        """Invoices that can be reminded: posted customer invoices with something left to pay."""
        return (
            Domain("move_type", "=", "out_invoice")
            & Domain("state", "=", "posted")
            & Domain("payment_state", "in", ("not_paid", "partial"))
        )

    @api.model
    def _exclusion_reasons(self, date):
        """Why an open invoice is left out of reminders on ``date``: a list of ``(code, label,
        domain on account.move)``. Override to add a reason (call super and append)."""
        _ = self.env._
        return [
            ("excluded", _("Excluded by hand"), Domain("relance_excluded", "=", True)),
            ("dispute", _("Open dispute"), Domain("relance_dispute_ids", "any", Domain("state", "=", "open"))),
            (
                "payment_plan",
                _("Active payment plan"),
                Domain("relance_plan_ids", "any", Domain("state", "=", "active")),
            ),
            (
                "promise",
                _("Promise to pay within its grace period"),
                Domain("relance_promise_ids", "any", Domain("state", "=", "open") & Domain("date_limit", ">=", date)),
            ),
        ]

    @api.model
    def _exclusion_domain(self, date=None):
        """Invoices left out of reminders on ``date``: any of :meth:`_exclusion_reasons`."""
        date = fields.Date.to_date(date or fields.Date.context_today(self))
        return Domain.OR(domain for _code, _label, domain in self._exclusion_reasons(date))

    # ------------------------------------------------------------------
    # The step rule and the hand-off gate: one function
    # ------------------------------------------------------------------
    @api.model
    def _next_step(self, ladder, level, date_due, last_date, today, min_interval, notice_deadline=None):
        """Return the :class:`NextStep` of an invoice: the next level of ``ladder`` and the date it
        becomes due, ``NextStep(None, None)`` at the top of the ladder.

        An invoice climbs one level at a time. Courtesy levels (negative delay) are for invoices not
        yet due: once the due date has passed they are no longer offered. Two reminders are at
        least ``min_interval`` days apart. A hand-off level comes only the day after the formal
        notice's deadline (C. civ. 1344: the debtor had the time given to pay); with no deadline
        recorded (letter not received yet) it waits, dateless.

        :param level: the invoice's current level (a level of another policy resumes at its delay)
        :param notice_deadline: callable returning the formal notice's deadline of this invoice or
            ``None``; called only when the next level is a hand-off.
        """
        # called once per open invoice: the ladder's positions, delays and hand-off flags are read once
        # per ladder (``Ladder``; a plain list of levels is read here, for callers that pass one)
        ladder = Ladder.of(ladder)
        position = ladder.index_of(level) if level else -1
        index = ladder.next_index(position, today > date_due)
        if index is None:
            return NextStep(None, None)
        nxt = ladder[index]
        when = date_due + ladder.offsets[index]
        if last_date:
            when = max(when, last_date + timedelta(days=min_interval))
        if not ladder.handoffs[index]:
            return NextStep(nxt, when)
        deadline = notice_deadline() if notice_deadline else None
        gated = max(when, deadline + timedelta(days=1)) if deadline else None
        return NextStep(nxt, gated, awaiting_notice=when <= today and not (gated and gated <= today))

    @api.model
    def _lazy_notice_deadlines(self, moves):
        """``move id -> deadline`` of ``moves``, read in one query at the first call only (most
        days no invoice is one step from a hand-off)."""
        cache = {}

        def deadline_of(move_id):
            if "deadlines" not in cache:
                cache["deadlines"] = self._notice_deadlines(moves)
            return cache["deadlines"].get(move_id)

        return deadline_of

    @api.model
    def _next_steps(self, moves):
        """``{move id: NextStep}`` today for the invoices of ``moves`` still in the process (the
        others are left out): what the stored ``relance_next_date``/``relance_next_level_id`` hold."""
        in_process = moves.filtered_domain(self._open_domain() & ~self._exclusion_domain())
        today = fields.Date.context_today(self)
        deadline_of = self._lazy_notice_deadlines(in_process)
        steps = {}
        for company, company_moves in in_process.grouped("company_id").items():
            policies = self.env["relance.policy"]._policies_for_partners(company_moves.commercial_partner_id, company)
            ladders = {}
            for move in company_moves:
                policy = policies.get(move.commercial_partner_id.id)
                if policy not in ladders:
                    ladders[policy] = Ladder(policy._ladder() if policy else ())
                steps[move.id] = self._next_step(
                    ladders[policy],
                    move.relance_level_id,
                    move._relance_due_date() or move.invoice_date,
                    move.relance_date,
                    today,
                    company.relance_min_interval,
                    partial(deadline_of, move.id),
                )
        return steps

    @api.model
    def _refresh_next_dates(self, records, domain=None):
        """The one place that marks stored next dates for recomputation, after a change the ORM
        cannot see (a policy, level or segment changed, today moved on).

        :param records: ``account.move`` (those invoices), ``res.partner`` or ``res.company`` (their
            open invoices)
        :param domain: narrows the invoices further
        """
        move_model = self.env["account.move"].sudo()
        if records._name == "account.move":
            moves = records.sudo().filtered_domain(domain) if domain is not None else records
        else:
            if not records:
                return
            if records._name == "res.partner":
                scope = Domain("commercial_partner_id", "in", records.commercial_partner_id.ids)
            else:
                scope = Domain("company_id", "in", records.ids)
            moves = move_model.search(self._open_domain() & scope & Domain(domain or Domain.TRUE))
        if moves:
            self.env.add_to_compute(move_model._fields["relance_next_date"], moves)
            self.env.add_to_compute(move_model._fields["relance_next_level_id"], moves)

    # ------------------------------------------------------------------
    # The decision: one method, many callers
    # ------------------------------------------------------------------
    @api.model
    def _decide(self, company, date=None, partners=None):
        """For ``company`` on ``date``, decide which customers get which level and why not others.

        Returns a list of :class:`PartnerDecision`, those to remind first (``skip_reason`` None).
        A fixed number of queries whatever the number of invoices: one for the open invoices,
        one for the customers' net balances, a few for partners and policies.
        """
        date = fields.Date.to_date(date or fields.Date.context_today(self))
        policy_model = self.env["relance.policy"]
        move_model = self.env["account.move"].with_company(company)
        domain = Domain("company_id", "=", company.id) & self._open_domain() & ~self._exclusion_domain(date)
        if partners is not None:
            domain &= Domain("commercial_partner_id", "in", partners.commercial_partner_id.ids)
        query = move_model._search(domain)
        column = partial(move_model._field_to_sql, move_model._table, query=query)
        date_due, residual = self._due_date_sql(query, company, date, column)
        rows = self.env.execute_query(
            query.select(
                column("id"),
                column("commercial_partner_id"),
                date_due,
                column("relance_level_id"),
                column("relance_date"),
                residual,
            )
        )
        if not rows:
            return []
        partner_ids = sorted({row[1] for row in rows})
        all_partners = self.env["res.partner"].browse(partner_ids).with_company(company)
        all_partners.fetch(["relance_manual"])
        policies = policy_model._policies_for_partners(all_partners, company)
        # per policy, once: its ladder and the rank of its levels; per customer, once: what it starts from
        ladders = {policy.id: Ladder(policy._ladder()) for policy in set(policies.values()) if policy}
        ranks = {policy_id: self._level_rank(ladder) for policy_id, ladder in ladders.items()}
        no_ladder = Ladder()
        balances = self._net_balances(company, partner_ids)
        decisions = {}
        ladder_of = {}
        for partner in all_partners:
            policy = policies.get(partner.id)
            policy_id = policy.id if policy else None
            ladder_of[partner.id] = ladders.get(policy_id, no_ladder)
            decisions[partner.id] = PartnerDecision(
                partner_id=partner.id,
                policy_id=policy_id,
                net_balance=balances.get(partner.id, 0.0),
                skip_reason="manual" if partner.relance_manual else None if policy_id else "no_policy",
            )
        # levels are configuration: a level of another company's policy is read to map it by delay
        levels = self.env["relance.level"].sudo().browse({row[3] for row in rows if row[3]})
        levels.fetch(["delay", "policy_id"])
        level_by_id = {level.id: level for level in levels}
        tolerance = company.relance_tolerance
        min_interval = company.relance_min_interval
        rounding = company.currency_id.rounding
        deadline_of = self._lazy_notice_deadlines(move_model.browse(row[0] for row in rows))
        next_step = self._next_step

        for move_id, partner_id, date_due, level_id, last_date, residual in rows:
            date_due = date_due or date
            target, when, awaiting_notice = next_step(
                ladder_of[partner_id],
                level_by_id.get(level_id),
                date_due,
                last_date,
                date,
                min_interval,
                partial(deadline_of, move_id),
            )
            target_id = target.id if target and when and when <= date else None
            decision = decisions[partner_id]
            decision.awaiting_notice |= awaiting_notice
            days_late = (date - date_due).days
            if target_id or days_late > 0:
                decision.steps.append(
                    InvoiceStep(
                        move_id=move_id,
                        partner_id=partner_id,
                        date_due=date_due,
                        level_id=level_id,
                        target_level_id=target_id,
                        next_date=when,
                        residual=residual,
                        days_late=days_late,
                    )
                )

        result = []
        for decision in decisions.values():
            targets = [step.target_level_id for step in decision.steps if step.target_level_id]
            decision.amount_due = float_round(
                sum(step.residual for step in decision.steps), precision_rounding=rounding
            )
            if not targets:
                decision.skip_reason = decision.skip_reason or (
                    "awaiting_notice" if decision.awaiting_notice else "nothing_due"
                )
            elif (
                not decision.skip_reason
                and float_compare(decision.net_balance, tolerance, precision_rounding=rounding) <= 0
            ):
                decision.skip_reason = "netted"
            if targets:
                rank = ranks.get(decision.policy_id, {})
                decision.level_id = max(targets, key=lambda lid: rank.get(lid, -1))
            decision.steps.sort(key=lambda step: (step.date_due, step.move_id))
            result.append(decision)
        result.sort(key=lambda d: (d.skip_reason is not None, -d.amount_due, d.partner_id))
        return result

    @api.model
    def _due_date_sql(self, query, company, date, column):
        """SQL of the due date the reminders follow and of the amount a reminder on ``date`` claims,
        per invoice of ``query``: ``(date_due, residual)``, the rule of
        ``account.move._relance_due_instalments_sql`` (earliest unpaid instalment; residual of the
        instalments due by ``date``), else the invoice's due date and residual. Set-based: one grouped
        scan of the company's unpaid instalments, LEFT JOINed to ``query`` (no subquery per invoice).

        :param column: ``fname -> SQL`` of the invoice table of ``query``
        """
        alias = query.make_alias(query.table, "relance_instalment")
        query.add_join(
            "LEFT JOIN",
            alias,
            self.env["account.move"]._relance_due_instalments_sql(company, date),
            SQL("%s = %s", SQL.identifier(alias, "move_id"), column("id")),
        )
        return (
            SQL("COALESCE(%s, %s)", SQL.identifier(alias, "date_due"), column("invoice_date_due")),
            SQL("COALESCE(%s, %s)", SQL.identifier(alias, "residual"), column("amount_residual_signed")),
        )

    @api.model
    def _level_rank(self, ladder):
        """``{level id: position}`` on ``ladder``: a customer's reminder takes the highest level due
        among its invoices, and an invoice never goes down."""
        return {level.id: i for i, level in enumerate(ladder)}

    @api.model
    def _manual_decision(self, company, level, moves, date):
        """The decision for a reminder at ``level`` chosen by a person, for ``moves`` (open invoices
        of one customer): each invoice below ``level`` climbs to it, the others stay where they are."""
        rank = self._level_rank(list(level.policy_id._ladder()))
        due_dates = {move.id: move._relance_due_date() for move in moves}
        claims = self.env["account.move"]._relance_claims([(move, date) for move in moves])
        steps = [
            InvoiceStep(
                move_id=move.id,
                partner_id=move.commercial_partner_id.id,
                date_due=due_dates[move.id],
                level_id=move.relance_level_id.id,
                target_level_id=level.id if rank.get(move.relance_level_id.id, -1) < rank.get(level.id, 0) else None,
                next_date=None,
                residual=claims[move.id, date]["due_residual"],
                days_late=(date - due_dates[move.id]).days,
            )
            for move in moves.sorted(lambda m: (due_dates[m.id], m.id))
        ]
        return PartnerDecision(
            partner_id=moves.commercial_partner_id.id,
            policy_id=level.policy_id.id,
            level_id=level.id,
            steps=steps,
            amount_due=company.currency_id.round(sum(step.residual for step in steps)),
        )

    @api.model
    def _net_balances(self, company, partner_ids):
        """Open receivable balance per commercial partner, credit notes and unreconciled
        payments included (company currency)."""
        if not partner_ids:
            return {}
        aml = self.env["account.move.line"].with_company(company)
        lines = aml._search(
            Domain("company_id", "=", company.id)
            & Domain("parent_state", "=", "posted")
            & Domain("account_id.account_type", "=", "asset_receivable")
            & Domain("reconciled", "=", False)
            & Domain("partner_id.commercial_partner_id", "in", list(partner_ids))
        )
        rows = self.env.execute_query(
            SQL(
                """
            SELECT partner.commercial_partner_id, SUM(line.amount_residual)
              FROM (%s) line
              JOIN res_partner partner ON partner.id = line.partner_id
             GROUP BY partner.commercial_partner_id
            """,
                lines.select(
                    *(aml._field_to_sql(aml._table, fname, lines) for fname in ("partner_id", "amount_residual"))
                ),
            )
        )
        return {partner_id: balance or 0.0 for partner_id, balance in rows}

    # ------------------------------------------------------------------
    # The climb: once a reminder really left
    # ------------------------------------------------------------------
    @api.model
    def _climb(self, level_by_move, date):
        """Move each invoice to its target level ``{move id: relance.level}`` reached on ``date``.
        Called only once a reminder really left; running it twice changes nothing more."""
        moves = self.env["account.move"].browse(level_by_move).sudo()
        # reminder fields only: no resync of the invoice lines, and the invoice is not "manually modified";
        # the level change is logged on the invoices by one create for all (see _climb_track)
        logged, before = moves._climb_untracked(), {move.id: move.relance_level_id for move in moves}
        quiet = moves.with_context(skip_invoice_sync=True, skip_is_manually_modified=True)
        for level, group in quiet.grouped(lambda m: level_by_move[m.id]).items():
            (group & logged).with_context(tracking_disable=True).write(
                {"relance_level_id": level.id, "relance_date": date}
            )
            (group - logged).write({"relance_level_id": level.id, "relance_date": date})
        self._climb_track(logged, before)

    # ------------------------------------------------------------------
    # The daily run's order of work
    # ------------------------------------------------------------------
    @api.model
    def _run_daily(self, batch_size=None):
        """Every company with a policy, in its own language: credit first, then the reminders.
        Each company apart (see :meth:`_run_company`): one company's fault stops only its own day."""
        batch_size = self._relance_int_setting("relance_impayes.batch_size", batch_size, 50)
        for company in self.env["res.company"].search([]):
            if company.relance_policy_id or self.env["relance.policy"].search_count(
                [("company_id", "=", company.id)], limit=1
            ):
                self._relance_dispatch_company(company, batch_size)

    @api.model
    def _relance_dispatch_company(self, company, batch_size):
        """How the daily run starts one company's day: here and now (:meth:`_run_company`).
        The seam for a job queue (``relance_impayes_queue`` enqueues one job per company)."""
        self._run_company(company, batch_size)

    @api.model
    def _run(self, company, date=None, batch_size=None):
        """One company's day: stuck reminders, negotiations, stale next dates, decide, plan, execute in batches
        (progress committed after each batch, see ``ir.cron._commit_progress``)."""
        date = fields.Date.to_date(date or fields.Date.context_today(self))
        batch_size = self._relance_int_setting("relance_impayes.batch_size", batch_size, 50)
        communications = self.env["relance.communication"]
        communications._relance_sweep_stuck(company)
        self._update_negotiations(company, date)
        self._refresh_stale_next_dates(company, date)
        decisions = self._decide(company, date)
        communications._plan(company, [d for d in decisions if d.skip_reason is None], date)
        cron = self.env["ir.cron"]
        pending = self._relance_execution_order(communications.search(communications._pending_domain(company)))
        cron._commit_progress(remaining=self._relance_progress_remaining() + len(pending))  # after other companies'
        for start in range(0, len(pending), batch_size):
            batch = pending[start : start + batch_size].with_prefetch()
            if not cron._commit_progress(self._relance_execute_batch(batch)):
                break  # out of time: what is left is still counted as remaining, the scheduler calls again
            # committed: the record cache lets the batch go (kept, it holds the whole day's reminders,
            # emails and invoices: 1.8 GB at 100,000 invoices, 230 MB flat when let go)
            self.env.invalidate_all()

    @api.model
    def _update_negotiations(self, company, date):
        """Promises kept or broken, plans paid, broken or due a notice: before deciding today."""
        self.env["relance.promise"].sudo()._relance_update_states(date=date, company=company)
        self.env["relance.payment.plan"].sudo()._relance_update_states(date=date, company=company)

    @api.model
    def _refresh_stale_next_dates(self, company, date):
        """Invoices whose next step was a courtesy reminder that passed its due date: their next
        level is now the first one after the due date."""
        self._refresh_next_dates(
            company,
            Domain("relance_next_level_id.delay", "<", 0) & self.env["account.move"]._relance_due_before_domain(date),
        )
