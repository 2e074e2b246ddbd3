"""The claim declaration (déclaration de créance, C. com. L622-24, R622-24): what it says and how
it is sent and kept as evidence."""

from babel.dates import format_date as babel_format_date

from odoo import api, fields, models
from odoo.exceptions import UserError
from odoo.tools import format_amount, format_date


class RelanceInsolvency(models.Model):
    _inherit = "relance.insolvency"

    interaction_id = fields.Many2one("relance.interaction", "Evidence", readonly=True, copy=False)

    # ------------------------------------------------------------------
    # What is declared
    # ------------------------------------------------------------------
    def _declared_moves(self):
        """The invoices dated before the judgment that are still due."""
        self.ensure_one()
        moves = self.env["account.move"].search(
            self.env["account.move"]._relance_open_domain() & fields.Domain("relance_insolvency_id", "=", self.id)
        )
        return moves.sorted(lambda m: (m._relance_due_date() or m.invoice_date, m.id))

    def _declaration(self, on=None):
        """Per earlier invoice still due: principal still due, interest accrued until the judgment
        (the penalty service stops there, L622-28) and the indemnity (business customers only),
        whether it was already due at the judgment (échue) or falls due later (à échoir); and the
        totals in company currency."""
        self.ensure_one()
        on = fields.Date.to_date(on or fields.Date.context_today(self))
        company = self.company_id
        moves = self._declared_moves()
        results = moves._relance_penalties_batch(on)
        rows = []
        totals = dict.fromkeys(("principal", "interest", "indemnity", "total"), 0.0)
        for move in moves:
            penalties = results[move.id]
            interest = 0.0 if penalties["waived"] else penalties["interest"]
            indemnity = 0.0 if penalties["waived"] else penalties["indemnity"]
            row = {
                "move": move,
                "currency": move.currency_id,
                "principal": move.amount_residual,
                "interest": interest,
                "indemnity": indemnity,
                "total": move.currency_id.round(move.amount_residual + interest + indemnity),
                # in instalments: échue as soon as one instalment fell due by the judgment
                "due_at_judgment": any(
                    line.date_maturity and line.date_maturity <= self.judgment_date
                    for line in move._relance_instalment_lines()
                ),
            }
            rows.append(row)
            for key in totals:
                totals[key] += move.currency_id._convert(row[key], company.currency_id, company, on)
        totals = {key: company.currency_id.round(amount) for key, amount in totals.items()}
        return {"rows": rows, "totals": totals, "currency": company.currency_id, "date": on}

    def _declaration_lang(self):
        """A French court officer reads French: French when installed, else the officer's language."""
        self.ensure_one()
        if self.env["res.lang"]._lang_get("fr_FR"):
            return "fr_FR"
        return self.mandataire_id.lang or self.env.lang

    def _format_amount(self, amount, currency=None):
        """``14 435,68 €`` in French: the language's separators, a non-breaking space before the symbol."""
        return format_amount(self.env, amount, currency or self.currency_id)

    def _kind_label(self):
        self.ensure_one()
        return dict(self._fields["kind"]._description_selection(self.env))[self.kind]

    @api.model
    def _siren(self, partner):
        """The SIREN (9 digits, « 552 100 554 ») of a company whose registry number is a SIREN or a SIRET."""
        registry = partner.company_registry or (partner.company_id.company_registry if partner.is_company else "")
        digits = "".join(char for char in registry or "" if char.isdigit())
        if len(digits) not in (9, 14):
            return registry or ""
        return " ".join((digits[0:3], digits[3:6], digits[6:9]))

    @api.model
    def _one_line_address(self, partner):
        lines = partner._display_address(without_company=True).split("\n")
        return ", ".join(line.strip() for line in lines if line.strip())

    @api.model
    def _written_date(self, value, lang=None):
        """A date written out as letters want it: « 1er décembre 2026 » in French (LEGAL_FR §11),
        the language's long form otherwise."""
        if not value:
            return ""
        value = fields.Date.to_date(value)
        lang = lang or self.env.lang or "en_US"
        text = babel_format_date(value, "d MMMM y", locale=lang)
        if lang.startswith("fr") and value.day == 1:
            text = "1er" + text[1:]
        return text

    # ------------------------------------------------------------------
    # Sending: the PDF is stored and logged as evidence
    # ------------------------------------------------------------------
    def action_send_declaration(self):
        """Render the declaration, keep it, log it in the customer's history (written by the
        application, sealed) and close the manager's to-do. Managers only."""
        self.ensure_one()
        self.check_access("write")
        self._check_declarable()
        declaration = self._declaration()
        report = self.env.ref("relance_impayes.action_report_declaration_creance")
        content, fmt = self.env["ir.actions.report"]._render_qweb_pdf(report, self.ids)
        name = self.env._(
            "Claim declaration - %(customer)s - %(date)s",
            customer=self.partner_id.name,
            date=fields.Date.to_string(declaration["date"]),
        )
        attachment = (
            self.env["ir.attachment"]
            .sudo()
            .create(
                {
                    "name": f"{name}.{fmt}",
                    "raw": content,
                    "mimetype": "application/pdf" if fmt == "pdf" else "text/html",
                    "res_model": self._name,
                    "res_id": self.id,
                    "company_id": self.company_id.id,
                }
            )
        )
        summary = self.env._(
            "Claim declaration sent to %(mandataire)s: %(amount)s",
            mandataire=self.mandataire_id.name,
            amount=self.currency_id.format(declaration["totals"]["total"]),
        )
        interaction = (
            self.env["relance.interaction"]
            .sudo()
            .with_company(self.company_id)
            .create(
                {
                    "company_id": self.company_id.id,
                    "partner_id": self.partner_id.id,
                    "contact_id": self.mandataire_id.id,
                    "kind": "claim_declaration",
                    "direction": "out",
                    "summary": summary,
                    "amount": declaration["totals"]["total"],
                    "move_ids": [fields.Command.set([row["move"].id for row in declaration["rows"]])],
                    "attachment_ids": [fields.Command.set(attachment.ids)],
                    "user_id": self.env.user.id,
                }
            )
        )
        self.write(
            {
                "state": "declared",
                "declaration_date": declaration["date"],
                "declaration_attachment_id": attachment.id,
                "interaction_id": interaction.id,
            }
        )
        self.activity_ids.filtered(lambda a: a.activity_type_id == self._todo_type()).action_feedback(feedback=summary)
        self.message_post(body=summary, attachment_ids=attachment.ids)
        return True

    def _check_declarable(self):
        self.ensure_one()
        if self.state == "closed":
            raise UserError(self.env._("The procedure is closed: no claim can be declared any more."))
        if not self.mandataire_id:
            raise UserError(
                self.env._("Choose the mandataire judiciaire (or liquidateur) to whom the claim is declared.")
            )
        if not self._declared_moves():
            raise UserError(
                self.env._(
                    "No invoice dated before the judgment of %(date)s is still due: there is no claim to declare.",
                    date=format_date(self.env, self.judgment_date),
                )
            )
