from odoo import api, fields, models
from odoo.exceptions import UserError
from odoo.fields import Domain

from ..models.relance_promise import OPEN_INVOICES_OF_PARTNER


class RelanceSend(models.TransientModel):
    """Prepare a reminder by hand, at any level, for one customer.

    It creates a manual communication holding the rendered email, which the accountant
    previews, edits and sends from the reminder form: the same execute path as the cron.
    """

    _name = "relance.send"
    _description = "Send a reminder"
    _check_company_auto = True

    company_id = fields.Many2one("res.company", required=True, default=lambda self: self.env.company)
    partner_id = fields.Many2one("res.partner", "Customer", required=True, check_company=True)
    policy_id = fields.Many2one("relance.policy", compute="_compute_policy_id")
    level_id = fields.Many2one(
        "relance.level",
        required=True,
        compute="_compute_level_and_moves",
        store=True,
        readonly=False,
        domain="[('policy_id', '=', policy_id)]",
    )
    move_ids = fields.Many2many(
        "account.move",
        string="Invoices",
        compute="_compute_level_and_moves",
        store=True,
        readonly=False,
        domain=OPEN_INVOICES_OF_PARTNER,
    )

    @api.model_create_multi
    def create(self, vals_list):
        """Created without the form (``{"company_id", "partner_id"}``): the level and invoices are
        what the engine would send today, as the form shows them; a customer for whom no level can
        be found is refused with a clear message, before anything is written."""
        for vals in vals_list:
            if vals.get("level_id") or not vals.get("partner_id"):
                continue
            draft = self.new(vals)
            if not draft.level_id:
                raise UserError(
                    self.env._(
                        "No reminder level applies to %(customer)s: give the customer a dunning policy with levels, "
                        "or choose the level.",
                        customer=draft.partner_id.display_name,
                    )
                )
            vals["level_id"] = draft.level_id.id
            if "move_ids" not in vals:
                vals["move_ids"] = [fields.Command.set(draft.move_ids.ids)]
        return super().create(vals_list)

    @api.depends("partner_id", "company_id")
    def _compute_policy_id(self):
        for wizard in self:
            partner = wizard.partner_id.commercial_partner_id
            policies = self.env["relance.policy"]._policies_for_partners(partner, wizard.company_id)
            wizard.policy_id = policies.get(partner.id)

    @api.depends("partner_id", "company_id")
    def _compute_level_and_moves(self):
        """What the engine would send today: its level and its invoices (one decision)."""
        for wizard in self:
            decision = wizard._decision()
            level = self.env["relance.level"].browse(decision.level_id) if decision else False
            wizard.level_id = level or wizard.partner_id.relance_level_id or wizard.policy_id._ladder()[:1]
            wizard.move_ids = [fields.Command.set([step.move_id for step in decision.steps] if decision else [])]

    def _decision(self):
        if not self.partner_id:
            return None
        decisions = self.env["relance.engine"]._decide(self.company_id, partners=self.partner_id.commercial_partner_id)
        return decisions[0] if decisions else None

    def action_prepare(self):
        """Create the manual reminder and open it to preview, edit and send."""
        self.ensure_one()
        moves = self.move_ids.filtered_domain(self.env["relance.engine"]._open_domain())
        if not moves:
            raise UserError(self.env._("Select at least one open invoice of this customer to remind."))
        partner = self.partner_id.commercial_partner_id
        if moves.commercial_partner_id != partner:
            raise UserError(self.env._("All invoices must belong to %(customer)s.", customer=partner.display_name))
        today = fields.Date.context_today(self)
        decision = self.env["relance.engine"]._manual_decision(self.company_id, self.level_id, moves, today)
        communications = self.env["relance.communication"]
        communications.search(
            Domain("company_id", "=", self.company_id.id)
            & Domain("partner_id", "=", partner.id)
            & Domain("state", "in", ("draft", "to_validate", "failed"))
        ).action_cancel()
        comm = communications.create(communications._prepare_vals(self.company_id, decision, today, origin="manual"))
        if self.level_id.action_email:
            comm.subject, comm.body_html = comm._render_email()
        return {
            "type": "ir.actions.act_window",
            "res_model": "relance.communication",
            "res_id": comm.id,
            "view_mode": "form",
            "target": "current",
        }
