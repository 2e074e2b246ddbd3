from dateutil.relativedelta import relativedelta

from odoo import api, fields, models
from odoo.exceptions import UserError, ValidationError
from odoo.fields import Domain

from . import relance_penalty


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
        "relance_level_id", "relance_date", "invoice_date_due", "payment_state", "state",
        "move_type", "relance_excluded", "commercial_partner_id", "relance_dispute_ids.state",
        "relance_plan_ids.state", "relance_promise_ids.state", "relance_promise_ids.date_limit",
        "relance_interaction_ids.lrar_status", "relance_interaction_ids.lrar_receipt_date",
    )
    def _compute_relance_next_date(self):
        steps = self.env["relance.engine"]._next_steps(self)
        for move in self:
            step = steps.get(move.id)
            move.relance_next_level_id = step.level if step else False
            move.relance_next_date = step.date if step else False

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

    @api.model
    def _relance_decide(self, company, date=None, partners=None):
        """For ``company`` on ``date``, which customers get which level and why not the others:
        a list of :class:`PartnerDecision` (public entry of :meth:`relance.engine._decide`)."""
        return self.env["relance.engine"]._decide(company, date, partners=partners)

    @api.model
    def _relance_net_balances(self, company, partner_ids):
        """Open receivable balance per commercial partner (:meth:`relance.engine._net_balances`)."""
        return self.env["relance.engine"]._net_balances(company, partner_ids)

    def _relance_advance(self, level_by_move, date):
        """Kept for callers of older versions: :meth:`relance.engine._climb`."""
        self.env["relance.engine"]._climb(level_by_move, date)

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
    # Late-payment penalties (C. com. L441-10 II, D441-5; C. civ. 1231-6)
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
        results = self._relance_penalties_batch(self.env.context.get("relance_date"))
        for move in self:
            result = results[move.id]
            move.relance_interest_amount = result["interest"]
            move.relance_indemnity_amount = result["indemnity"]
            move.relance_penalty_total = result["total"]
            move.relance_penalty_warning = " ".join(result["warnings"]) or False

    def _relance_penalties(self, date=None):
        """Late-payment penalties of this customer invoice on ``date`` (default: the ``relance_date``
        context key, else today), also for an invoice already paid late.

        :return: dict with ``days_late``, ``currency`` (invoice currency), ``base`` (unpaid on
            ``date``, tax included), ``periods`` (see :func:`relance_penalty.interest_periods`, interest
            rounded), ``interest``, ``indemnity``, ``total`` (invoice currency), ``waived``,
            ``consumer`` and ``warnings`` (translated sentences about missing reference rates).
        """
        self.ensure_one()
        return self._relance_penalties_batch(date)[self.id]

    def _relance_penalties_batch(self, date=None):
        """:meth:`_relance_penalties` of every move of ``self``, as ``{move id: result}``, with a fixed
        number of queries (rates, formal notices, payments prefetched for the whole batch)."""
        date = fields.Date.to_date(
            date or self.env.context.get("relance_date") or fields.Date.context_today(self)
        )
        results = {}
        todo = self.filtered(
            lambda m: m.move_type == "out_invoice" and m.state == "posted" and m.invoice_date_due
            and not m.relance_is_penalty_invoice
        )
        for move in self - todo:
            results[move.id] = self._relance_penalty_result(move.currency_id, consumer=False)
        if not todo:
            return results
        rate_tables = self.env["relance.rate"]._relance_rate_tables()
        lookups = {kind: relance_penalty.rate_lookup(table) for kind, table in rate_tables.items()}
        notices = todo._relance_formal_notice_dates()
        indemnities = {}
        for company, moves in todo.grouped("company_id").items():
            moves = moves.with_company(company)
            for move in moves:
                currency = move.currency_id
                partner = move.commercial_partner_id
                consumer = partner.relance_is_consumer
                result = self._relance_penalty_result(currency, consumer)
                base, events = move._relance_penalty_events()
                precision = currency.rounding / 2
                result["base"] = currency.round(relance_penalty.unpaid_at(base, events, date))
                result["days_late"] = relance_penalty.days_late(
                    move.invoice_date_due, date, base, events, precision
                )
                results[move.id] = result
                if move.relance_penalty_waived or partner.relance_penalty_waived:
                    result["waived"] = True
                    continue
                if not result["days_late"]:
                    continue
                start = move.invoice_date_due
                if consumer:
                    notice = notices.get(move.id)
                    if not notice:
                        continue
                    start = max(start, notice)
                    kind, rate_for = "legal_interest", lookups["legal_interest"]
                elif partner.relance_penalty_rate > 0 or company.relance_penalty_rate > 0:
                    kind = "contract"
                    rate_for = relance_penalty.flat_rate(partner.relance_penalty_rate or company.relance_penalty_rate)
                else:
                    kind, rate_for = "legal", lookups["legal"]
                periods = relance_penalty.interest_periods(
                    start, date, base, events, rate_for, kind, precision
                )
                for period in periods:
                    period["base"] = currency.round(period["base"])
                    period["interest"] = currency.round(period["interest"])
                result["periods"] = periods
                result["interest"] = currency.round(sum(period["interest"] for period in periods))
                if kind != "contract":
                    result["warnings"] = self._relance_rate_warnings(periods, rate_tables[kind])
                if not consumer:
                    key = (company, currency)
                    if key not in indemnities:
                        indemnities[key] = company.currency_id._convert(
                            company.relance_indemnity_amount, currency, company, date
                        )
                    result["indemnity"] = indemnities[key]
                result["total"] = currency.round(result["interest"] + result["indemnity"])
        return results

    @api.model
    def _relance_penalty_result(self, currency, consumer):
        return {
            "days_late": 0, "currency": currency, "base": 0.0, "periods": [], "interest": 0.0,
            "indemnity": 0.0, "total": 0.0, "waived": False, "consumer": bool(consumer), "warnings": [],
        }

    def _relance_penalty_events(self):
        """``(amount, events)``: the invoice total (tax included, invoice currency) and its
        settlements as ``(date, amount)`` — payments and credit notes reconciled with it, at the
        date of the counterpart entry."""
        self.ensure_one()
        lines = self.line_ids.filtered(lambda line: line.account_type == "asset_receivable")
        events = [
            (partial.credit_move_id.date, partial.debit_amount_currency)
            for line in lines for partial in line.matched_credit_ids
            if partial.debit_amount_currency
        ]
        # A payment registered without a journal entry (no outstanding account) is not reconciled:
        # Odoo shows the invoice "in payment"; what it left open counts as paid on the payment date.
        pending = self.matched_payment_ids.filtered(lambda p: not p.move_id and p.state in ("in_process", "paid"))
        if pending and not self.currency_id.is_zero(self.amount_residual):
            events.append((max(pending.mapped("date")), self.amount_residual))
        return sum(lines.mapped("amount_currency")), events

    def _relance_half_year_label(self, code):
        """"2026-H1" in the user's words ("S1 2026" in French)."""
        year, half = code.split("-H")
        return self.env._("%(year)s-H%(half)s", year=year, half=half)

    def _relance_rate_warnings(self, periods, table):
        warnings = []
        label = self._relance_half_year_label
        for period in periods:
            if period["fallback"]:
                message = self.env._(
                    "No reference rate for %(half_year)s: the rate of %(fallback)s was used.",
                    half_year=label(period["half_year"]), fallback=label(period["fallback_half_year"]),
                )
            elif not table:
                message = self.env._(
                    "No reference rate for %(half_year)s: no interest was computed. Record the rates of the "
                    "half-year in the reference rates.",
                    half_year=label(period["half_year"]),
                )
            else:
                continue
            if message not in warnings:
                warnings.append(message)
        return warnings

    # ------------------------------------------------------------------
    # Penalty invoices: what was already charged, never twice
    # ------------------------------------------------------------------
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

    @api.depends("relance_penalty_line_ids.price_subtotal", "relance_penalty_line_ids.parent_state",
                 "relance_penalty_line_ids.relance_penalty_date_to")
    def _compute_relance_charged(self):
        for move in self:
            lines = move.relance_penalty_line_ids.filtered(lambda line: line.parent_state != "cancel")
            interest = lines.filtered(lambda line: line.relance_penalty_kind == "interest")
            move.relance_interest_charged = sum(interest.mapped("price_subtotal"))
            move.relance_penalty_charged_until = max(interest.mapped("relance_penalty_date_to"), default=False)
            move.relance_indemnity_charged = any(line.relance_penalty_kind == "indemnity" for line in lines)

    @api.depends("invoice_line_ids.relance_penalty_source_id")
    def _compute_relance_penalty_sources(self):
        for move in self:
            move.relance_penalty_source_ids = move.invoice_line_ids.relance_penalty_source_id

    @api.depends("invoice_line_ids.relance_penalty_source_id")
    def _compute_relance_is_penalty_invoice(self):
        for move in self:
            move.relance_is_penalty_invoice = bool(move.invoice_line_ids.relance_penalty_source_id)

    def _relance_penalties_to_charge(self, date):
        """What is still to invoice on ``date``: interest accrued since the last penalty invoice
        (cumulative interest less what was charged) and the indemnity if not charged yet."""
        results = self._relance_penalties_batch(date)
        to_charge = {}
        for move in self:
            result = results[move.id]
            currency = result["currency"]
            interest = currency.round(result["interest"] - move.relance_interest_charged)
            indemnity = 0.0 if move.relance_indemnity_charged else result["indemnity"]
            if currency.compare_amounts(interest, 0) > 0 or currency.compare_amounts(indemnity, 0) > 0:
                to_charge[move.id] = {
                    "interest": max(interest, 0.0), "indemnity": indemnity, "result": result,
                    "date_from": move.relance_penalty_charged_until or move.invoice_date_due,
                }
        return to_charge

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
    # Limitation (C. com. L110-4: 5 years; C. conso L218-2: 2 years)
    # ------------------------------------------------------------------
    relance_prescription_date = fields.Date(
        "Time-barred on", compute="_compute_relance_prescription_date", store=True,
        help="Date at which the claim becomes time-barred: 5 years after the due date between "
        "businesses, 2 years for a private customer.",
    )

    @api.depends("invoice_date_due", "move_type", "commercial_partner_id.relance_is_consumer")
    def _compute_relance_prescription_date(self):
        for move in self:
            if move.move_type != "out_invoice" or not move.invoice_date_due:
                move.relance_prescription_date = False
                continue
            years = 2 if move.commercial_partner_id.relance_is_consumer else 5
            move.relance_prescription_date = move.invoice_date_due + relativedelta(years=years)

    @api.model
    def _relance_prescription_domain(self, company, date=None):
        """Open invoices whose claim becomes time-barred within the company's warning period."""
        date = fields.Date.to_date(date or fields.Date.context_today(self))
        limit = date + relativedelta(months=company.relance_prescription_warning_months)
        return (self._relance_open_domain() & Domain("company_id", "=", company.id)
                & Domain("relance_prescription_date", "<=", limit))

    # ------------------------------------------------------------------
    # Credit hold: no new invoice for a customer on hold (see res.partner)
    # ------------------------------------------------------------------
    relance_credit_hold = fields.Boolean("Customer on credit hold", compute="_compute_relance_credit_hold")
    relance_hold_reason = fields.Char("Credit hold reason", compute="_compute_relance_credit_hold")

    @api.depends("commercial_partner_id", "company_id", "move_type", "state")
    def _compute_relance_credit_hold(self):
        for move in self:
            reason = move.state == "draft" and move._relance_credit_block_reason()
            move.relance_credit_hold = bool(reason)
            move.relance_hold_reason = reason or False

    def _relance_credit_block_reason(self):
        """Why this customer invoice may not be posted, or ``False``: its customer is on hold, or
        posting it would take the customer over its credit limit while the company blocks."""
        self.ensure_one()
        if self.move_type != "out_invoice" or self.relance_is_penalty_invoice or not self.commercial_partner_id:
            return False
        company = self.company_id
        reason = self.commercial_partner_id._relance_credit_block_reason(company)
        if not reason and company.relance_credit_limit_mode == "block" and company.account_use_credit_limit:
            # core's warning reads the customer's receivable, not stored and without dependencies
            self.commercial_partner_id.invalidate_recordset(["credit", "credit_to_invoice"])
            self.invalidate_recordset(["partner_credit_warning"])
            reason = self.partner_credit_warning
        return reason

    def _post(self, soft=True):
        self._relance_check_credit_hold()
        return super()._post(soft=soft)

    def _relance_check_credit_hold(self):
        if self.env.context.get("relance_hold_override") and self.env.user.has_group(
            "relance_impayes.relance_impayes_group_manager"
        ):
            return
        for company, moves in self.filtered(lambda m: m.move_type == "out_invoice").grouped("company_id").items():
            # one read for the batch: each customer is then read from the cache
            moves.commercial_partner_id.sudo().with_company(company).fetch(
                ["relance_credit_hold", "relance_hold_reason"])
        for move in self:
            reason = move._relance_credit_block_reason()
            if reason:
                raise UserError(self.env._(
                    "%(invoice)s cannot be posted: %(customer)s is on credit hold (%(reason)s). "
                    "A Relances manager can override the hold for this invoice.",
                    invoice=move.display_name, customer=move.commercial_partner_id.display_name, reason=reason,
                ))

    def action_relance_override_hold(self):
        """Managers post one invoice of a customer on hold, giving the reason (logged)."""
        self.ensure_one()
        return {
            "type": "ir.actions.act_window",
            "name": self.env._("Override credit hold"),
            "res_model": "relance.credit.hold",
            "view_mode": "form",
            "target": "new",
            "context": {
                "default_mode": "override", "default_partner_id": self.commercial_partner_id.id,
                "default_res_model": self._name, "default_res_id": self.id,
            },
        }

    def _relance_override_credit_hold(self, reason):
        """Post despite the hold, and say who did it and why: on the invoice and in the customer's history."""
        self.ensure_one()
        block = self._relance_credit_block_reason()
        self.with_context(relance_hold_override=True).action_post()
        summary = self.env._("Credit hold overridden for %(invoice)s by %(user)s: %(reason)s",
                             invoice=self.name, user=self.env.user.name, reason=reason)
        self.message_post(body=summary, subtype_xmlid="mail.mt_note")
        self.commercial_partner_id.with_company(self.company_id)._relance_credit_log(
            summary, body=self.env._("Hold: %(hold)s", hold=block) if block else None, moves=self)

    def _invoice_paid_hook(self):
        """A paid invoice may end a customer's hold: check at once rather than at the next daily run."""
        res = super()._invoice_paid_hook()
        for company, moves in self.filtered(lambda m: m.move_type == "out_invoice").grouped("company_id").items():
            held = moves.commercial_partner_id.with_company(company).sudo().filtered("relance_credit_hold")
            if held:
                self.env["res.partner"]._relance_update_credit_holds(company, held)
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
