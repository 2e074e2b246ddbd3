import logging

from odoo import api, fields, models
from odoo.tools import format_amount, format_date, formatLang

from ..tools.typography import format_date_long, format_percent

_logger = logging.getLogger(__name__)


def report_formatters(env):
    """The number and date helpers of the printed documents, with the signatures of the email
    render context (``format_date(date, date_format=False, lang_code=False)``,
    ``format_amount(amount, currency, lang_code=False)``), so that a template shared with the
    emails calls them alike. A document sent to a customer passes its own language
    (``lang_code``, the language of its ``t-lang``): ``t-lang`` translates the template only, and
    these helpers would otherwise format in the language of whoever prints, or of the daily run's
    user."""

    def in_lang(lang_code):
        return env(context=dict(env.context, lang=lang_code)) if lang_code else env

    return {
        "format_date": lambda value, date_format=False, lang_code=False: format_date(
            env, value, lang_code=lang_code or False, date_format=date_format
        ),
        "format_amount": lambda amount, currency, lang_code=False: format_amount(
            env, amount, currency, lang_code=lang_code or False
        ),
        "format_date_long": lambda value, lang_code=None: format_date_long(value, lang_code or env.lang or "en_US"),
        "format_rate": lambda rate, lang_code=False: format_percent(formatLang(in_lang(lang_code), rate, digits=2)),
    }


class RelanceReportMixin(models.AbstractModel):
    """Shared rendering helpers of the reminder letters: the same ``format_date`` and
    ``format_amount`` as the email templates, and the computation date."""

    _name = "relance.report.mixin"
    _description = "Reminder report helpers"
    _doc_model = None

    @api.model
    def _get_report_values(self, docids, data=None):
        docs = self.env[self._doc_model].browse(docids)
        on = fields.Date.to_date((data or {}).get("date")) or fields.Date.context_today(self)
        return {
            "doc_ids": docids,
            "doc_model": self._doc_model,
            "docs": docs,
            "report_date": on,
            **report_formatters(self.env),
            "document_lang": self._document_lang,
            "injonction_court": lambda partner: self.env["relance.court"]._injonction_court(partner),
            "penalty_rows": lambda moves: self._penalty_rows(moves, on),
            "qr_code": lambda company, amount, reference, debtor: self._qr_code(company, amount, reference, debtor),
        }

    @api.model
    def _document_lang(self, partner, company=None):
        """The language of a document addressed to ``partner``: its own, else its company's, else
        the company's (a French company writes French); never the language of whoever prints."""
        company = company or self.env.company
        return partner.lang or partner.commercial_partner_id.lang or company.partner_id.lang or self.env.lang or "en_US"

    @api.model
    def _penalty_rows(self, moves, on):
        """Per overdue invoice: principal of its late instalments, penalties and indemnity at
        ``on``, in the invoice's currency, with totals converted to the company currency at that
        date. Disputed invoices are never claimed (``relance.penalty._claimable``): they are
        returned apart, under ``disputed``, with their amount still due."""
        rows, totals = [], {"principal": 0.0, "interest": 0.0, "indemnity": 0.0, "total": 0.0}
        claimable = self.env["relance.penalty"]._claimable(moves)
        results = claimable._relance_penalties_batch(on)
        for move in claimable.sorted(lambda m: (m._relance_due_date(), m.id)):
            penalties = results[move.id]
            if penalties["days_late"] <= 0:
                continue
            instalments = move._relance_late_instalments(on)
            principal = sum(instalment["residual"] for instalment in instalments)
            rows.append({"move": move, "penalties": penalties, "principal": principal, "instalments": instalments})
            company = move.company_id
            for key, amount in (
                ("principal", principal),
                ("interest", penalties["interest"]),
                ("indemnity", penalties["indemnity"]),
            ):
                converted = move.currency_id._convert(amount, company.currency_id, company, on)
                totals[key] += converted
                totals["total"] += converted
        # for the staff only (the invoice form shows them): never printed for a customer
        warnings = sorted({w for row in rows for w in row["penalties"]["warnings"]})
        consumer = bool(moves) and all(moves.commercial_partner_id.mapped("relance_is_consumer"))
        return {
            "rows": rows,
            "totals": totals,
            "warnings": warnings,
            "disputed": moves - claimable,
            "consumer": consumer,
            # the totals are in the invoices' company currency, whichever company the printing user is in
            "currency": (moves.company_id[:1] or self.env.company).currency_id,
        }

    @api.model
    def _qr_code(self, company, amount, reference, debtor):
        """SEPA QR code of the company's first bank account, when Odoo can build one."""
        bank = company.partner_id.bank_ids[:1]
        if not bank or amount <= 0:
            return False
        try:
            return bank.build_qr_code_base64(amount, reference, None, company.currency_id, debtor, silent_errors=True)
        except Exception:  # noqa: BLE001 - a letter goes out without its QR code rather than not at all
            _logger.warning(
                "QR code of %s could not be rendered (barcode support missing?)", company.name, exc_info=True
            )
            return False


