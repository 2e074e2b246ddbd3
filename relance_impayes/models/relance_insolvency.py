"""Insolvency of a customer: sauvegarde, redressement or liquidation judiciaire (C. com. livre VI).

From the opening judgment the invoices dated before it are frozen: no reminder (L622-7 forbids
their payment), no penalty nor indemnity accruing after the judgment (L622-28), and the claim is
declared to the mandataire judiciaire (or liquidateur) within two months of the BODACC
publication (L622-24, R622-24). Invoices dated from the judgment on follow the normal rules
(L622-17). The rules plug into the engine's exclusion reasons, the penalty service's accrual end
and the credit hold's causes; nothing else knows about insolvency.
"""

from dateutil.relativedelta import relativedelta

from odoo import api, fields, models
from odoo.exceptions import UserError, ValidationError
from odoo.fields import Domain
from odoo.tools import format_date

KINDS = [
    ("sauvegarde", "Safeguard (sauvegarde)"),
    ("redressement", "Receivership (redressement judiciaire)"),
    ("liquidation", "Compulsory liquidation (liquidation judiciaire)"),
]


class RelanceInsolvency(models.Model):
    _name = "relance.insolvency"
    _description = "Insolvency procedure of a customer"
    _inherit = ["mail.thread", "mail.activity.mixin"]
    _order = "judgment_date desc, id desc"
    _check_company_auto = True

    # the manager's to-do falls this many days before the declaration deadline
    TODO_DAYS_BEFORE = 15

    partner_id = fields.Many2one(
        "res.partner",
        "Customer",
        required=True,
        index=True,
        tracking=True,
        ondelete="restrict",
        domain=[("parent_id", "=", False)],
    )
    company_id = fields.Many2one("res.company", required=True, default=lambda self: self.env.company, index=True)
    currency_id = fields.Many2one(related="company_id.currency_id")
    kind = fields.Selection(KINDS, "Procedure", required=True, default="redressement", tracking=True)
    judgment_date = fields.Date(
        "Judgment date",
        required=True,
        tracking=True,
        help="Date of the opening judgment: the invoices dated before it are frozen.",
    )
    court = fields.Char("Court", required=True, tracking=True, help="e.g. Tribunal de commerce de Lyon")
    case_number = fields.Char("Case number", tracking=True, help="Number (RG) of the case at the court registry.")
    mandataire_id = fields.Many2one(
        "res.partner",
        "Mandataire judiciaire or liquidateur",
        tracking=True,
        check_company=True,
        help="Court officer to whom the claim is declared.",
    )
    bodacc_date = fields.Date(
        "BODACC publication",
        tracking=True,
        help="Publication of the judgment in the BODACC: the 2-month deadline runs from it.",
    )
    claim_deadline = fields.Date(
        "Claim declaration deadline",
        compute="_compute_claim_deadline",
        store=True,
        help="BODACC publication + 2 months (C. com. L622-24, R622-24). A late claim is not admitted.",
    )
    state = fields.Selection(
        [("open", "Open"), ("declared", "Claim declared"), ("closed", "Closed")],
        required=True,
        default="open",
        tracking=True,
        copy=False,
    )
    retention_of_title = fields.Text(
        "Retention of title", help="Goods sold with a retention-of-title clause, claimed in the declaration."
    )
    declaration_date = fields.Date("Declaration sent on", readonly=True, copy=False)
    declaration_attachment_id = fields.Many2one("ir.attachment", "Claim declaration", readonly=True, copy=False)
    move_ids = fields.One2many("account.move", "relance_insolvency_id", "Invoices before the judgment", readonly=True)
    note = fields.Html()

    _one_open_per_customer = models.UniqueIndex(
        "(partner_id, company_id) WHERE state != 'closed'",
        "A customer has at most one open insolvency procedure per company.",
    )

    @api.depends("kind", "partner_id", "judgment_date")
    def _compute_display_name(self):
        labels = dict(self._fields["kind"]._description_selection(self.env))
        for procedure in self:
            procedure.display_name = self.env._(
                "%(kind)s of %(customer)s (%(date)s)",
                kind=labels.get(procedure.kind, ""),
                customer=procedure.partner_id.name or "",
                date=format_date(self.env, procedure.judgment_date),
            )

    @api.depends("bodacc_date")
    def _compute_claim_deadline(self):
        for procedure in self:
            procedure.claim_deadline = procedure._claim_deadline(procedure.bodacc_date)

    @api.model
    def _claim_deadline(self, bodacc_date):
        """Last day to declare a claim: 2 months from the BODACC publication of the opening judgment
        (C. com. L622-24, R622-24)."""
        return bodacc_date and bodacc_date + relativedelta(months=2)

    # ------------------------------------------------------------------
    # Bad input: refused with a clear message, nothing changed
    # ------------------------------------------------------------------
    @api.constrains("judgment_date")
    def _check_judgment_date(self):
        today = fields.Date.context_today(self)
        for procedure in self:
            if procedure.judgment_date > today:
                raise ValidationError(
                    self.env._(
                        "The judgment date (%(date)s) is in the future: record the procedure once the court has "
                        "ruled, with the date of the opening judgment.",
                        date=format_date(self.env, procedure.judgment_date),
                    )
                )

    @api.constrains("judgment_date", "bodacc_date")
    def _check_bodacc_date(self):
        for procedure in self:
            if procedure.bodacc_date and procedure.bodacc_date < procedure.judgment_date:
                raise ValidationError(
                    self.env._(
                        "The BODACC publication (%(bodacc)s) cannot come before the judgment it publishes "
                        "(%(judgment)s).",
                        bodacc=format_date(self.env, procedure.bodacc_date),
                        judgment=format_date(self.env, procedure.judgment_date),
                    )
                )

    def _check_one_open(self, partner_id, company_id):
        """One open procedure per customer and company. Checked before the database's unique index
        would refuse the row, so that the person reads why."""
        partner = self.env["res.partner"].browse(partner_id)
        company = self.env["res.company"].browse(company_id)
        other = self.sudo().search(
            [
                ("id", "not in", self.ids),
                ("partner_id", "=", partner.id),
                ("company_id", "=", company.id),
                ("state", "!=", "closed"),
            ],
            limit=1,
        )
        if other:
            raise ValidationError(
                self.env._(
                    "%(customer)s already has an open insolvency procedure in %(company)s (%(procedure)s): "
                    "close it before recording another one.",
                    customer=partner.display_name,
                    company=company.name,
                    procedure=other.sudo().display_name,
                )
            )

    # ------------------------------------------------------------------
    # Effects: credit hold, the manager's to-do
    # ------------------------------------------------------------------
    @api.model_create_multi
    def create(self, vals_list):
        partner_model = self.env["res.partner"]
        for vals in vals_list:
            if vals.get("partner_id"):
                vals["partner_id"] = partner_model.browse(vals["partner_id"]).commercial_partner_id.id
            if vals.get("state", "open") != "closed":
                self.browse()._check_one_open(vals.get("partner_id"), vals.get("company_id") or self.env.company.id)
        procedures = super().create(vals_list)
        procedures._apply_effects()
        return procedures

    def write(self, vals):
        if vals.get("partner_id"):
            vals["partner_id"] = self.env["res.partner"].browse(vals["partner_id"]).commercial_partner_id.id
        if vals.keys() & {"partner_id", "company_id", "state"}:
            for procedure in self:
                if vals.get("state", procedure.state) != "closed":
                    procedure._check_one_open(
                        vals.get("partner_id", procedure.partner_id.id), vals.get("company_id", procedure.company_id.id)
                    )
        before = self.partner_id
        result = super().write(vals)
        if vals.keys() & {"partner_id", "company_id", "state", "judgment_date", "bodacc_date", "kind", "court"}:
            self._apply_effects(before)
        return result

    @api.ondelete(at_uninstall=False)
    def _unlink_only_undeclared(self):
        if self.filtered(lambda p: p.state != "open" or p.declaration_date):
            raise UserError(
                self.env._("A procedure whose claim was declared is part of the customer's history: close it instead.")
            )

    def unlink(self):
        partners_by_company = [(p.company_id, p.partner_id) for p in self]
        result = super().unlink()
        for company, partner in partners_by_company:
            self.env["relance.credit"].with_company(company)._update_holds(company, partner)
        return result

    def _apply_effects(self, other_partners=None):
        """Hold or release the customers (the procedure is a cause of hold while not closed), and
        keep the manager's to-do in step with the deadline."""
        credit = self.env["relance.credit"]
        for procedure in self:
            company = procedure.company_id
            partners = procedure.partner_id | (other_partners or self.env["res.partner"])
            credit.with_company(company)._update_holds(company, partners)
            procedure._schedule_declaration_todo()

    def _todo_type(self):
        return self.env.ref("mail.mail_activity_data_todo")

    def _schedule_declaration_todo(self):
        """A to-do for the collector (else the manager recording it) before the declaration deadline."""
        self.ensure_one()
        todo = self.activity_ids.filtered(lambda a: a.activity_type_id == self._todo_type())
        if self.state != "open" or not self.claim_deadline:
            todo.unlink()
            return
        today = fields.Date.context_today(self)
        deadline = max(today, self.claim_deadline - relativedelta(days=self.TODO_DAYS_BEFORE))
        if todo:
            todo.date_deadline = deadline
            return
        user = self.partner_id.with_company(self.company_id)._relance_collector()
        self.activity_schedule(
            activity_type_id=self._todo_type().id,
            date_deadline=deadline,
            summary=self.env._("Declare the claim before %(date)s", date=format_date(self.env, self.claim_deadline)),
            note=self.env._(
                "Send the claim declaration to the mandataire judiciaire before %(date)s (2 months from the BODACC "
                "publication, C. com. L622-24, R622-24): a late claim is not admitted.",
                date=format_date(self.env, self.claim_deadline),
            ),
            user_id=user.id,
        )

    # ------------------------------------------------------------------
    # The rules the other rooms call
    # ------------------------------------------------------------------
    @api.model
    def _covering(self, moves):
        """``{move id: procedure}``: for each customer invoice, the first procedure of its customer in
        its company opened after the invoice date (the invoice is an earlier claim of it)."""
        invoices = moves.filtered(lambda m: m.move_type == "out_invoice" and m.invoice_date)
        if not invoices:
            return {}
        procedures = self.sudo().search(
            [("partner_id", "in", invoices.commercial_partner_id.ids)], order="judgment_date, id"
        )
        by_key = procedures.grouped(lambda p: (p.partner_id.id, p.company_id.id))
        covering = {}
        for move in invoices:
            for procedure in by_key.get((move.commercial_partner_id.id, move.company_id.id), ()):
                if move.invoice_date < procedure.judgment_date:
                    covering[move.id] = procedure
                    break
        return covering

    @api.model
    def _cause_reason(self, procedure):
        labels = dict(self._fields["kind"]._description_selection(self.env))
        return self.env._(
            "%(kind)s opened on %(date)s by the %(court)s",
            kind=labels[procedure.kind],
            date=format_date(self.env, procedure.judgment_date),
            court=procedure.court,
        )

    # ------------------------------------------------------------------
    # Buttons
    # ------------------------------------------------------------------
    def action_close(self):
        """The procedure ended (plan adopted, liquidation closed...): the hold it caused is lifted
        if nothing else holds the customer; the earlier invoices stay out of reminders."""
        self.check_access("write")
        self.write({"state": "closed"})
        return True

    def action_reopen(self):
        self.check_access("write")
        for procedure in self:
            procedure.write({"state": "declared" if procedure.declaration_date else "open"})
        return True

    def action_print_declaration(self):
        return self.env.ref("relance_impayes.action_report_declaration_creance").report_action(self)


