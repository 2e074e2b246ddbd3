from dataclasses import dataclass, field
from datetime import date as Date, timedelta

from odoo import api, fields, models
from odoo.exceptions import UserError
from odoo.fields import Domain
from odoo.tools import SQL


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


def next_level_step(ladder, level, date_due, last_date, today, min_interval):
    """Return ``(level, date)``: the next level of ``ladder`` for an invoice and the date it
    becomes due, or ``(None, None)`` at the top of the ladder.

    An invoice climbs one level at a time. Courtesy levels (negative delay) are for invoices not
    yet due: once the due date has passed they are no longer offered. Two reminders are at
    least ``min_interval`` days apart.
    """
    idx = -1
    if level:
        if level in ladder:
            idx = ladder.index(level)
        else:  # level of another (or changed) policy: resume at the same delay
            idx = max((i for i, lvl in enumerate(ladder) if lvl.delay <= level.delay), default=-1)
    candidates = ladder[idx + 1:]
    if today > date_due:
        candidates = [lvl for lvl in candidates if lvl.delay >= 0]
    if not candidates:
        return None, None
    nxt = candidates[0]
    when = date_due + timedelta(days=nxt.delay)
    if last_date:
        when = max(when, last_date + timedelta(days=min_interval))
    return nxt, when


class AccountMove(models.Model):
    _inherit = "account.move"

    relance_level_id = fields.Many2one(
        "relance.level",
        string="Reminder level",
        copy=False,
        index="btree_not_null",
        tracking=True,
        readonly=True,
        help="Last reminder level reached by this invoice.",
    )
    relance_date = fields.Date(
        "Last reminder", copy=False, readonly=True, help="Date of the last reminder sent for this invoice."
    )
    relance_next_date = fields.Date(
        "Next reminder",
        compute="_compute_relance_next_date",
        store=True,
        copy=False,
        help="Date at which the next level of the customer's policy applies to this invoice.",
    )
    relance_next_level_id = fields.Many2one(
        "relance.level", string="Next level", compute="_compute_relance_next_date", store=True, copy=False
    )
    relance_excluded = fields.Boolean(
        "Excluded from reminders", copy=False, tracking=True,
        help="This invoice is never reminded while the box is ticked.",
    )
    relance_exclusion_reason = fields.Char("Exclusion reason", copy=False, tracking=True)
    relance_days_late = fields.Integer("Days late", compute="_compute_relance_days_late")
    relance_interaction_ids = fields.Many2many(
        "relance.interaction",
        "relance_interaction_account_move_rel",
        "account_move_id",
        "interaction_id",
        string="Reminder history",
        copy=False,
        readonly=True,
    )
    relance_interaction_count = fields.Integer(compute="_compute_relance_interaction_count")

    # ------------------------------------------------------------------
    # Which invoices are in the process
    # ------------------------------------------------------------------
    @api.model
    def _relance_open_domain(self):
        """Invoices that can be reminded: posted customer invoices with something left to pay."""
        return Domain("move_type", "=", "out_invoice") & Domain("state", "=", "posted") & Domain(
            "payment_state", "in", ("not_paid", "partial")
        )

    @api.model
    def _relance_exclusion_domain(self):
        """Invoices left out of reminders. Extended by disputes, promises and plans."""
        return Domain("relance_excluded", "=", True)

    def _relance_in_process(self):
        return self.filtered_domain(self._relance_open_domain() & ~self._relance_exclusion_domain())

    @api.depends(
        "relance_level_id", "relance_date", "invoice_date_due", "payment_state", "state",
        "move_type", "relance_excluded", "commercial_partner_id",
    )
    def _compute_relance_next_date(self):
        in_process = self._relance_in_process()
        for move in self - in_process:
            move.relance_next_date = False
            move.relance_next_level_id = False
        today = fields.Date.context_today(self)
        for company, moves in in_process.grouped("company_id").items():
            policies = self.env["relance.policy"]._policies_for_partners(moves.commercial_partner_id, company)
            ladders = {}
            for move in moves:
                policy = policies.get(move.commercial_partner_id.id)
                if policy not in ladders:
                    ladders[policy] = list(policy._ladder()) if policy else []
                level, when = next_level_step(
                    ladders[policy], move.relance_level_id, move.invoice_date_due or move.invoice_date,
                    move.relance_date, today, company.relance_min_interval,
                )
                move.relance_next_level_id = level
                move.relance_next_date = when

    @api.model
    def _relance_recompute_next_dates(self, companies):
        """Policies or levels changed: the next step of every open invoice may change."""
        if not companies:
            return
        moves = self.sudo().search(self._relance_open_domain() & Domain("company_id", "in", companies.ids))
        if moves:
            self.env.add_to_compute(self._fields["relance_next_date"], moves)
            self.env.add_to_compute(self._fields["relance_next_level_id"], moves)

    @api.depends("invoice_date_due")
    @api.depends_context("relance_date")
    def _compute_relance_days_late(self):
        today = self.env.context.get("relance_date") or fields.Date.context_today(self)
        for move in self:
            due = move.invoice_date_due
            move.relance_days_late = (fields.Date.to_date(today) - due).days if due else 0

    def _compute_relance_interaction_count(self):
        counts = dict(
            self.env["relance.interaction"]._read_group(
                [("move_ids", "in", self.ids)], ["move_ids"], ["__count"]
            )
        )
        for move in self:
            move.relance_interaction_count = counts.get(move, 0)

    # ------------------------------------------------------------------
    # The decision: one method, many callers
    # ------------------------------------------------------------------
    @api.model
    def _relance_decide(self, company, date=None, partners=None):
        """For ``company`` on ``date``, decide which customers get which level and why not others.

        Returns a list of :class:`PartnerDecision`, those to remind first (``skip_reason`` None).
        A fixed number of queries whatever the number of invoices: one for the open invoices,
        one for the customers' net balances, a few for partners and policies.
        """
        date = fields.Date.to_date(date or fields.Date.context_today(self))
        policy_model = self.env["relance.policy"]
        domain = (
            Domain("company_id", "=", company.id)
            & self._relance_open_domain()
            & ~self._relance_exclusion_domain()
        )
        if partners is not None:
            domain &= Domain("commercial_partner_id", "in", partners.commercial_partner_id.ids)
        moves = self.with_company(company)
        query = moves._search(domain)
        rows = self.env.execute_query(query.select(*(
            moves._field_to_sql(self._table, fname, query)
            for fname in ("id", "commercial_partner_id", "invoice_date_due", "relance_level_id", "relance_date",
                          "amount_residual_signed")
        )))
        if not rows:
            return []
        partner_ids = sorted({row[1] for row in rows})
        all_partners = self.env["res.partner"].browse(partner_ids).with_company(company)
        all_partners.fetch(["relance_manual"])
        policies = policy_model._policies_for_partners(all_partners, company)
        ladders = {policy: list(policy._ladder()) for policy in set(policies.values()) if policy}
        levels = self.env["relance.level"].browse({row[3] for row in rows if row[3]})
        levels.fetch(["delay", "policy_id"])
        level_by_id = {level.id: level for level in levels}
        balances = self._relance_net_balances(company, partner_ids)
        tolerance = company.relance_tolerance
        min_interval = company.relance_min_interval

        decisions = {}
        for move_id, partner_id, date_due, level_id, last_date, residual in rows:
            date_due = date_due or date
            partner = all_partners.browse(partner_id)
            policy = policies.get(partner_id)
            decision = decisions.get(partner_id)
            if decision is None:
                decision = decisions[partner_id] = PartnerDecision(
                    partner_id=partner_id,
                    policy_id=policy.id if policy else None,
                    net_balance=balances.get(partner_id, 0.0),
                )
            ladder = ladders.get(policy, [])
            level = level_by_id.get(level_id)
            target, when = next_level_step(ladder, level, date_due, last_date, date, min_interval)
            target_id = target.id if target and when <= date else None
            days_late = (date - date_due).days
            if target_id or days_late > 0:
                decision.steps.append(InvoiceStep(
                    move_id=move_id, partner_id=partner_id, date_due=date_due,
                    level_id=level_id, target_level_id=target_id, next_date=when,
                    residual=residual, days_late=days_late,
                ))
            if partner.relance_manual:
                decision.skip_reason = "manual"
            elif not policy:
                decision.skip_reason = "no_policy"

        result = []
        for decision in decisions.values():
            targets = [step.target_level_id for step in decision.steps if step.target_level_id]
            decision.amount_due = company.currency_id.round(sum(step.residual for step in decision.steps))
            if not targets:
                decision.skip_reason = decision.skip_reason or "nothing_due"
            elif not decision.skip_reason and company.currency_id.compare_amounts(
                decision.net_balance, tolerance
            ) <= 0:
                decision.skip_reason = "netted"
            if targets:
                ladder = ladders[policy_model.browse(decision.policy_id)] if decision.policy_id else []
                rank = {level.id: i for i, level in enumerate(ladder)}
                decision.level_id = max(targets, key=lambda lid: rank.get(lid, -1))
            decision.steps.sort(key=lambda step: (step.date_due, step.move_id))
            result.append(decision)
        result.sort(key=lambda d: (d.skip_reason is not None, -d.amount_due, d.partner_id))
        return result

    @api.model
    def _relance_net_balances(self, company, partner_ids):
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
        rows = self.env.execute_query(SQL(
            """
            SELECT partner.commercial_partner_id, SUM(line.amount_residual)
              FROM (%s) line
              JOIN res_partner partner ON partner.id = line.partner_id
             GROUP BY partner.commercial_partner_id
            """,
            lines.select(*(
                aml._field_to_sql(aml._table, fname, lines) for fname in ("partner_id", "amount_residual")
            )),
        ))
        return {partner_id: balance or 0.0 for partner_id, balance in rows}

    # ------------------------------------------------------------------
    # Escalation
    # ------------------------------------------------------------------
    def _relance_advance(self, level_by_move, date):
        """Move each invoice to its target level: only called once a reminder really left."""
        for level, moves in self.grouped(lambda m: level_by_move[m.id]).items():
            moves.sudo().write({"relance_level_id": level.id, "relance_date": date})

    def write(self, vals):
        if vals.get("relance_excluded") and not vals.get("relance_exclusion_reason"):
            for move in self:
                if not move.relance_exclusion_reason:
                    raise UserError(self.env._(
                        "Give a reason to exclude invoice %(invoice)s from reminders.", invoice=move.display_name
                    ))
        if "relance_excluded" in vals and not vals["relance_excluded"]:
            vals.setdefault("relance_exclusion_reason", False)
        return super().write(vals)

    def action_relance_open_history(self):
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id("relance_impayes.relance_interaction_action")
        action["domain"] = [("move_ids", "in", self.ids)]
        action["context"] = {"default_move_ids": self.ids, "default_partner_id": self.commercial_partner_id.id}
        return action
