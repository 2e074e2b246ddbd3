from dateutil.relativedelta import relativedelta

from odoo import api, fields, models
from odoo.exceptions import AccessError, UserError, ValidationError
from odoo.fields import Domain
from odoo.tools import format_amount

from .relance_promise import OPEN_INVOICES_OF_PARTNER


class RelancePaymentPlan(models.Model):
    """An instalment schedule (échéancier) for what a customer owes.

    While active, its invoices leave the normal ladder; each instalment has its own courtesy
    notice and reminder. Payments are allocated to instalments oldest first. An instalment late
    by more than the company's tolerance breaks the plan: escalation resumes where it stopped,
    or at the level chosen on the plan.
    """

    _name = "relance.payment.plan"
    _description = "Payment plan"
    _inherit = ["relance.negotiation.mixin", "mail.thread"]
    _order = "id desc"
    _check_company_auto = True

    name = fields.Char(compute="_compute_name", store=True)
    move_ids = fields.Many2many(
        "account.move",
        "relance_payment_plan_account_move_rel",
        "plan_id",
        "move_id",
        string="Invoices",
        required=True,
        check_company=True,
        domain=OPEN_INVOICES_OF_PARTNER,
    )
    line_ids = fields.One2many("relance.payment.plan.line", "plan_id", string="Instalments", copy=True)
    state = fields.Selection(
        [("draft", "Draft"), ("active", "Active"), ("done", "Paid"), ("broken", "Broken"), ("cancelled", "Cancelled")],
        default="draft",
        required=True,
        tracking=True,
        index=True,
        readonly=True,
    )
    include_penalties = fields.Boolean(
        "Include penalties accrued", help="Add the late-payment penalties and indemnities accrued today."
    )
    penalty_policy = fields.Selection(
        [("run", "Penalties keep running"), ("waived", "Penalties waived")],
        default="run",
        required=True,
        tracking=True,
    )
    amount_due = fields.Monetary("Amount to schedule", compute="_compute_amount_due", store=True, readonly=False)
    amount_total = fields.Monetary("Scheduled", compute="_compute_amount_total", store=True)
    installment_count = fields.Integer("Number of instalments", default=3)
    frequency = fields.Selection([("week", "Weekly"), ("month", "Monthly")], default="month", required=True)
    first_date = fields.Date(
        "First instalment", default=lambda self: fields.Date.context_today(self) + relativedelta(months=1)
    )
    notice_days = fields.Integer("Notice before each instalment (days)", default=3)
    break_days = fields.Integer(
        "Days late before the plan breaks", default=lambda self: self.env.company.relance_plan_break_days
    )
    resume_level_id = fields.Many2one(
        "relance.level",
        "Resume at level",
        check_company=True,
        help="Level the invoices go back to if the plan breaks. Empty: where they stopped.",
    )
    residual_start = fields.Monetary("Due when confirmed", readonly=True)
    amount_paid = fields.Monetary("Received", compute="_compute_amount_paid")
    date_confirmed = fields.Date(readonly=True)
    user_id = fields.Many2one("res.users", "Collector", default=lambda self: self.env.user)
    note = fields.Text()

    @api.depends("partner_id", "create_date")
    def _compute_name(self):
        for plan in self:
            plan.name = self.env._("Payment plan %(customer)s", customer=plan.partner_id.name or "")

    @api.depends("move_ids", "include_penalties")
    def _compute_amount_due(self):
        for plan in self:
            amount = sum(plan.move_ids.mapped("amount_residual_signed"))
            if plan.include_penalties and plan.move_ids:
                results = plan.move_ids._relance_penalties_batch()
                amount += sum(r["total"] for r in results.values())
            plan.amount_due = plan.currency_id.round(amount)

    @api.depends("line_ids.amount")
    def _compute_amount_total(self):
        for plan in self:
            plan.amount_total = sum(plan.line_ids.mapped("amount"))

    @api.depends("move_ids.amount_residual_signed", "residual_start", "state")
    def _compute_amount_paid(self):
        for plan in self:
            plan.amount_paid = (
                0.0
                if plan.state == "draft"
                else max(plan.residual_start - sum(plan.move_ids.mapped("amount_residual_signed")), 0.0)
            )

    def action_generate(self):
        """Split the amount into N instalments at the chosen frequency; the last takes the rounding."""
        for plan in self:
            if plan.state != "draft":
                raise UserError(self.env._("Only a draft plan can be rescheduled."))
            if plan.installment_count < 1 or not plan.first_date:
                raise UserError(self.env._("Give the number of instalments and the date of the first one."))
            count, currency = plan.installment_count, plan.currency_id
            share = currency.round(plan.amount_due / count)
            step = relativedelta(weeks=1) if plan.frequency == "week" else relativedelta(months=1)
            lines = [fields.Command.clear()]
            for index in range(count):
                amount = share if index < count - 1 else currency.round(plan.amount_due - share * (count - 1))
                lines.append(fields.Command.create({"date": plan.first_date + step * index, "amount": amount}))
            plan.line_ids = lines
        return True

    def _check_schedule(self):
        for plan in self:
            currency = plan.currency_id
            if not plan.line_ids:
                raise ValidationError(self.env._("Add the instalments of the plan."))
            if any(currency.compare_amounts(line.amount, 0) <= 0 for line in plan.line_ids):
                raise ValidationError(self.env._("Every instalment must have a positive amount."))
            if currency.compare_amounts(plan.amount_total, plan.amount_due) != 0:
                raise ValidationError(
                    self.env._(
                        "The instalments add up to %(total)s but %(due)s is to be scheduled.",
                        total=format_amount(self.env, plan.amount_total, currency),
                        due=format_amount(self.env, plan.amount_due, currency),
                    )
                )
            if plan.move_ids.commercial_partner_id - plan.partner_id.commercial_partner_id:
                raise ValidationError(self.env._("A plan only covers invoices of its customer."))
            if plan.break_days < 0 or plan.notice_days < 0:
                raise ValidationError(self.env._("Delays cannot be negative."))

    def action_confirm(self):
        """Activate a draft plan: its invoices leave the normal reminders; a confirmation letter
        with the schedule is stored for the customer to sign."""
        for plan in self:
            if plan.state != "draft":
                raise UserError(self.env._("Only a draft plan can be confirmed."))
            plan._check_schedule()
            plan.write(
                {
                    "state": "active",
                    "date_confirmed": fields.Date.context_today(self),
                    "residual_start": sum(plan.move_ids.mapped("amount_residual_signed")),
                }
            )
            if plan.penalty_policy == "waived":
                plan.move_ids.filtered(lambda m: not m.relance_penalty_waived).write(
                    {
                        "relance_penalty_waived": True,
                        "relance_penalty_waive_reason": plan.name,
                    }
                )
            report = self.env.ref("relance_impayes.action_report_payment_plan")
            pdf, _fmt = report._render_qweb_pdf(report.report_name, plan.ids)
            letter = self.env["ir.attachment"].create(
                {
                    "name": self.env._("Payment plan %(customer)s.pdf", customer=plan.partner_id.name),
                    "raw": pdf,
                    "mimetype": "application/pdf",
                    "res_model": plan._name,
                    "res_id": plan.id,
                }
            )
            plan._log(
                self.env._(
                    "Payment plan confirmed: %(count)s instalments, %(total)s",
                    count=len(plan.line_ids),
                    total=format_amount(self.env, plan.amount_total, plan.currency_id),
                ),
                kind="plan",
                direction="out",
                attachments=letter,
            )
        return True

    def action_cancel(self):
        for plan in self.filtered(lambda p: p.state in ("draft", "active")):
            was_active = plan.state == "active"
            plan.state = "cancelled"
            if was_active:
                plan._release_waiver()
                plan._log(self.env._("Payment plan cancelled"))
        return True

    def action_print(self):
        return self.env.ref("relance_impayes.action_report_payment_plan").report_action(self)

    def _release_waiver(self):
        self.move_ids.filtered(lambda m: m.relance_penalty_waive_reason == self.name).write(
            {"relance_penalty_waived": False, "relance_penalty_waive_reason": False}
        )

    def _log_details(self):
        return self.amount_total, self.note or False

    # ------------------------------------------------------------------
    # Daily follow-up
    # ------------------------------------------------------------------
    def _allocate(self):
        """Spread what was received since confirmation on the instalments, oldest first."""
        for plan in self:
            left = plan.amount_paid
            for line in plan.line_ids.sorted(lambda line: (line.date, line.id)):
                paid = min(left, line.amount)
                left -= paid
                if line.amount_paid != paid:
                    line.sudo().amount_paid = paid

    @api.model
    def _relance_running_domain(self):
        return Domain("state", "=", "active")

    def _relance_update_state(self, date, payments_only):
        """Paid when every instalment (or every invoice) is; broken when an instalment is late
        by more than the plan allows; else the notices and reminders of the instalments."""
        self.ensure_one()
        self._allocate()
        # a plan without instalments is not "all paid": only its invoices can settle it
        lines_paid = bool(self.line_ids) and all(line.state == "paid" for line in self.line_ids)
        if lines_paid or self._relance_invoices_settled():
            self.state = "done"
            self._log(self.env._("Payment plan fully paid"))
            return
        if payments_only:
            return
        late = self.line_ids.filtered(lambda line: line.state != "paid" and (date - line.date).days > self.break_days)
        if late:
            self._break(late[0], date)
            return
        self._send_instalment_notices(date, self.currency_id)

    def _break(self, line, date):
        self.ensure_one()
        self.state = "broken"
        self._release_waiver()
        if self.resume_level_id:
            self.move_ids.filtered(lambda m: m.payment_state in ("not_paid", "partial")).sudo().write(
                {"relance_level_id": self.resume_level_id.id}
            )
        self._log(self.env._("Payment plan broken: instalment of %(date)s unpaid", date=line.date))
        self.partner_id.sudo().activity_schedule(
            "mail.mail_activity_data_todo",
            date_deadline=date,
            summary=self.env._("Payment plan broken: escalation resumes"),
            user_id=(self.user_id or self.partner_id._relance_collector()).id,
        )

    def _send_instalment_notices(self, date, currency):
        """Each instalment: a courtesy notice before it is due, a reminder after, each once."""
        self.ensure_one()
        notice = self.env.ref("relance_impayes.mail_template_relance_plan_notice", raise_if_not_found=False)
        reminder = self.env.ref("relance_impayes.mail_template_relance_plan_reminder", raise_if_not_found=False)
        for line in self.line_ids.filtered(lambda line: line.state != "paid"):
            if not line.notice_sent and notice and 0 <= (line.date - date).days <= self.notice_days:
                line.sudo().notice_sent = line._send_safely(notice)
            elif not line.reminder_sent and reminder and date > line.date:
                line.sudo().reminder_sent = line._send_safely(reminder)