class ReportRelanceLetter(models.AbstractModel):
    _name = "report.relance_impayes.report_relance_letter"
    _inherit = "relance.report.mixin"
    _description = "Reminder letter"
    _doc_model = "relance.communication"


class ReportMiseEnDemeure(models.AbstractModel):
    _name = "report.relance_impayes.report_mise_en_demeure"
    _inherit = "relance.report.mixin"
    _description = "Formal notice"
    _doc_model = "relance.communication"


class ReportReleveCompte(models.AbstractModel):
    _name = "report.relance_impayes.report_releve_compte"
    _inherit = "relance.report.mixin"
    _description = "Customer statement"
    _doc_model = "res.partner"

    AGING = ((None, 0), (1, 30), (31, 60), (61, 90), (91, None))

    @api.model
    def _get_report_values(self, docids, data=None):
        values = super()._get_report_values(docids, data)
        values["statement"] = lambda partner: self._statement(partner, values["report_date"])
        return values

    @api.model
    def _statement(self, partner, on):
        """Every open receivable item of the customer, with its aging bucket."""
        company = self.env.company
        lines = self.env["account.move.line"].search(
            [
                ("company_id", "=", company.id),
                ("partner_id", "child_of", partner.commercial_partner_id.id),
                ("parent_state", "=", "posted"),
                ("account_id.account_type", "=", "asset_receivable"),
                ("reconciled", "=", False),
            ],
            order="date_maturity, date, id",
        )
        buckets = [0.0] * len(self.AGING)
        items = []
        for line in lines:
            due = line.date_maturity or line.date
            late = (on - due).days
            index = next(
                i
                for i, (low, high) in enumerate(self.AGING)
                if (low is None or late >= low) and (high is None or late <= high)
            )
            buckets[index] += line.amount_residual
            items.append({"line": line, "due": due, "late": late, "bucket": index})
        return {"items": items, "buckets": buckets, "total": sum(buckets), "currency": company.currency_id}


class ReportDossierRecouvrement(models.AbstractModel):
    _name = "report.relance_impayes.report_dossier_recouvrement"
    _inherit = "relance.report.mixin"
    _description = "Recovery file"
    _doc_model = "res.partner"

    @api.model
    def _get_report_values(self, docids, data=None):
        values = super()._get_report_values(docids, data)
        values["open_invoices"] = lambda partner: self._open_invoices(partner).filtered(
            lambda move: not move.relance_disputed
        )
        values["disputed_invoices"] = lambda partner: self._open_invoices(partner).filtered("relance_disputed")
        values["history"] = lambda partner: self.env["relance.interaction"].search(
            [("partner_id", "=", partner.commercial_partner_id.id), ("company_id", "=", self.env.company.id)],
            order="date, id",
        )
        return values

    @api.model
    def _open_invoices(self, partner):
        """Open invoices of the customer: the claim (undisputed, CPC 1405) and, apart, those under
        dispute, shown but never in the total nor in the order for payment."""
        return self.env["account.move"].search(
            self.env["account.move"]._relance_open_domain()
            & fields.Domain("company_id", "=", self.env.company.id)
            & fields.Domain("commercial_partner_id", "=", partner.commercial_partner_id.id)
        )


class ReportPaymentPlan(models.AbstractModel):
    _name = "report.relance_impayes.report_payment_plan"
    _inherit = "relance.report.mixin"
    _description = "Payment plan"
    _doc_model = "relance.payment.plan"
