from collections import defaultdict
from contextvars import ContextVar

from odoo import api, fields, models
from odoo.exceptions import ValidationError
from odoo.fields import Domain

# {(commercial partner id, date): call priority} of the calls scheduled together (see _relance_call_priority)
CALL_PRIORITIES = ContextVar("relance_call_priorities", default=None)


class ResPartner(models.Model):
    _inherit = "res.partner"

    relance_policy_id = fields.Many2one(
        "relance.policy",
        string="Dunning policy",
        company_dependent=True,
        check_company=True,
        help="Leave empty to follow the company's default policy.",
    )
    relance_manual = fields.Boolean(
        "Manual follow-up",
        company_dependent=True,
        help="Never remind this customer automatically: the accountant sends reminders by hand.",
    )
    relance_collector_id = fields.Many2one(
        "res.users",
        string="Collector",
        company_dependent=True,
        help="Person in charge of recovering this customer's invoices. Defaults to the salesperson.",
    )
    relance_level_id = fields.Many2one(
        "relance.level",
        string="Reminder level",
        compute="_compute_relance_status",
        help="Highest level reached among the customer's open invoices.",
    )
    relance_next_date = fields.Date("Next reminder", compute="_compute_relance_status")
    relance_overdue_amount = fields.Monetary(
        "Overdue", compute="_compute_relance_status", currency_field="relance_currency_id"
    )
    relance_due_amount = fields.Monetary(
        "Open invoices", compute="_compute_relance_status", currency_field="relance_currency_id"
    )
    relance_currency_id = fields.Many2one("res.currency", "Reminder currency", compute="_compute_relance_status")
    relance_prescription_warning = fields.Char(
        "Limitation",
        compute="_compute_relance_prescription_warning",
        help="Open invoices whose claim becomes time-barred soon (5 years from the due date between "
        "businesses, 2 years from the invoice date for a private customer).",
    )
    relance_interaction_ids = fields.One2many("relance.interaction", "partner_id", string="Reminder history")
    relance_promise_kept_count = fields.Integer("Promises kept", compute="_compute_relance_promise_counts")
    relance_promise_broken_count = fields.Integer("Promises broken", compute="_compute_relance_promise_counts")
    relance_interaction_count = fields.Integer("Reminders", compute="_compute_relance_interaction_count")
    relance_communication_ids = fields.One2many("relance.communication", "partner_id", string="Reminders sent")
    relance_penalty_rate = fields.Float(
        "Late-payment penalty rate (%)",
        digits=(16, 2),
        company_dependent=True,
        tracking=True,
        help="Annual late-payment rate agreed with this customer. 0 applies the company's rate, or the legal "
        "default (ECB rate + 10 points). It cannot be lower than 3 times the legal interest rate.",
    )
    # relance_is_consumer, relance_debtor_type/kind, relance_court_name: res_partner_debtor.py
    relance_penalty_waived = fields.Boolean(
        "Penalties waived",
        company_dependent=True,
        tracking=True,
        help="No late-payment penalty nor recovery indemnity is claimed from this customer.",
    )
    relance_penalty_waive_reason = fields.Char(
        "Reason for waiving penalties",
        company_dependent=True,
        tracking=True,
    )
    relance_penalty_total = fields.Monetary(
        "Penalties due",
        compute="_compute_relance_penalty_total",
        currency_field="relance_currency_id",
        help="Late-payment interest and recovery indemnities accrued on the customer's open overdue invoices.",
    )
    relance_credit_hold = fields.Boolean(
        "Credit hold",
        company_dependent=True,
        readonly=True,
        copy=False,
        help="New invoices (and sales orders) of this customer are blocked. Set by a manager, when the customer "
        "is over its credit limit (block mode), or when one of its invoices reaches a level with credit hold. "
        "Automatic holds lift by themselves once their cause is gone.",
    )
    relance_hold_reason = fields.Char("Hold reason", company_dependent=True, readonly=True, copy=False)
    relance_hold_cause = fields.Selection(
        [("manual", "Set by hand"), ("over_limit", "Over credit limit"), ("level", "Reminder level")],
        string="Hold cause",
        company_dependent=True,
        readonly=True,
        copy=False,
    )
    relance_hold_date = fields.Date("On hold since", company_dependent=True, readonly=True, copy=False)
    relance_risk_score = fields.Integer(
        "Risk score",
        company_dependent=True,
        readonly=True,
        copy=False,
        help="0 to 100, higher is riskier. Recomputed every day from the payments of the last 12 months, the "
        "reminders they needed, disputes, broken promises, what is overdue today and the DSO.",
    )
    relance_risk_class = fields.Selection(
        [("good", "Good payer"), ("watch", "To watch"), ("risky", "Risky")],
        string="Risk class",
        company_dependent=True,
        readonly=True,
        copy=False,
    )
    relance_risk_reasons = fields.Text("Risk reasons", company_dependent=True, readonly=True, copy=False)
    relance_risk_date = fields.Date("Risk computed on", company_dependent=True, readonly=True, copy=False)
    relance_dso = fields.Float(
        "DSO (days)",
        company_dependent=True,
        readonly=True,
        copy=False,
        digits=(16, 1),
        help="Days sales outstanding by the countback method: the open balance matched against the sales of each "
        "month, going back in time.",
    )
    relance_avg_days_late = fields.Float(
        "Average days late",
        company_dependent=True,
        readonly=True,
        copy=False,
        digits=(16, 1),
        help="Days late of the invoices due in the last 12 months, weighted by amount.",
    )
    relance_late_share = fields.Float(
        "Invoices paid late (%)", company_dependent=True, readonly=True, copy=False, digits=(16, 1)
    )
    relance_segment_rule_id = fields.Many2one(
        "relance.segment.rule",
        string="Segment rule",
        company_dependent=True,
        readonly=True,
        copy=False,
        help="Segment rule the customer matched at the last daily run. A policy chosen on the customer wins.",
    )
    relance_policy_origin = fields.Char("Policy applied", compute="_compute_relance_policy_origin")
    relance_insurer_id = fields.Many2one(
        "res.partner",
        string="Credit insurer",
        company_dependent=True,
        help="Credit insurer covering this customer (Allianz Trade, Coface, Atradius...).",
    )
    relance_insured_amount = fields.Float(
        "Covered amount",
        company_dependent=True,
        digits="Account",
        help="Amount of this customer's receivable covered by the credit insurer.",
    )
    relance_insurance_reference = fields.Char("Insurer's reference", company_dependent=True)
    relance_credit_review_ids = fields.One2many("relance.credit.review", "partner_id", string="Credit reviews")
    relance_last_review_date = fields.Date("Last credit review", compute="_compute_relance_last_review_date")
    relance_exposure = fields.Monetary(
        "Exposure",
        compute="_compute_relance_exposure",
        currency_field="relance_currency_id",
        groups="account.group_account_invoice,account.group_account_readonly",
        help="Open receivable plus confirmed orders not invoiced yet, in this company.",
    )

    def _relance_collector(self):
        """Who calls this customer: its collector, its salesperson, or the company default."""
        self.ensure_one()
        partner = self.commercial_partner_id
        return partner.relance_collector_id or partner.user_id or self.env.company.relance_collector_id or self.env.user

    def _relance_log(self, body):
        """Note on the customer's chatter, signed by the current user. Reminder users need not
        be partner managers to leave this trace."""
        self.ensure_one()
        return self.commercial_partner_id.sudo().message_post(
            body=body, author_id=self.env.user.partner_id.id, subtype_xmlid="mail.mt_note"
        )

    def _relance_schedule_call(self, deadline, summary, note="", user=None):
        """A call task for the collector, due on a business day within the calling hours."""
        self.ensure_one()
        partner = self.commercial_partner_id
        deadline = self.env["mail.activity"]._relance_call_day(deadline)
        return partner.sudo().activity_schedule(
            "relance_impayes.mail_activity_type_relance_call",
            date_deadline=deadline,
            summary=summary,
            note=note,
            user_id=(user or self._relance_collector()).id,
            relance_priority=partner._relance_call_priority(deadline),
        )

    def _relance_call_priority(self, date):
        """Amount overdue × days late of the oldest overdue invoice: who to call first. Read from
        the priorities of the calls scheduled together when there are (:data:`CALL_PRIORITIES`)."""
        self.ensure_one()
        key = (self.commercial_partner_id.id, fields.Date.to_date(date))
        known = CALL_PRIORITIES.get()
        if known is not None and key in known:
            return known[key]
        return self._relance_call_priorities([(self, date)])[key]

    @api.model
    def _relance_call_priorities(self, pairs):
        """:meth:`_relance_call_priority` of many ``(customer, date)`` pairs, ``{(commercial partner
        id, date): priority}``: one grouped query per date."""
        moves = self.env["account.move"]
        by_date = defaultdict(set)
        for partner, date in pairs:
            by_date[fields.Date.to_date(date)].add(partner.commercial_partner_id.id)
        priorities = {}
        for date, partner_ids in by_date.items():
            overdue = moves._relance_overdue_by_partner(
                moves._relance_open_domain() & Domain("commercial_partner_id", "in", list(partner_ids)), date
            )
            for partner_id in partner_ids:
                amount, oldest = overdue.get(self.browse(partner_id), (0.0, False))
                priorities[partner_id, date] = amount * ((date - oldest).days if oldest else 0)
        return priorities

    def _relance_invoice_contact(self):
        self.ensure_one()
        return self.browse(self.commercial_partner_id.address_get(["invoice"])["invoice"])

    @api.depends_context("company")
    def _compute_relance_status(self):
        company = self.env.company
        today = fields.Date.context_today(self)
        commercial = self.commercial_partner_id
        base = (
            Domain("company_id", "=", company.id)
            & self.env["account.move"]._relance_open_domain()
            & Domain("commercial_partner_id", "in", commercial.ids)
        )
        moves = self.env["account.move"]
        levels = self.env["relance.level"]
        due = dict(moves._read_group(base, ["commercial_partner_id"], ["amount_residual_signed:sum"]))
        overdue = {
            partner: amount for partner, (amount, _oldest) in moves._relance_overdue_by_partner(base, today).items()
        }
        status = {}
        for partner, level, next_date in moves._read_group(
            base, ["commercial_partner_id", "relance_level_id"], ["relance_next_date:min"]
        ):
            best_level, best_date = status.get(partner, (levels, False))
            if level and (not best_level or level.delay > best_level.delay):
                best_level = level
            if next_date and (not best_date or next_date < best_date):
                best_date = next_date
            status[partner] = (best_level, best_date)
        for partner in self:
            cp = partner.commercial_partner_id
            level, next_date = status.get(cp, (levels, False))
            partner.relance_level_id = level
            partner.relance_next_date = next_date
            partner.relance_currency_id = company.currency_id
            partner.relance_due_amount = due.get(cp, 0.0)
            partner.relance_overdue_amount = overdue.get(cp, 0.0)

    @api.depends_context("company")
    def _compute_relance_prescription_warning(self):
        warnings = self.env["relance.limitation"]._partner_warnings(self)
        for partner in self:
            partner.relance_prescription_warning = warnings[partner.commercial_partner_id.id]

    def _compute_relance_promise_counts(self):
        counts = {
            (partner, state): count
            for partner, state, count in self.env["relance.promise"]._read_group(
                [("partner_id", "in", self.commercial_partner_id.ids), ("state", "in", ("kept", "broken"))],
                ["partner_id", "state"],
                ["__count"],
            )
        }
        for partner in self:
            cp = partner.commercial_partner_id
            partner.relance_promise_kept_count = counts.get((cp, "kept"), 0)
            partner.relance_promise_broken_count = counts.get((cp, "broken"), 0)

    def _relance_open_negotiation(self, model):
        """Form of a new promise, plan or dispute for this customer, on its overdue invoices."""
        self.ensure_one()
        partner = self.commercial_partner_id
        today = fields.Date.context_today(self)
        moves = self.env["account.move"].search(
            self.env["account.move"]._relance_open_domain()
            & Domain("commercial_partner_id", "=", partner.id)
            & Domain("company_id", "=", self.env.company.id)
            & self.env["account.move"]._relance_late_domain(today)
        )
        return {
            "type": "ir.actions.act_window",
            "res_model": model,
            "view_mode": "form",
            "target": "current",
            "context": {
                "default_partner_id": partner.id,
                "default_move_ids": moves.ids,
                "default_amount": moves._relance_overdue_residual(today),
            },
        }

    def action_relance_promise(self):
        return self._relance_open_negotiation("relance.promise")

    def action_relance_payment_plan(self):
        return self._relance_open_negotiation("relance.payment.plan")

    def action_relance_dispute(self):
        return self._relance_open_negotiation("relance.dispute")

    def _compute_relance_interaction_count(self):
        counts = dict(
            self.env["relance.interaction"]._read_group(
                [("partner_id", "in", self.commercial_partner_id.ids)], ["partner_id"], ["__count"]
            )
        )
        for partner in self:
            partner.relance_interaction_count = counts.get(partner.commercial_partner_id, 0)

    def write(self, vals):
        res = super().write(vals)
        if "relance_policy_id" in vals:
            self.env["relance.engine"]._refresh_next_dates(self)
        if "credit_limit" in vals and self.env.company.relance_credit_limit_mode == "block":
            # a raised limit lifts the hold at once, a lowered one holds at once
            self.env["relance.credit"]._update_holds(self.env.company, self)
        return res

    # ------------------------------------------------------------------
    # Actions
    # ------------------------------------------------------------------
    def action_relance_send(self):
        self.ensure_one()
        return {
            "type": "ir.actions.act_window",
            "name": self.env._("Send reminder"),
            "res_model": "relance.send",
            "view_mode": "form",
            "target": "new",
            "context": {"default_partner_id": self.commercial_partner_id.id},
        }

    def action_relance_open_history(self):
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id("relance_impayes.relance_interaction_action")
        action["domain"] = [("partner_id", "=", self.commercial_partner_id.id)]
        action["context"] = {"default_partner_id": self.commercial_partner_id.id}
        return action

    def action_relance_open_invoices(self):
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id("account.action_move_out_invoice_type")
        action["domain"] = (
            Domain("commercial_partner_id", "=", self.commercial_partner_id.id)
            & self.env["account.move"]._relance_open_domain()
        )
        action["context"] = {"search_default_group_by_relance_level": 1, "create": False}
        return action

    @api.model
    def action_relance_todo(self):
        """The accountant's *To do*: customers with something due today, first the largest."""
        moves = self.env["account.move"]
        decisions = moves._relance_decide(self.env.company)
        partner_ids = [d.partner_id for d in decisions if d.skip_reason in (None, "manual")]
        time_barred = moves._read_group(
            self.env["relance.limitation"]._domain(self.env.company), ["commercial_partner_id"]
        )
        partner_ids += [partner.id for (partner,) in time_barred if partner.id not in partner_ids]
        action = self.env["ir.actions.act_window"]._for_xml_id("relance_impayes.res_partner_action_relance_todo")
        action["domain"] = [("id", "in", partner_ids)]
        return action

    # ------------------------------------------------------------------
    # Late-payment penalties (relance.penalty), credit (relance.credit, relance.risk)
    # ------------------------------------------------------------------
    @api.constrains("relance_policy_id")
    def _check_relance_policy_company(self):
        self.env["relance.policy"]._check_partner_policy_company(self)

    @api.constrains("relance_penalty_rate")
    def _check_relance_penalty_rate(self):
        for partner in self:
            self.env["relance.rate"]._relance_check_contract_rate(partner.relance_penalty_rate, partner.display_name)

    @api.constrains("relance_penalty_waived", "relance_penalty_waive_reason")
    def _check_relance_penalty_waive_reason(self):
        for partner in self:
            if partner.relance_penalty_waived and not (partner.relance_penalty_waive_reason or "").strip():
                raise ValidationError(
                    self.env._(
                        "Give a reason to waive the late-payment penalties of %(partner)s.",
                        partner=partner.display_name,
                    )
                )

    @api.depends_context("company", "relance_date")
    def _compute_relance_penalty_total(self):
        summaries = self.env["relance.penalty"]._partner_summaries(self)
        for partner in self:
            partner.relance_penalty_total = summaries[partner.commercial_partner_id.id]["total"]

    @api.depends_context("company")
    def _compute_relance_policy_origin(self):
        company = self.env.company
        default = company.relance_policy_id
        for partner in self:
            cp = partner.commercial_partner_id
            rule = cp.relance_segment_rule_id.filtered("active")
            if cp.relance_policy_id:
                partner.relance_policy_origin = self.env._(
                    "%(policy)s (chosen for this customer)", policy=cp.relance_policy_id.name
                )
            elif rule:
                partner.relance_policy_origin = self.env._(
                    "%(policy)s (rule: %(rule)s)", policy=rule.policy_id.name, rule=rule.name
                )
            else:
                partner.relance_policy_origin = default and self.env._(
                    "%(policy)s (company default)", policy=default.name
                )

    @api.depends_context("company")
    def _compute_relance_last_review_date(self):
        last = dict(
            self.env["relance.credit.review"]._read_group(
                [("partner_id", "in", self.commercial_partner_id.ids), ("company_id", "=", self.env.company.id)],
                ["partner_id"],
                ["date:max"],
            )
        )
        for partner in self:
            partner.relance_last_review_date = last.get(partner.commercial_partner_id, False)

    @api.depends_context("company")
    def _compute_relance_exposure(self):
        exposure = {cp.id: cp.credit + cp.credit_to_invoice for cp in self.commercial_partner_id.sudo()}
        for partner in self:
            partner.relance_exposure = exposure[partner.commercial_partner_id.id]

    # Entry points of relance.credit kept on the customer for their callers
    def _relance_credit_log(self, summary, body=None, moves=None):
        self.ensure_one()
        return self.env["relance.credit"]._log(self, summary, body=body, moves=moves)

    def _relance_hold(self, cause, reason):
        self.env["relance.credit"]._hold(self, cause, reason)

    def _relance_release(self, reason):
        self.env["relance.credit"]._release(self, reason)

    @api.model
    def _relance_update_credit_holds(self, company, partners=None):
        return self.env["relance.credit"]._update_holds(company, partners)

    def _relance_credit_block_reason(self, company=None):
        self.ensure_one()
        return self.env["relance.credit"]._partner_block_reason(self, company)

    def action_relance_credit_hold(self):
        """Managers put a customer on hold by hand, with a reason."""
        self.ensure_one()
        return self._relance_credit_hold_wizard("hold")

    def action_relance_credit_release(self):
        self.ensure_one()
        return self._relance_credit_hold_wizard("release")

    def _relance_credit_hold_wizard(self, mode):
        return {
            "type": "ir.actions.act_window",
            "name": self.env._("Credit hold") if mode == "hold" else self.env._("Lift credit hold"),
            "res_model": "relance.credit.hold",
            "view_mode": "form",
            "target": "new",
            "context": {"default_partner_id": self.commercial_partner_id.id, "default_mode": mode},
        }

    def action_relance_add_credit_review(self):
        self.ensure_one()
        return {
            "type": "ir.actions.act_window",
            "name": self.env._("Credit review"),
            "res_model": "relance.credit.review",
            "view_mode": "form",
            "target": "new",
            "context": {"default_partner_id": self.commercial_partner_id.id},
        }
