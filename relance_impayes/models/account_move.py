from dataclasses import dataclass, field
from datetime import date as Date, timedelta

from dateutil.relativedelta import relativedelta

from odoo import api, fields, models
from odoo.exceptions import UserError, ValidationError
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
    awaiting_notice: bool = False


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
    _name = "account.move"
    _inherit = ["account.move", "relance.credit.override.mixin"]

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
    relance_interaction_count = fields.Integer("Reminders", compute="_compute_relance_interaction_count")
    relance_promise_ids = fields.Many2many(
        "relance.promise", "relance_promise_account_move_rel", "move_id", "promise_id", string="Promises",
        copy=False, readonly=True,
    )
    relance_plan_ids = fields.Many2many(
        "relance.payment.plan", "relance_payment_plan_account_move_rel", "move_id", "plan_id",
        string="Payment plans", copy=False, readonly=True,
    )
    relance_dispute_ids = fields.Many2many(
        "relance.dispute", "relance_dispute_account_move_rel", "move_id", "dispute_id", string="Disputes",
        copy=False, readonly=True,
    )
    relance_disputed = fields.Boolean("Disputed", compute="_compute_relance_disputed", search="_search_relance_disputed")

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
    def _relance_exclusion_domain(self, date=None):
        """Invoices left out of reminders on ``date``: excluded by hand, disputed, under an active
        payment plan, or covered by a promise whose grace period runs."""
        date = fields.Date.to_date(date or fields.Date.context_today(self))
        return (
            Domain("relance_excluded", "=", True)
            | Domain("relance_dispute_ids", "any", Domain("state", "=", "open"))
            | Domain("relance_plan_ids", "any", Domain("state", "=", "active"))
            | Domain("relance_promise_ids", "any", Domain("state", "=", "open") & Domain("date_limit", ">=", date))
        )

    def _relance_in_process(self):
        return self.filtered_domain(self._relance_open_domain() & ~self._relance_exclusion_domain())

    @api.depends("relance_dispute_ids.state")
    def _compute_relance_disputed(self):
        for move in self:
            move.relance_disputed = any(d.state == "open" for d in move.relance_dispute_ids)

    def _search_relance_disputed(self, operator, value):
        if operator not in ("=", "!=") or not isinstance(value, bool):
            return NotImplemented
        domain = Domain("relance_dispute_ids", "any", Domain("state", "=", "open"))
        return domain if (operator == "=") == value else ~domain

    @api.depends(
        "relance_level_id", "relance_date", "invoice_date_due", "payment_state", "state",
        "move_type", "relance_excluded", "commercial_partner_id", "relance_dispute_ids.state",
        "relance_plan_ids.state", "relance_promise_ids.state", "relance_promise_ids.date_limit",
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
            & ~self._relance_exclusion_domain(date)
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
        # levels are configuration: a level of another company's policy is read to map it by delay
        levels = self.env["relance.level"].sudo().browse({row[3] for row in rows if row[3]})
        levels.fetch(["delay", "policy_id"])
        level_by_id = {level.id: level for level in levels}
        balances = self._relance_net_balances(company, partner_ids)
        tolerance = company.relance_tolerance
        min_interval = company.relance_min_interval
        handoff_levels = {lvl.id for ladder in ladders.values() for lvl in ladder if lvl.action_handoff}
        deadlines = None  # formal-notice deadlines, read once if a hand-off is in sight

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
            if target_id in handoff_levels:
                if deadlines is None:
                    deadlines = self.browse(row[0] for row in rows)._relance_notice_deadlines()
                deadline = deadlines.get(move_id)
                if not deadline or deadline >= date:
                    # the hand-off is offered only once the formal notice's deadline has passed
                    target_id = None
                    when = deadline and max(when, deadline + timedelta(days=1))
                    decision.awaiting_notice = True
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
                decision.skip_reason = decision.skip_reason or (
                    "awaiting_notice" if decision.awaiting_notice else "nothing_due")
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
        # reminder fields only: no resync of the invoice lines, and the invoice is not "manually modified"
        quiet = self.sudo().with_context(skip_invoice_sync=True, skip_is_manually_modified=True)
        for level, moves in quiet.grouped(lambda m: level_by_move[m.id]).items():
            moves.write({"relance_level_id": level.id, "relance_date": date})

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

    # ------------------------------------------------------------------
    # Penalties (relance.penalty), limitation (relance.limitation), credit hold (relance.credit)
    # ------------------------------------------------------------------
    relance_penalty_waived = fields.Boolean(
        "Penalties waived", copy=False, tracking=True,
        help="No late-payment penalty nor recovery indemnity is claimed for this invoice.",
    )
    relance_penalty_waive_reason = fields.Char("Reason for waiving penalties", copy=False, tracking=True)
    relance_interest_amount = fields.Monetary(
        "Late-payment interest", compute="_compute_relance_penalty_amounts", currency_field="currency_id",
        help="Late-payment penalties (or legal interest for a private customer after a formal notice) "
        "accrued up to today.",
    )
    relance_indemnity_amount = fields.Monetary(
        "Recovery indemnity", compute="_compute_relance_penalty_amounts", currency_field="currency_id",
        help="Fixed indemnity for recovery costs owed by a business customer for an invoice paid late.",
    )
    relance_penalty_total = fields.Monetary(
        "Penalties due", compute="_compute_relance_penalty_amounts", currency_field="currency_id",
    )
    relance_penalty_warning = fields.Char(
        "Rate warning", compute="_compute_relance_penalty_amounts",
        help="Shown when a half-year has no reference rate yet and the latest known one was used.",
    )
    relance_penalty_line_ids = fields.One2many(
        "account.move.line", "relance_penalty_source_id", string="Penalty invoice lines", readonly=True
    )
    relance_interest_charged = fields.Monetary(
        "Interest invoiced", compute="_compute_relance_charged", store=True, currency_field="currency_id",
        help="Late-payment interest of this invoice already put on a penalty invoice (draft or posted).",
    )
    relance_penalty_charged_until = fields.Date(
        "Interest invoiced up to", compute="_compute_relance_charged", store=True,
    )
    relance_indemnity_charged = fields.Boolean(
        "Indemnity invoiced", compute="_compute_relance_charged", store=True,
    )
    relance_is_penalty_invoice = fields.Boolean(
        "Penalty invoice", compute="_compute_relance_is_penalty_invoice", store=True,
    )
    relance_penalty_source_ids = fields.Many2many(
        "account.move", compute="_compute_relance_penalty_sources", string="Invoices charged",
    )
    relance_prescription_date = fields.Date(
        "Time-barred on", compute="_compute_relance_prescription_date", store=True,
        help="Date at which the claim becomes time-barred: 5 years after the due date between "
        "businesses, 2 years for a private customer.",
    )
    # relance_credit_hold, relance_hold_reason: relance.credit.override.mixin

    @api.constrains("relance_penalty_waived", "relance_penalty_waive_reason")
    def _check_relance_penalty_waive_reason(self):
        for move in self:
            if move.relance_penalty_waived and not (move.relance_penalty_waive_reason or "").strip():
                raise ValidationError(self.env._(
                    "Give a reason to waive the late-payment penalties of %(invoice)s.", invoice=move.display_name
                ))

    @api.depends(
        "move_type", "state", "invoice_date_due", "currency_id", "amount_residual", "payment_state",
        "relance_penalty_waived", "commercial_partner_id.relance_is_consumer",
        "commercial_partner_id.relance_penalty_waived", "commercial_partner_id.relance_penalty_rate",
        "company_id.relance_penalty_rate", "company_id.relance_indemnity_amount",
    )
    @api.depends_context("relance_date", "company")
    def _compute_relance_penalty_amounts(self):
        results = self.env["relance.penalty"]._penalties(self)
        for move in self:
            result = results[move.id]
            move.relance_interest_amount = result["interest"]
            move.relance_indemnity_amount = result["indemnity"]
            move.relance_penalty_total = result["total"]
            move.relance_penalty_warning = " ".join(result["warnings"]) or False

    @api.depends("relance_penalty_line_ids.price_subtotal", "relance_penalty_line_ids.parent_state",
                 "relance_penalty_line_ids.relance_penalty_date_to")
    def _compute_relance_charged(self):
        charged = self.env["relance.penalty"]._charged(self)
        for move in self:
            (move.relance_interest_charged, move.relance_penalty_charged_until,
             move.relance_indemnity_charged) = charged[move.id]

    @api.depends("invoice_line_ids.relance_penalty_source_id")
    def _compute_relance_penalty_sources(self):
        for move in self:
            move.relance_penalty_source_ids = move.invoice_line_ids.relance_penalty_source_id

    @api.depends("invoice_line_ids.relance_penalty_source_id")
    def _compute_relance_is_penalty_invoice(self):
        for move in self:
            move.relance_is_penalty_invoice = bool(move.invoice_line_ids.relance_penalty_source_id)

    @api.depends("invoice_date_due", "move_type", "commercial_partner_id.relance_is_consumer")
    def _compute_relance_prescription_date(self):
        limitation = self.env["relance.limitation"]
        for move in self:
            move.relance_prescription_date = limitation._time_barred_on(move)

    def _relance_penalties(self, date=None):
        """Late-payment penalties of this customer invoice on ``date`` (default: the ``relance_date``
        context key, else today), also for an invoice already paid late (see ``relance.penalty``).

        :return: dict with ``days_late``, ``currency`` (invoice currency), ``base`` (unpaid on
            ``date``, tax included), ``periods`` (see ``tools.interest.interest_periods``, interest
            rounded), ``interest``, ``indemnity``, ``total`` (invoice currency), ``waived``,
            ``consumer`` and ``warnings`` (translated sentences about missing reference rates).
        """
        self.ensure_one()
        return self.env["relance.penalty"]._penalties(self, date)[self.id]

    def _relance_penalties_batch(self, date=None):
        """:meth:`_relance_penalties` of every move of ``self``, as ``{move id: result}``."""
        return self.env["relance.penalty"]._penalties(self, date)

    def action_relance_penalty_invoice(self):
        return {
            "type": "ir.actions.act_window",
            "name": self.env._("Invoice penalties"),
            "res_model": "relance.penalty.invoice",
            "view_mode": "form",
            "target": "new",
            "context": {"default_move_ids": self.filtered(lambda m: m.move_type == "out_invoice").ids},
        }

    def _relance_formal_notice_date(self):
        """Date of the formal notice of this invoice: the receipt (or first presentation) of the first
        registered letter that listed it, failing that its posting date. ``False`` while no
        registered letter has left (one still to post is no notice)."""
        self.ensure_one()
        return self._relance_formal_notice_dates().get(self.id, False)

    def _relance_formal_notice_dates(self):
        """``{move id: date}`` of :meth:`_relance_formal_notice_date` for the whole recordset, in one query."""
        if not self.ids:
            return {}
        letters = self.env["relance.interaction"].sudo().search_fetch(
            [("kind", "=", "registered_letter"), ("move_ids", "in", self.ids),
             ("lrar_status", "not in", ("to_send", "returned"))],
            ["lrar_sent_date", "lrar_receipt_date", "move_ids"], order="date, id",
        )
        notices = {}
        for letter in letters:
            notice = letter.lrar_receipt_date or letter.lrar_sent_date
            if not notice:
                continue
            for move_id in letter.move_ids.ids:
                notices.setdefault(move_id, notice)
        return notices

    # ------------------------------------------------------------------
    # Formal notice: its deadline counts from receipt (or first presentation)
    # ------------------------------------------------------------------
    def _relance_notice_deadlines(self):
        """``{move id: deadline}``: receipt (or first presentation) of the registered letter that
        listed the invoice, plus the days given to pay. Invoices whose notice was not received
        (or not yet recorded) have no deadline: the hand-off waits."""
        if not self.ids:
            return {}
        letters = self.env["relance.interaction"].sudo().search_fetch(
            [("kind", "=", "registered_letter"), ("move_ids", "in", self.ids),
             ("lrar_receipt_date", "!=", False), ("lrar_status", "in", ("received", "refused", "not_claimed"))],
            ["lrar_receipt_date", "move_ids", "company_id"], order="date desc, id desc",
        )
        deadlines = {}
        for letter in letters:
            deadline = letter.lrar_receipt_date + relativedelta(days=letter.company_id.relance_payment_days)
            for move_id in letter.move_ids.ids:
                deadlines.setdefault(move_id, deadline)
        return deadlines

    # ------------------------------------------------------------------
    # Core overrides: credit hold (relance.credit.override.mixin), paid invoices
    # ------------------------------------------------------------------
    def _relance_credit_hold_depends(self):
        return ["commercial_partner_id", "company_id", "move_type", "state"]

    def _relance_credit_partner(self):
        self.ensure_one()
        return self.commercial_partner_id

    def _relance_credit_applies(self):
        return self.move_type == "out_invoice" and not self.relance_is_penalty_invoice

    def _relance_credit_let_through(self):
        return self.action_post()

    def _relance_credit_hold_message(self, reason):
        return self.env._(
            "%(invoice)s cannot be posted: %(customer)s is on credit hold (%(reason)s). "
            "A Relances manager can override the hold for this invoice.",
            invoice=self.display_name, customer=self.commercial_partner_id.display_name, reason=reason,
        )

    def _relance_credit_log_moves(self):
        return self

    def _post(self, soft=True):
        self._relance_check_credit_hold()
        return super()._post(soft=soft)

    def _invoice_paid_hook(self):
        res = super()._invoice_paid_hook()
        self.env["relance.credit"]._invoices_paid(self)
        return res

    def _get_alerts(self):
        alerts = super()._get_alerts()
        if self.state == "draft" and self.relance_credit_hold:
            alerts["relance_credit_hold"] = {
                "level": "danger",
                "message": self.env._("Customer on credit hold: %(reason)s. Posting this invoice needs a Relances "
                                      "manager's override.", reason=self.relance_hold_reason),
            }
        return alerts
