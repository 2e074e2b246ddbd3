"""Demo data of the credit management, on top of the reminder demo (``relance_demo.py``): a
stricter policy for new and risky customers, credit reviews, a credit insurer, a hold set by
hand; then the daily credit step scores every demo customer."""

from dateutil.relativedelta import relativedelta

from odoo import api, fields, models

from .relance_demo import DEMO_REF


class RelanceDemo(models.AbstractModel):
    _inherit = "relance.demo"

    @api.model
    def _load_credit(self):
        company = self._target_company()
        self = self._in_demo_company(company)  # noqa: PLW0642 - the demo lives in the French company
        partners = {
            partner.ref.removeprefix(DEMO_REF).lower(): partner
            for partner in self.env["res.partner"].search([("ref", "=like", DEMO_REF + "%")])
        }
        standard = company.relance_policy_id
        if (
            not partners
            or not standard
            or self.env["relance.segment.rule"].search_count([("company_id", "=", company.id)], limit=1)
        ):
            return True
        today = fields.Date.context_today(self)
        strict = standard.with_context(active_test=False).copy({"name": "Politique stricte"})
        for level in strict.with_context(active_test=False).level_ids.filtered(lambda lvl: lvl.delay > 0):
            level.delay = max(1, level.delay // 2)
        self.env["relance.segment.rule"].create(
            [
                {
                    "name": "Nouveaux clients",
                    "sequence": 1,
                    "condition": "new_customer",
                    "months": 2,
                    "invoice_count": 0,
                    "policy_id": strict.id,
                    "company_id": company.id,
                    "note": "Première facture il y a moins de deux mois : relances plus rapprochées.",
                },
                {
                    "name": "Mauvais payeurs",
                    "sequence": 2,
                    "condition": "risky",
                    "policy_id": strict.id,
                    "company_id": company.id,
                },
            ]
        )
        company.account_use_credit_limit = True
        insurer = self.env["res.partner"].create(
            {
                "name": "Allianz Trade France",
                "is_company": True,
                "city": "Paris",
                "country_id": self.env.ref("base.fr").id,
            }
        )
        insured = {
            "lefevre": {"relance_insured_amount": 25000.0, "relance_insurance_reference": "AT-2024-118734"},
            "mercier": {"relance_insured_amount": 8000.0},
        }
        for key, vals in insured.items():
            if key in partners:
                partners[key].write(dict(vals, relance_insurer_id=insurer.id))
        # customer, source, rating, limit granted, months ago, limit applied, note
        reviews = [
            ("lefevre", "banque_de_france", "3++", 30000.0, 2, True, "Cotation excellente, bilan 2024 solide."),
            (
                "mercier",
                "credit_insurer",
                "6/10",
                8000.0,
                5,
                True,
                "Agrément réduit par l'assureur après deux incidents de paiement.",
            ),
            ("moreau", "financial_statements", False, 10000.0, 14, False, "Liasse fiscale 2023 : à mettre à jour."),
        ]
        self.env["relance.credit.review"].create(
            [
                {
                    "partner_id": partners[key].id,
                    "company_id": company.id,
                    "source": source,
                    "rating": rating,
                    "granted_limit": limit,
                    "date": today - relativedelta(months=months),
                    "apply_limit": apply_limit,
                    "note": note,
                }
                for key, source, rating, limit, months, apply_limit, note in reviews
                if key in partners
            ]
        )
        if "blanc" in partners:
            partners["blanc"]._relance_hold(
                "manual", "Retards répétés : livraisons suspendues jusqu'au règlement du dernier avis"
            )
        self.env["relance.risk"]._daily_credit(company, today)
        return True
