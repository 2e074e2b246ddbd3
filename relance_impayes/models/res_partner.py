from odoo import api, fields, models
from odoo.exceptions import ValidationError
from odoo.fields import Domain


class ResPartner(models.Model):
    _inherit = "res.partner"

    relance_policy_id = fields.Many2one(
        "relance.policy", string="Dunning policy", company_dependent=True,
        help="Leave empty to follow the company's default policy.",
    )
    relance_manual = fields.Boolean(
        "Manual follow-up", company_dependent=True,
        help="Never remind this customer automatically: the accountant sends reminders by hand.",
    )
    relance_collector_id = fields.Many2one(
        "res.users", string="Collector", company_dependent=True,
        help="Person in charge of recovering this customer's invoices. Defaults to the salesperson.",
    )
    relance_level_id = fields.Many2one(
        "relance.level", string="Reminder level", compute="_compute_relance_status",
        help="Highest level reached among the customer's open invoices.",
    )
    relance_next_date = fields.Date("Next reminder", compute="_compute_relance_status")
    relance_overdue_amount = fields.Monetary(
        "Overdue", compute="_compute_relance_status", currency_field="relance_currency_id"
    )
    relance_due_amount = fields.Monetary(
        "Open invoices", compute="_compute_relance_status", currency_field="relance_currency_id"
    )
    relance_currency_id = fields.Many2one("res.currency", compute="_compute_relance_status")
    relance_prescription_warning = fields.Char(
        "Limitation", compute="_compute_relance_prescription_warning",
        help="Open invoices whose claim becomes time-barred soon (5 years between businesses, 2 years for "
        "a private customer, from the due date).",
    )
    relance_interaction_ids = fields.One2many("relance.interaction", "partner_id", string="Reminder history")
    relance_promise_kept_count = fields.Integer("Promises kept", compute="_compute_relance_promise_counts")
    relance_promise_broken_count = fields.Integer("Promises broken", compute="_compute_relance_promise_counts")
    relance_interaction_count = fields.Integer(compute="_compute_relance_interaction_count")
    relance_communication_ids = fields.One2many("relance.communication", "partner_id")

    def _relance_collector(self):
        """Who calls this customer: its collector, its salesperson, or the company default."""
        self.ensure_one()
        partner = self.commercial_partner_id
        return (
            partner.relance_collector_id or partner.user_id or self.env.company.relance_collector_id
            or self.env.user
        )

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
            date_deadline=deadline, summary=summary, note=note,
            user_id=(user or self._relance_collector()).id,
            relance_priority=partner._relance_call_priority(deadline),
        )

    def _relance_call_priority(self, date):
        """Amount overdue × days late of the oldest overdue invoice: who to call first."""
        self.ensure_one()
        moves = self.env["account.move"]
        overdue = moves._read_group(
            moves._relance_open_domain() & Domain("commercial_partner_id", "=", self.commercial_partner_id.id)
            & Domain("invoice_date_due", "<", date),
            [], ["amount_residual_signed:sum", "invoice_date_due:min"])
        amount, oldest = overdue[0] if overdue else (0.0, False)
        return (amount or 0.0) * ((date - oldest).days if oldest else 0)

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
        overdue = dict(moves._read_group(
            base & Domain("invoice_date_due", "<", today), ["commercial_partner_id"], ["amount_residual_signed:sum"]
        ))
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
        moves = self.env["account.move"]
        domain = moves._relance_prescription_domain(self.env.company) & Domain(
            "commercial_partner_id", "in", self.commercial_partner_id.ids)
        first = {partner: (count, date) for partner, count, date in moves._read_group(
            domain, ["commercial_partner_id"], ["__count", "relance_prescription_date:min"])}
        for partner in self:
            count, date = first.get(partner.commercial_partner_id, (0, False))
            partner.relance_prescription_warning = count and self.env._(
                "%(count)s invoice(s) time-barred from %(date)s",
                count=count, date=fields.Date.to_string(date)) or False

    def _compute_relance_promise_counts(self):
        counts = {(partner, state): count for partner, state, count in self.env["relance.promise"]._read_group(
            [("partner_id", "in", self.commercial_partner_id.ids), ("state", "in", ("kept", "broken"))],
            ["partner_id", "state"], ["__count"])}
        for partner in self:
            cp = partner.commercial_partner_id
            partner.relance_promise_kept_count = counts.get((cp, "kept"), 0)
            partner.relance_promise_broken_count = counts.get((cp, "broken"), 0)

    def _relance_open_negotiation(self, model):
        """Form of a new promise, plan or dispute for this customer, on its overdue invoices."""
        self.ensure_one()
        partner = self.commercial_partner_id
        moves = self.env["account.move"].search(
            self.env["account.move"]._relance_open_domain() & Domain("commercial_partner_id", "=", partner.id)
            & Domain("company_id", "=", self.env.company.id)
            & Domain("invoice_date_due", "<", fields.Date.context_today(self)))
        return {
            "type": "ir.actions.act_window", "res_model": model, "view_mode": "form", "target": "current",
            "context": {"default_partner_id": partner.id, "default_move_ids": moves.ids,
                        "default_amount": sum(moves.mapped("amount_residual_signed"))},
        }

    def action_relance_promise(self):
        return self._relance_open_negotiation("relance.promise")

    def action_relance_payment_plan(self):
        return self._relance_open_negotiation("relance.payment.plan")

    def action_relance_dispute(self):
        return self._relance_open_negotiation("relance.dispute")

    def _compute_relance_interaction_count(self):
        counts = dict(self.env["relance.interaction"]._read_group(
            [("partner_id", "in", self.commercial_partner_id.ids)], ["partner_id"], ["__count"]
        ))
        for partner in self:
            partner.relance_interaction_count = counts.get(partner.commercial_partner_id, 0)

    def write(self, vals):
        res = super().write(vals)
        if "relance_policy_id" in vals:
            moves = self.env["account.move"].sudo().search(
                self.env["account.move"]._relance_open_domain()
                & Domain("commercial_partner_id", "in", self.commercial_partner_id.ids)
            )
            self.env.add_to_compute(moves._fields["relance_next_date"], moves)
            self.env.add_to_compute(moves._fields["relance_next_level_id"], moves)
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
        action["domain"] = Domain("commercial_partner_id", "=", self.commercial_partner_id.id) & self.env[
            "account.move"
        ]._relance_open_domain()
        action["context"] = {"search_default_group_by_relance_level": 1, "create": False}
        return action

    @api.model
    def action_relance_todo(self):
        """The accountant's *To do*: customers with something due today, first the largest."""
        moves = self.env["account.move"]
        decisions = moves._relance_decide(self.env.company)
        partner_ids = [d.partner_id for d in decisions if d.skip_reason in (None, "manual")]
        time_barred = moves._read_group(
            moves._relance_prescription_domain(self.env.company), ["commercial_partner_id"])
        partner_ids += [partner.id for (partner,) in time_barred if partner.id not in partner_ids]
        action = self.env["ir.actions.act_window"]._for_xml_id("relance_impayes.res_partner_action_relance_todo")
        action["domain"] = [("id", "in", partner_ids)]
        return action

    # ------------------------------------------------------------------
    # Late-payment penalties
    # ------------------------------------------------------------------
    relance_penalty_rate = fields.Float(
        "Late-payment penalty rate (%)", digits=(16, 2), company_dependent=True, tracking=True,
        help="Annual late-payment rate agreed with this customer. 0 applies the company's rate, or the legal "
        "default (ECB rate + 10 points). It cannot be lower than 3 times the legal interest rate.",
    )
    relance_is_consumer = fields.Boolean(
        "Private individual", tracking=True,
        help="The customer is a consumer (B2C): no late-payment penalties nor recovery indemnity, only legal "
        "interest from the formal notice.",
    )
    relance_penalty_waived = fields.Boolean(
        "Penalties waived", company_dependent=True, tracking=True,
        help="No late-payment penalty nor recovery indemnity is claimed from this customer.",
    )
    relance_penalty_waive_reason = fields.Char(
        "Reason for waiving penalties", company_dependent=True, tracking=True,
    )
    relance_penalty_total = fields.Monetary(
        "Penalties due", compute="_compute_relance_penalty_total", currency_field="relance_currency_id",
        help="Late-payment interest and recovery indemnities accrued on the customer's open overdue invoices.",
    )

    @api.constrains("relance_penalty_rate")
    def _check_relance_penalty_rate(self):
        for partner in self:
            self.env["relance.rate"]._relance_check_contract_rate(partner.relance_penalty_rate, partner.display_name)

    @api.constrains("relance_penalty_waived", "relance_penalty_waive_reason")
    def _check_relance_penalty_waive_reason(self):
        for partner in self:
            if partner.relance_penalty_waived and not (partner.relance_penalty_waive_reason or "").strip():
                raise ValidationError(self.env._(
                    "Give a reason to waive the late-payment penalties of %(partner)s.", partner=partner.display_name
                ))

    @api.depends_context("company", "relance_date")
    def _compute_relance_penalty_total(self):
        summaries = self._relance_penalty_summaries(self.env.context.get("relance_date"))
        for partner in self:
            partner.relance_penalty_total = summaries[partner.commercial_partner_id.id]["total"]

    def _relance_penalty_summary(self, date=None):
        """Penalties of the customer's open overdue invoices in the current company on ``date``:
        ``{'interest', 'indemnity', 'total', 'count', 'currency'}`` in company currency."""
        self.ensure_one()
        return self._relance_penalty_summaries(date)[self.commercial_partner_id.id]

    def _relance_penalty_summaries(self, date=None):
        company = self.env.company
        date = fields.Date.to_date(date or self.env.context.get("relance_date") or fields.Date.context_today(self))
        commercial = self.commercial_partner_id
        summaries = {
            partner.id: {"interest": 0.0, "indemnity": 0.0, "total": 0.0, "count": 0, "currency": company.currency_id}
            for partner in commercial
        }
        Move = self.env["account.move"]
        if not commercial or not Move.has_access("read"):
            return summaries
        moves = Move.search(
            Domain("company_id", "=", company.id)
            & Move._relance_open_domain()
            & Domain("commercial_partner_id", "in", commercial.ids)
            & Domain("invoice_date_due", "<", date)
        )
        results = moves._relance_penalties_batch(date)
        for move in moves:
            result = results[move.id]
            summary = summaries[move.commercial_partner_id.id]
            interest = result["interest"]
            if interest and move.currency_id != company.currency_id:
                interest = move.currency_id._convert(interest, company.currency_id, company, date)
            summary["interest"] += interest
            # the indemnity is set in company currency: no round trip through the invoice currency
            summary["indemnity"] += company.relance_indemnity_amount if result["indemnity"] else 0.0
            summary["count"] += 1
        for summary in summaries.values():
            currency = summary["currency"]
            summary["interest"] = currency.round(summary["interest"])
            summary["indemnity"] = currency.round(summary["indemnity"])
            summary["total"] = currency.round(summary["interest"] + summary["indemnity"])
        return summaries
