from odoo import api, fields, models
from odoo.exceptions import UserError, ValidationError
from odoo.fields import Domain


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
        "Excluded from reminders",
        copy=False,
        tracking=True,
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
        "relance.promise",
        "relance_promise_account_move_rel",
        "move_id",
        "promise_id",
        string="Promises",
        copy=False,
        readonly=True,
    )
    relance_plan_ids = fields.Many2many(
        "relance.payment.plan",
        "relance_payment_plan_account_move_rel",
        "move_id",
        "plan_id",
        string="Payment plans",
        copy=False,
        readonly=True,
    )
    relance_dispute_ids = fields.Many2many(
        "relance.dispute",
        "relance_dispute_account_move_rel",
        "move_id",
        "dispute_id",
        string="Disputes",
        copy=False,
        readonly=True,
    )
    relance_disputed = fields.Boolean(
        "Disputed", compute="_compute_relance_disputed", search="_search_relance_disputed"
    )

    # ------------------------------------------------------------------
    # Where each invoice stands: the engine decides (see relance.engine)
    # ------------------------------------------------------------------
    @api.model
    def _relance_open_domain(self):
        """Invoices that can be reminded (:meth:`relance.engine._open_domain`)."""
        return self.env["relance.engine"]._open_domain()

    @api.model
    def _relance_exclusion_domain(self, date=None):
        """Invoices left out of reminders on ``date`` (:meth:`relance.engine._exclusion_reasons`)."""
        return self.env["relance.engine"]._exclusion_domain(date)

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
        "relance_level_id",
        "relance_date",
        "invoice_date_due",
        "line_ids.date_maturity",
        "line_ids.reconciled",
        "payment_state",
        "state",
        "move_type",
        "relance_excluded",
        "commercial_partner_id",
        "relance_dispute_ids.state",
        "relance_plan_ids.state",
        "relance_promise_ids.state",
        "relance_promise_ids.date_limit",
        "relance_interaction_ids.lrar_status",
        "relance_interaction_ids.lrar_receipt_date",
    )
    def _compute_relance_next_date(self):
        steps = self.env["relance.engine"]._next_steps(self)
        for move in self:
            step = steps.get(move.id)
            move.relance_next_level_id = step.level if step else False
            move.relance_next_date = step.date if step else False

    @api.depends("invoice_date_due", "line_ids.date_maturity", "line_ids.reconciled")
    @api.depends_context("relance_date")
    def _compute_relance_days_late(self):
        today = self.env.context.get("relance_date") or fields.Date.context_today(self)
        for move in self:
            due = move._relance_due_date()
            move.relance_days_late = (fields.Date.to_date(today) - due).days if due else 0

    def _compute_relance_interaction_count(self):
        counts = dict(
            self.env["relance.interaction"]._read_group([("move_ids", "in", self.ids)], ["move_ids"], ["__count"])
        )
        for move in self:
            move.relance_interaction_count = counts.get(move, 0)

    @api.model
    def _relance_decide(self, company, date=None, partners=None):
        """For ``company`` on ``date``, which customers get which level and why not the others:
        a list of :class:`PartnerDecision` (public entry of :meth:`relance.engine._decide`)."""
        return self.env["relance.engine"]._decide(company, date, partners=partners)

    @api.model
    def _relance_net_balances(self, company, partner_ids):
        """Open receivable balance per commercial partner (:meth:`relance.engine._net_balances`)."""
        return self.env["relance.engine"]._net_balances(company, partner_ids)

    def _relance_formal_notice_date(self):
        """Date of the formal notice of this invoice, ``False`` while no registered letter has left
        (:meth:`relance.engine._formal_notice_dates`)."""
        self.ensure_one()
        return self._relance_formal_notice_dates().get(self.id, False)

    def _relance_formal_notice_dates(self):
        """``{move id: date}`` of :meth:`_relance_formal_notice_date` for the whole recordset, in one query."""
        return self.env["relance.engine"]._formal_notice_dates(self)

    def write(self, vals):
        if vals.get("relance_excluded") and not vals.get("relance_exclusion_reason"):
            for move in self:
                if not move.relance_exclusion_reason:
                    raise UserError(
                        self.env._(
                            "Give a reason to exclude invoice %(invoice)s from reminders.", invoice=move.display_name
                        )
                    )
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
        "Penalties waived",
        copy=False,
        tracking=True,
        help="No late-payment penalty nor recovery indemnity is claimed for this invoice.",
    )
    relance_penalty_waive_reason = fields.Char("Reason for waiving penalties", copy=False, tracking=True)
    relance_interest_amount = fields.Monetary(
        "Late-payment interest",
        compute="_compute_relance_penalty_amounts",
        currency_field="currency_id",
        help="Late-payment penalties (or legal interest for a private customer after a formal notice) "
        "accrued up to today.",
    )
    relance_indemnity_amount = fields.Monetary(
        "Recovery indemnity",
        compute="_compute_relance_penalty_amounts",
        currency_field="currency_id",
        help="Fixed indemnity for recovery costs owed by a business customer for an invoice paid late.",
    )
    relance_penalty_total = fields.Monetary(
        "Penalties due",
        compute="_compute_relance_penalty_amounts",
        currency_field="currency_id",
    )
    relance_penalty_warning = fields.Char(
        "Rate warning",
        compute="_compute_relance_penalty_amounts",
        help="Shown when a half-year has no reference rate yet and the latest known one was used.",
    )
    relance_penalty_line_ids = fields.One2many(
        "account.move.line",
        "relance_penalty_source_id",
        string="Penalty invoice lines",
        readonly=True,
        domain=[("display_type", "=", "product")],
    )
    relance_interest_charged = fields.Monetary(
        "Interest invoiced",
        compute="_compute_relance_charged",
        store=True,
        currency_field="currency_id",
        help="Late-payment interest of this invoice already put on a penalty invoice (draft or posted).",
    )
    relance_penalty_charged_until = fields.Date(
        "Interest invoiced up to",
        compute="_compute_relance_charged",
        store=True,
    )
    relance_indemnity_charged = fields.Boolean(
        "Indemnity invoiced",
        compute="_compute_relance_charged",
        store=True,
    )
    relance_is_penalty_invoice = fields.Boolean(
        "Penalty invoice",
        compute="_compute_relance_is_penalty_invoice",
        store=True,
    )
    relance_penalty_source_ids = fields.Many2many(
        "account.move",
        compute="_compute_relance_penalty_sources",
        string="Invoices charged",
    )
    relance_prescription_date = fields.Date(
        "Time-barred on",
        compute="_compute_relance_prescription_date",
        store=True,
        help="Date at which the claim becomes time-barred: 5 years after the due date between "
        "businesses, 2 years after the invoice date for a private customer.",
    )
    # relance_credit_hold, relance_hold_reason: relance.credit.override.mixin

    @api.constrains("relance_penalty_waived", "relance_penalty_waive_reason")
    def _check_relance_penalty_waive_reason(self):
        for move in self:
            if move.relance_penalty_waived and not (move.relance_penalty_waive_reason or "").strip():
                raise ValidationError(
                    self.env._(
                        "Give a reason to waive the late-payment penalties of %(invoice)s.", invoice=move.display_name
                    )
                )

    @api.depends(
        "move_type",
        "state",
        "invoice_date_due",
        "line_ids.date_maturity",
        "currency_id",
        "amount_residual",
        "payment_state",
        "relance_penalty_waived",
        "commercial_partner_id.relance_is_consumer",
        "commercial_partner_id.relance_penalty_waived",
        "commercial_partner_id.relance_penalty_rate",
        "company_id.relance_penalty_rate",
        "company_id.relance_indemnity_amount",
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

    @api.depends(
        "relance_penalty_line_ids.price_subtotal",
        "relance_penalty_line_ids.parent_state",
        "relance_penalty_line_ids.relance_penalty_date_to",
    )
    def _compute_relance_charged(self):
        charged = self.env["relance.penalty"]._charged(self)
        for move in self:
            (move.relance_interest_charged, move.relance_penalty_charged_until, move.relance_indemnity_charged) = (
                charged[move.id]
            )

    @api.depends("invoice_line_ids.relance_penalty_source_id")
    def _compute_relance_penalty_sources(self):
        for move in self:
            move.relance_penalty_source_ids = move.invoice_line_ids.relance_penalty_source_id

    @api.depends("invoice_line_ids.relance_penalty_source_id", "invoice_line_ids.display_type")
    def _compute_relance_is_penalty_invoice(self):
        """A penalty invoice charges penalties only: every product line charges an overdue invoice
        (one line pointing at another invoice does not make a sale a penalty invoice)."""
        for move in self:
            products = move.invoice_line_ids.filtered(lambda line: line.display_type == "product")
            charged = [line.relance_penalty_source_id for line in products]
            move.relance_is_penalty_invoice = bool(charged) and all(charged)

    @api.constrains("partner_id", "company_id")
    def _check_relance_penalty_sources(self):
        self.invoice_line_ids._relance_raise_penalty_source_errors()

    @api.depends(
        "invoice_date",
        "invoice_date_due",
        "line_ids.date_maturity",
        "line_ids.reconciled",
        "move_type",
        "commercial_partner_id.relance_is_consumer",
    )
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
            invoice=self.display_name,
            customer=self.commercial_partner_id.display_name,
            reason=reason,
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
                "message": self.env._(
                    "Customer on credit hold: %(reason)s. Posting this invoice needs a Relances manager's override.",
                    reason=self.relance_hold_reason,
                ),
            }
        return alerts