class RelanceEngine(models.AbstractModel):
    _inherit = "relance.engine"

    @api.model
    def _exclusion_reasons(self, date):
        """An invoice dated before its customer's opening judgment is never reminded: its payment is
        forbidden (C. com. L622-7); the claim is declared instead (L622-24)."""
        return [
            *super()._exclusion_reasons(date),
            (
                "insolvency",
                self.env._("Claim prior to an insolvency judgment"),
                Domain("relance_insolvency_id", "!=", False),
            ),
        ]


class RelancePenalty(models.AbstractModel):
    _inherit = "relance.penalty"

    @api.model
    def _accrual_end(self, move, date):
        """Interest and penalties of an invoice dated before its customer's opening judgment stop
        running at the judgment date (C. com. L622-28): they accrue up to that day at most."""
        end = super()._accrual_end(move, date)
        judgment = move.sudo().relance_insolvency_id.judgment_date
        return min(end, judgment) if judgment else end


class RelanceCredit(models.AbstractModel):
    _inherit = "relance.credit"

    @api.model
    def _causes(self, company, only=None):
        """A customer under an insolvency procedure that is not closed is on hold; it wins over the
        other causes (its reason is the one the documents show)."""
        return super()._causes(company, only) | self._insolvency_causes(company, only)

    @api.model
    def _insolvency_causes(self, company, only=None):
        """``{partner id: ('insolvency', reason)}``: customers of ``company`` with a procedure not closed."""
        domain = Domain("company_id", "=", company.id) & Domain("state", "!=", "closed")
        if only is not None:
            domain &= Domain("partner_id", "in", only)
        procedures = self.env["relance.insolvency"].sudo().with_company(company).search(domain)
        insolvency = self.env["relance.insolvency"].with_company(company)
        return {p.partner_id.id: ("insolvency", insolvency._cause_reason(p)) for p in procedures}


