"""Demo data of insolvency: a customer under redressement judiciaire, two invoices dated before the
judgment (declared, not reminded), one after it (reminded as usual), the mandataire judiciaire."""

from datetime import timedelta

from odoo import api, fields, models

from .relance_demo import DEMO_REF


class RelanceDemo(models.AbstractModel):
    _inherit = "relance.demo"

    @api.model
    def _load_insolvency(self):
        company = self._target_company()
        self = self._in_demo_company(company)  # noqa: PLW0642 - the demo lives in the French company
        partner_model = self.env["res.partner"].with_company(company)
        ref = DEMO_REF + "LEMAIRE"
        journal = self.env["account.journal"].search([("company_id", "=", company.id), ("type", "=", "sale")], limit=1)
        if not journal or partner_model.search_count([("ref", "=", ref)], limit=1):
            return True
        today = fields.Date.context_today(self)
        france = self.env.ref("base.fr")
        customer = partner_model.create(
            {
                "name": "Boucherie Lemaire SARL",
                "is_company": True,
                "ref": ref,
                "company_registry": "512 345 678",
                "street": "8 place du Marché",
                "zip": "69002",
                "city": "Lyon",
                "country_id": france.id,
                "email": "contact@boucherie-lemaire.example.fr",
                "phone": "+33 4 78 00 12 34",
            }
        )
        office = partner_model.create(
            {
                "name": "SELARL Dubois & Associés",
                "is_company": True,
                "street": "15 quai Jean Moulin",
                "zip": "69001",
                "city": "Lyon",
                "country_id": france.id,
            }
        )
        mandataire = partner_model.create(
            {
                "name": "Maître Claire Dubois",
                "parent_id": office.id,
                "function": "Mandataire judiciaire",
                "email": "c.dubois@dubois-mandataires.example.fr",
            }
        )
        judgment = today - timedelta(days=25)
        tax = company.account_sale_tax_id
        invoices = self.env["account.move"].create(
            [
                {
                    "move_type": "out_invoice",
                    "journal_id": journal.id,
                    "partner_id": customer.id,
                    "invoice_date": invoice_date,
                    "invoice_date_due": invoice_date + timedelta(days=30),
                    "invoice_line_ids": [
                        fields.Command.create({"name": label, "quantity": 1, "price_unit": amount, "tax_ids": tax.ids})
                    ],
                }
                for invoice_date, amount, label in (
                    (today - timedelta(days=95), 4200.0, "Fourniture de matériel frigorifique"),
                    (today - timedelta(days=45), 1850.0, "Prestation de maintenance"),
                    (today - timedelta(days=10), 980.0, "Livraison de marchandises"),
                )
            ]
        )
        invoices.action_post()
        self.env["relance.insolvency"].create(
            {
                "partner_id": customer.id,
                "company_id": company.id,
                "kind": "redressement",
                "judgment_date": judgment,
                "court": "Tribunal de commerce de Lyon",
                "case_number": "2026J00123",
                "mandataire_id": mandataire.id,
                "bodacc_date": judgment + timedelta(days=12),
                "retention_of_title": "Chambre froide livrée le "
                + self.env["relance.insolvency"]._written_date(today - timedelta(days=95), "fr_FR")
                + " sous clause de réserve de propriété (article 9 des conditions générales de vente).",
            }
        )
        return True
