from dateutil.relativedelta import relativedelta

from odoo import api, fields, models
from odoo.exceptions import ValidationError
from odoo.fields import Domain


class RelanceSegmentRule(models.Model):
    """Which policy a customer follows, by its payment behaviour.

    Rules are tried by sequence, the first that matches wins; a policy chosen on the customer
    always wins over them (see ``relance.policy._policies_for_partners``). The rule that matched
    is stored on the customer by the daily run, so the customer shows it and the decision reads
    it without recomputing anything.
    """

    _name = "relance.segment.rule"
    _description = "Customer segment rule"
    _order = "company_id, sequence, id"
    _check_company_auto = True

    name = fields.Char(required=True, translate=True)
    sequence = fields.Integer(default=10)
    active = fields.Boolean(default=True)
    company_id = fields.Many2one("res.company", required=True, default=lambda self: self.env.company, index=True)
    condition = fields.Selection(
        [
            ("new_customer", "New customer"),
            ("good_payer", "Good payer"),
            ("watch", "Payer to watch"),
            ("risky", "Risky payer"),
        ],
        required=True,
        default="new_customer",
        help="New customer: first invoice less than the given months ago, or fewer paid invoices than the "
        "given number. Good payer: risk class 'good payer' with at least the given number of paid invoices. "
        "Payer to watch, risky payer: the customer's risk class.",
    )
    months = fields.Integer(
        "First invoice less than (months)",
        default=6,
        help="New customer: the first invoice is more recent than this many months.",
    )
    invoice_count = fields.Integer(
        "Paid invoices",
        default=3,
        help="New customer: fewer paid invoices than this. Good payer: at least this many paid invoices.",
    )
    policy_id = fields.Many2one("relance.policy", "Policy", required=True, check_company=True, ondelete="cascade")
    partner_count = fields.Integer("Customers", compute="_compute_partner_count")
    note = fields.Text()

    @api.constrains("months", "invoice_count")
    def _check_params(self):
        for rule in self:
            if rule.months < 0 or rule.invoice_count < 0:
                raise ValidationError(self.env._("The months and the number of invoices of a rule cannot be negative."))

    def _compute_partner_count(self):
        partners = self.env["res.partner"]
        for rule in self:
            rule.partner_count = partners.with_company(rule.company_id).search_count(
                [("relance_segment_rule_id", "=", rule.id)]
            )

    def _matches(self, stats, risk_class, date):
        """Whether a customer with ``stats`` = ``(first invoice date, paid invoice count)`` and
        ``risk_class`` falls in this rule on ``date``."""
        self.ensure_one()
        first_date, paid_count = stats
        if self.condition == "new_customer":
            recent = not first_date or first_date > date - relativedelta(months=self.months)
            return recent or paid_count < self.invoice_count
        if self.condition == "good_payer":
            return risk_class == "good" and paid_count >= self.invoice_count
        return risk_class == self.condition

    @api.model
    def _relance_assign(self, company, date=None, partners=None):
        """Store on each customer of ``company`` the first rule it matches (or none). Customers
        whose rule changed get their next reminder dates recomputed.

        Set-based: one grouped query for the invoice history, one read of the risk classes.

        :return: ``{partner id: rule}`` of the customers whose rule changed
        """
        date = fields.Date.to_date(date or fields.Date.context_today(self))
        rules = self.search([("company_id", "=", company.id)])
        partner_model = self.env["res.partner"].sudo().with_company(company)
        moves = self.env["account.move"].sudo()
        domain = (
            Domain("company_id", "=", company.id)
            & Domain("move_type", "=", "out_invoice")
            & Domain("state", "=", "posted")
        )
        if partners is not None:
            domain &= Domain("commercial_partner_id", "in", partners.commercial_partner_id.ids)
        stats = {}
        for partner, payment_state, first_date, count in moves._read_group(
            domain, ["commercial_partner_id", "payment_state"], ["invoice_date:min", "__count"]
        ):
            first, paid = stats.get(partner.id, (None, 0))
            if first_date and (not first or first_date < first):
                first = first_date
            if payment_state in ("paid", "in_payment"):
                paid += count
            stats[partner.id] = (first, paid)
        assigned = Domain("relance_segment_rule_id", "!=", False)
        if partners is not None:
            assigned &= Domain("id", "in", partners.commercial_partner_id.ids)
        population = partner_model.browse(stats) | partner_model.search(assigned)
        population.fetch(["relance_risk_class", "relance_segment_rule_id"])
        changed = {}
        for partner in population:
            rule = next(
                (
                    rule
                    for rule in rules
                    if rule._matches(stats.get(partner.id, (None, 0)), partner.relance_risk_class, date)
                ),
                self.browse(),
            )
            if rule != partner.relance_segment_rule_id:
                changed[partner.id] = rule
        by_rule = {}
        for partner_id, rule in changed.items():
            by_rule.setdefault(rule, []).append(partner_id)
        for rule, partner_ids in by_rule.items():
            partner_model.browse(partner_ids).write({"relance_segment_rule_id": rule.id})
        if changed:
            self.env["relance.engine"]._refresh_next_dates(
                partner_model.browse(list(changed)), Domain("company_id", "=", company.id)
            )
        return changed

    @api.model_create_multi
    def create(self, vals_list):
        rules = super().create(vals_list)
        rules._relance_reassign()
        return rules

    def write(self, vals):
        companies = self.company_id
        res = super().write(vals)
        if {"condition", "months", "invoice_count", "sequence", "active", "company_id"} & set(vals):
            self._relance_reassign(companies | self.company_id)
        if "policy_id" in vals:
            # same customers, another ladder: their next reminder dates move
            for company, rules in self.grouped("company_id").items():
                partners = (
                    self.env["res.partner"]
                    .sudo()
                    .with_company(company)
                    .search([("relance_segment_rule_id", "in", rules.ids)])
                )
                self.env["relance.engine"]._refresh_next_dates(partners, Domain("company_id", "=", company.id))
        return res

    def unlink(self):
        companies = self.company_id
        res = super().unlink()
        self._relance_reassign(companies)
        return res

    def _relance_reassign(self, companies=None):
        """Rules changed: customers are assigned again at once, not at tomorrow's run."""
        for company in companies or self.company_id:
            self._relance_assign(company)

    def action_apply(self):
        """Assign the rules now (the daily run also does it after scoring the customers)."""
        self._relance_reassign(self.company_id or self.env.company)
        return True

    def action_open_partners(self):
        self.ensure_one()
        return {
            "type": "ir.actions.act_window",
            "name": self.name,
            "res_model": "res.partner",
            "view_mode": "list,form",
            "views": [(self.env.ref("relance_impayes.res_partner_view_list_relance").id, "list"), (False, "form")],
            "domain": [("relance_segment_rule_id", "=", self.id)],
        }