class AccountMove(models.Model):
    _inherit = "account.move"

    relance_insolvency_id = fields.Many2one(
        "relance.insolvency",
        "Insolvency procedure",
        compute="_compute_relance_insolvency_id",
        store=True,
        index="btree_not_null",
        readonly=True,
        copy=False,
        help="The customer's insolvency procedure opened after this invoice: it is declared, not reminded, "
        "and bears no penalty after the judgment.",
    )

    @api.depends(
        "move_type",
        "invoice_date",
        "company_id",
        "commercial_partner_id",
        "commercial_partner_id.relance_insolvency_ids.judgment_date",
        "commercial_partner_id.relance_insolvency_ids.company_id",
    )
    def _compute_relance_insolvency_id(self):
        covering = self.env["relance.insolvency"]._covering(self)
        for move in self:
            move.relance_insolvency_id = covering.get(move.id, False)

    @api.depends("relance_insolvency_id")
    def _compute_relance_next_date(self):
        return super()._compute_relance_next_date()


class ResPartner(models.Model):
    _inherit = "res.partner"

    relance_hold_cause = fields.Selection(
        selection_add=[("insolvency", "Insolvency procedure")], ondelete={"insolvency": "set null"}
    )
    relance_insolvency_ids = fields.One2many("relance.insolvency", "partner_id", "Insolvency procedures")
    relance_insolvency_count = fields.Integer("Insolvency", compute="_compute_relance_insolvency")
    relance_insolvency_id = fields.Many2one(
        "relance.insolvency", "Open insolvency procedure", compute="_compute_relance_insolvency"
    )

    @api.depends_context("company")
    @api.depends("relance_insolvency_ids.state", "relance_insolvency_ids.company_id")
    def _compute_relance_insolvency(self):
        company = self.env.company
        for partner in self:
            procedures = partner.commercial_partner_id.relance_insolvency_ids.filtered(
                lambda p: p.company_id == company
            )
            partner.relance_insolvency_count = len(procedures)
            partner.relance_insolvency_id = procedures.filtered(lambda p: p.state != "closed")[:1]

    def action_relance_insolvency(self):
        """The customer's open procedure, or a new one to record."""
        self.ensure_one()
        partner = self.commercial_partner_id
        action = {
            "type": "ir.actions.act_window",
            "name": self.env._("Insolvency procedure"),
            "res_model": "relance.insolvency",
            "view_mode": "form",
            "target": "current",
            "context": {"default_partner_id": partner.id},
        }
        if partner.relance_insolvency_id:
            action["res_id"] = partner.relance_insolvency_id.id
        return action

    def action_relance_insolvency_list(self):
        self.ensure_one()
        return {
            "type": "ir.actions.act_window",
            "name": self.env._("Insolvency procedures"),
            "res_model": "relance.insolvency",
            "view_mode": "list,form",
            "domain": [("partner_id", "=", self.commercial_partner_id.id)],
            "context": {"default_partner_id": self.commercial_partner_id.id},
        }


class RelanceInteraction(models.Model):
    _inherit = "relance.interaction"

    kind = fields.Selection(
        selection_add=[("claim_declaration", "Claim declaration")], ondelete={"claim_declaration": "cascade"}
    )