class RelancePaymentPlanLine(models.Model):
    _name = "relance.payment.plan.line"
    _description = "Payment plan instalment"
    _order = "date, id"

    plan_id = fields.Many2one("relance.payment.plan", required=True, ondelete="cascade", index=True)
    company_id = fields.Many2one(related="plan_id.company_id", store=True)
    partner_id = fields.Many2one(related="plan_id.partner_id")
    currency_id = fields.Many2one(related="plan_id.currency_id")
    date = fields.Date(required=True)
    amount = fields.Monetary(required=True)
    amount_paid = fields.Monetary("Paid", readonly=True, copy=False)
    state = fields.Selection(
        [("pending", "To pay"), ("partial", "Partly paid"), ("paid", "Paid"), ("late", "Late")],
        compute="_compute_state",
        store=True,
    )
    notice_sent = fields.Boolean(readonly=True, copy=False)
    reminder_sent = fields.Boolean(readonly=True, copy=False)

    # followed by the application (payments received, notices sent): never written by hand
    _APPLICATION_FIELDS = frozenset({"amount_paid", "notice_sent", "reminder_sent", "state", "company_id"})

    @api.model_create_multi
    def create(self, vals_list):
        if not self.env.su:
            plans = self.env["relance.payment.plan"].browse({vals.get("plan_id") for vals in vals_list} - {None})
            self._check_schedule_editable(plans)
            if any(vals.get(name) for vals in vals_list for name in self._APPLICATION_FIELDS):
                raise AccessError(self._application_fields_message())
        return super().create(vals_list)

    def write(self, vals):
        if not self.env.su:
            if self._APPLICATION_FIELDS & vals.keys():
                raise AccessError(self._application_fields_message())
            plans = self.plan_id
            if vals.get("plan_id"):
                plans |= plans.browse(vals["plan_id"])
            self._check_schedule_editable(plans)
        return super().write(vals)

    def unlink(self):
        if not self.env.su:
            self._check_schedule_editable(self.plan_id)
        return super().unlink()

    @api.model
    def _check_schedule_editable(self, plans):
        """The schedule the customer agreed to is frozen once the plan is confirmed."""
        confirmed = plans.sudo().filtered(lambda plan: plan.state != "draft")
        if confirmed:
            raise AccessError(
                self.env._(
                    "The instalments of %(plan)s were agreed with the customer when the plan was confirmed: "
                    "they cannot be changed. Cancel the plan and draw up a new one.",
                    plan=confirmed[0].display_name,
                )
            )

    def _application_fields_message(self):
        return self.env._("What was received on an instalment and the notices sent are followed by the application.")

    @api.depends("amount", "amount_paid", "date")
    @api.depends_context("relance_date")
    def _compute_state(self):
        today = fields.Date.context_today(self)
        for line in self:
            currency = line.currency_id or self.env.company.currency_id
            if currency.compare_amounts(line.amount_paid, line.amount) >= 0:
                line.state = "paid"
            elif line.date and line.date < today:
                line.state = "late"
            elif currency.compare_amounts(line.amount_paid, 0) > 0:
                line.state = "partial"
            else:
                line.state = "pending"

    def _send_safely(self, template):
        """:meth:`_send` in a savepoint: a template that fails to render is noted on the plan and
        tried again by the next run, the plan's follow-up goes on. True when the email was queued."""
        self.ensure_one()
        try:
            with self.env.cr.savepoint():
                self._send(template)
        except Exception as error:  # noqa: BLE001 - a broken template must not stop the run
            self.plan_id.message_post(
                body=self.env._(
                    "%(template)s of the instalment of %(date)s not sent: %(error)s",
                    template=template.name,
                    date=self.date,
                    error=str(error),
                ),
                subtype_xmlid="mail.mt_note",
            )
            return False
        return True

    def _send(self, template):
        """Email the customer about this instalment and keep the trace."""
        self.ensure_one()
        plan = self.plan_id
        contact = plan.partner_id._relance_invoice_contact()
        if not contact.email:
            plan.message_post(
                body=self.env._(
                    "No email address for %(contact)s: instalment notice not sent.", contact=contact.display_name
                )
            )
            return
        template.send_mail(self.id, force_send=False, email_values={"recipient_ids": [(6, 0, contact.ids)]})
        self.env["relance.interaction"].sudo().create(
            {
                "company_id": plan.company_id.id,
                "partner_id": plan.partner_id.id,
                "kind": "email",
                "direction": "out",
                "contact_id": contact.id,
                "summary": self.env._("%(template)s: instalment of %(date)s", template=template.name, date=self.date),
                "move_ids": [fields.Command.set(plan.move_ids.ids)],
                "amount": self.amount - self.amount_paid,
            }
        )
