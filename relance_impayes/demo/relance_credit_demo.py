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
        self = self.with_company(company)  # noqa: PLW0642 - the demo lives in the French company
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
        reviews = []
        if "lefevre" in partners:
            partners["lefevre"].write(
                {
                    "relance_insurer_id": insurer.id,
                    "relance_insured_amount": 25000.0,
                    "relance_insurance_reference": "AT-2024-118734",
                }
            )
            reviews.append(
                {
                    "partner_id": partners["lefevre"].id,
                    "source": "banque_de_france",
                    "rating": "3++",
                    "granted_limit": 30000.0,
                    "date": today - relativedelta(months=2),
                    "note": "Cotation excellente, bilan 2024 solide.",
                }
            )
        if "mercier" in partners:
            partners["mercier"].write({"relance_insurer_id": insurer.id, "relance_insured_amount": 8000.0})
            reviews.append(
                {
                    "partner_id": partners["mercier"].id,
                    "source": "credit_insurer",
                    "rating": "6/10",
                    "granted_limit": 8000.0,
                    "date": today - relativedelta(months=5),
                    "note": "Agrément réduit par l'assureur après deux incidents de paiement.",
                }
            )
        if "moreau" in partners:
            reviews.append(
                {
                    "partner_id": partners["moreau"].id,
                    "source": "financial_statements",
                    "granted_limit": 10000.0,
                    "date": today - relativedelta(months=14),
                    "apply_limit": False,
                    "note": "Liasse fiscale 2023 : à mettre à jour.",
                }
            )
        self.env["relance.credit.review"].create([dict(vals, company_id=company.id) for vals in reviews])
        if "blanc" in partners:
            partners["blanc"]._relance_hold(
                "manual", "Retards répétés : livraisons suspendues jusqu'au règlement du dernier avis"
            )
        self.env["relance.risk"]._daily_credit(company, today)
        return True
