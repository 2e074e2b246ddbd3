from odoo import api, fields, models
from odoo.exceptions import ValidationError


class RelancePolicy(models.Model):
    """An ordered ladder of reminder levels.

    A company has a default policy (``res.company.relance_policy_id``); a customer may have its
    own (``res.partner.relance_policy_id``, company-dependent). ``_policies_for_partners`` is
    the one place that decides which policy applies, so later rules (segments) extend it.
    """

    _name = "relance.policy"
    _description = "Dunning policy"
    _order = "company_id, sequence, id"
    _check_company_auto = True

    name = fields.Char(required=True, translate=True)
    sequence = fields.Integer(default=10)
    active = fields.Boolean(default=True)
    company_id = fields.Many2one("res.company", required=True, default=lambda self: self.env.company, index=True)
    level_ids = fields.One2many("relance.level", "policy_id", string="Levels", copy=True)
    level_count = fields.Integer(compute="_compute_level_count")
    note = fields.Html(translate=True)

    @api.depends("level_ids")
    def _compute_level_count(self):
        for policy in self:
            policy.level_count = len(policy.level_ids)

    def _ladder(self):
        """Active levels in escalation order (by delay, then sequence)."""
        self.ensure_one()
        return self.level_ids.filtered("active").sorted(lambda lvl: (lvl.delay, lvl.sequence, lvl.id))

    @api.model
    def _policies_for_partners(self, partners, company):
        """Map each commercial partner id to the policy that governs it in ``company``.

        The customer's own policy wins, then the policy of its segment rule (assigned by the daily
        run, see ``relance.segment.rule``), else the company default. A customer's policy of
        another company (written around :meth:`_check_partner_policy_company`) is ignored."""
        partners = partners.with_company(company)
        partners.fetch(["relance_policy_id", "relance_segment_rule_id"])
        default = company.relance_policy_id
        # 10,000 customers share a handful of policies and rules: each one is judged once
        own_policy, rule_policy, result = {}, {}, {}
        for partner in partners:
            own, rule = partner.relance_policy_id, partner.relance_segment_rule_id
            if own and own.id not in own_policy:
                own_policy[own.id] = own.filtered(lambda p: p.company_id == company)
            if rule and rule.id not in rule_policy:
                rule_policy[rule.id] = rule.filtered("active").policy_id
            result[partner.id] = (own and own_policy[own.id]) or (rule and rule_policy[rule.id]) or default
        return result

    @api.model
    def _check_partner_policy_company(self, partners):
        """A customer's own policy belongs to the company it is set for (the field is
        company-dependent: the company of the environment that writes it)."""
        company = self.env.company
        for partner in partners:
            policy = partner.sudo().relance_policy_id
            if policy and policy.company_id != company:
                raise ValidationError(
                    self.env._(
                        "The dunning policy %(policy)s belongs to %(policy_company)s: it cannot govern "
                        "%(customer)s in %(company)s. Choose a policy of %(company)s.",
                        policy=policy.display_name,
                        policy_company=policy.company_id.display_name,
                        customer=partner.display_name,
                        company=company.display_name,
                    )
                )

    def write(self, vals):
        res = super().write(vals)
        if "active" in vals:
            self.env["relance.engine"]._refresh_next_dates(self.company_id)
        return res
