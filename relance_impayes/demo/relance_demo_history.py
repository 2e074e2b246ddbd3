"""A year of reminder history, so that the analytics show meaningful figures.

Customers of five payment profiles (prompt, slow, late, difficult, disputing) are invoiced every
month for a year; each invoice goes up the ladder of its customer's policy until the customer
pays, a few days after the reminder that moves it (so customers on a stricter policy pay
earlier: the A/B comparison of policies shows it), or disputes it (credit note), or never pays
(hand-off to recovery, then part recovered and part written off). Everything is written as the
engine writes it: sent reminders (communications and their lines), their evidence
(interactions: emails, letters, registered letters, hand-offs, calls), payments reconciled with
the invoices, credit notes, write-offs, disputes.

The same generator grows the history of the benchmark database (benchmarks/bench_analytics.py).
"""

import logging
import random
from collections import defaultdict
from datetime import timedelta

from odoo import api, fields, models

_logger = logging.getLogger(__name__)

HISTORY_REF = "RLC-HIST-"

# profile: [(weight, trigger, reaction days)]; trigger: "before" (pays by the due date), the index
# of the level after which the customer pays (0 = first level after the due date), "never"
# (hand-off), "dispute" (disputes the invoice after the first reminder)
PROFILES = {
    "prompt": [(0.85, "before", (0, 5)), (0.15, 0, (1, 6))],
    "slow": [(0.6, 0, (2, 10)), (0.4, 1, (2, 8))],
    "late": [(0.3, 1, (3, 10)), (0.5, 2, (2, 12)), (0.2, 3, (3, 10))],
    "difficult": [(0.3, 2, (3, 12)), (0.3, 3, (2, 10)), (0.25, 4, (5, 15)), (0.15, "never", None)],
    "disputing": [(0.7, 0, (3, 9)), (0.3, "dispute", None)],
}
# Demo customers: (name, city, profile)
DEMO_CUSTOMERS = [
    ("Atelier Bois & Design SARL", "Tours", "prompt"),
    ("Pâtisserie Lenoir", "Angers", "slow"),
    ("Agence Horizon Voyages SAS", "Nîmes", "late"),
    ("Garage du Centre SARL", "Limoges", "difficult"),
    ("Cabinet Médical Saint-Louis", "Brest", "prompt"),
    ("Serrurerie Dubois EURL", "Amiens", "slow"),
    ("Domaine des Trois Chênes SCEA", "Mâcon", "late"),
    ("Traiteur Gaillard SAS", "Pau", "disputing"),
    ("Pressing Étoile SARL", "Reims", "prompt"),
    ("Informatique Services Ouest SAS", "Vannes", "slow"),
    ("Charpentes Perrin SARL", "Besançon", "difficult"),
    ("Librairie du Marché", "Colmar", "late"),
    ("Transports Express Rhône SAS", "Valence", "slow"),
    ("Boucherie Masson", "Chartres", "prompt"),
    ("Studio Photo Lumière EURL", "Bayonne", "disputing"),
    ("Électro-Ménager Fabre SA", "Perpignan", "late"),
    ("Carrosserie Vidal SARL", "Avignon", "difficult"),
    ("Crèche Les Petits Pas", "Caen", "slow"),
    ("Menuiserie Aluminium Blanc SAS", "Le Mans", "late"),
    ("Opticien Regard Net", "Lorient", "prompt"),
    ("Plâtrerie Renaud SARL", "Troyes", "difficult"),
    ("Auto-École Conduite Plus", "Quimper", "slow"),
    ("Fromagerie des Alpes SAS", "Chambéry", "disputing"),
    ("Paysagiste Jardins de France", "Orléans", "late"),
]
# Delays of the strict policy by delay of the standard one (the B of the A/B comparison)
STRICT_DELAYS = {5: 2, 12: 7, 20: 14, 30: 21, 45: 30, 60: 45}
FRIENDLY_DELAY = 5


class RelanceDemo(models.AbstractModel):
    _inherit = "relance.demo"

    # ------------------------------------------------------------------
    # Demo entry point
    # ------------------------------------------------------------------
    @api.model
    def _load_history(self):
        """Demo data: 24 more customers with a year of invoices, reminders and payments, half of them
        on a stricter policy with its own friendly email; plus disputes of various ages and
        promises due today and broken, for the dashboards."""
        company = self._target_company()
        self = self._in_demo_company(company)  # noqa: PLW0642 - every step below works in the demo company
        Partner = self.env["res.partner"].with_company(company)
        if not company.relance_policy_id or not self.env["account.journal"].search_count(
            [("company_id", "=", company.id), ("type", "=", "sale")], limit=1
        ):
            _logger.info("Reminder history demo skipped: no sales journal or no policy in %s.", company.name)
            return True
        if Partner.search_count([("ref", "=like", HISTORY_REF + "%")], limit=1):
            _logger.info("Reminder history demo already present: skipped.")
            return True
        today = fields.Date.context_today(self)
        strict = self._strict_policy(company)
        admin = self.env.ref("base.user_admin", raise_if_not_found=False) or self.env.user
        demo_user = self.env.ref("base.user_demo", raise_if_not_found=False)
        collectors = [admin] + ([demo_user] if demo_user else [])
        quiet = {"tracking_disable": True, "mail_create_nolog": True, "mail_notrack": True}
        partners = Partner.with_context(**quiet).create(
            [
                {
                    "name": name,
                    "is_company": True,
                    "ref": f"{HISTORY_REF}{index + 1:02d}",
                    "city": city,
                    "street": f"{10 + index} rue de la République",
                    "zip": "00000",
                    "country_id": company.country_id.id,
                    "email": f"compta{index + 1:02d}@historique.example.fr",
                }
                for index, (name, city, _profile) in enumerate(DEMO_CUSTOMERS)
            ]
        )
        customers = []
        for index, (partner, (_name, _city, profile)) in enumerate(zip(partners, DEMO_CUSTOMERS, strict=False)):
            policy = strict if index % 2 else company.relance_policy_id
            partner.write(
                {
                    "relance_policy_id": policy.id if policy != company.relance_policy_id else False,
                    "relance_collector_id": collectors[index % len(collectors)].id,
                }
            )
            customers.append((partner, policy, profile))
        stats = self._grow_history(
            company, customers, today, months=12, seed=2026, invoices_per_month=(1, 2), amount_range=(400, 6000)
        )
        self._history_negotiations(company, partners, today)
        _logger.info("Reminder history demo: %s", stats)
        return True

    @api.model
    def _strict_policy(self, company):
        """A copy of the standard policy with shorter delays and its own friendly email."""
        standard = company.relance_policy_id
        strict = standard.with_context(active_test=False).copy({"name": "Politique stricte", "sequence": 20})
        for level in strict.with_context(active_test=False).level_ids:
            if level.delay == FRIENDLY_DELAY and level.mail_template_id:
                level.mail_template_id = level.mail_template_id.copy(
                    {"name": f"{level.mail_template_id.name} (version courte)"}
                )
            if level.delay in STRICT_DELAYS:
                level.delay = STRICT_DELAYS[level.delay]
        return strict

    @api.model
    def _history_negotiations(self, company, partners, today):
        """Open disputes 10, 45 and 80 days old, a promise due today and one broken last week."""
        Move = self.env["account.move"]
        open_moves = Move.search(
            Move._relance_open_domain()
            & fields.Domain("company_id", "=", company.id)
            & fields.Domain("commercial_partner_id", "in", partners.ids)
            & fields.Domain("invoice_date_due", "<", today),
            order="invoice_date_due",
        )
        by_partner = defaultdict(lambda: Move)
        for move in open_moves:
            by_partner[move.commercial_partner_id] |= move
        candidates = [moves for moves in by_partner.values() if moves]
        reason = self.env.ref("relance_impayes.dispute_reason_invoice_not_received")
        for age, moves in zip((10, 45, 80), candidates[:3], strict=False):
            dispute = self.env["relance.dispute"].create(
                {
                    "company_id": company.id,
                    "partner_id": moves.commercial_partner_id.id,
                    "move_ids": [fields.Command.set(moves[:1].ids)],
                    "reason_id": reason.id,
                    "description": "Contestation de la prestation facturée",
                    "user_id": moves.commercial_partner_id._relance_collector().id,
                }
            )
            dispute.date_open = today - timedelta(days=age)
        for kind, moves in zip(("due", "broken"), candidates[3:5], strict=False):
            promise = self.env["relance.promise"].create(
                {
                    "company_id": company.id,
                    "partner_id": moves.commercial_partner_id.id,
                    "move_ids": [fields.Command.set(moves[:1].ids)],
                    "amount": moves[:1].amount_residual,
                    "date": today,
                    "note": "Promesse obtenue par téléphone",
                    "user_id": moves.commercial_partner_id._relance_collector().id,
                }
            )
            if kind == "broken":
                promise.write(
                    {"date": today - timedelta(days=10), "state": "broken", "date_closed": today - timedelta(days=6)}
                )

    # ------------------------------------------------------------------
    # The generator
    # ------------------------------------------------------------------
    @api.model
    def _grow_history(
        self,
        company,
        customers,
        today,
        months=12,
        seed=0,
        invoices_per_month=(1, 2),
        amount_range=(400, 6000),
        tax=True,
        batch_size=500,
        commit=None,
        open_moves=None,
    ):
        """Invoice ``customers`` (``[(partner, policy, profile)]``) every month for ``months``
        months before ``today`` and play each invoice's reminders and settlements.

        ``open_moves``: open invoices of these customers already at a level (the benchmark's): they
        get the reminders that brought them there. ``commit``: called after each batch (the
        benchmark commits). Returns counts."""
        rng = random.Random(seed)
        Move = self.env["account.move"].with_company(company)
        quiet = {"tracking_disable": True, "mail_create_nolog": True, "mail_notrack": True, "mail_notify_noemail": True}
        journal = self.env["account.journal"].search([("company_id", "=", company.id), ("type", "=", "sale")], limit=1)
        sale_tax = company.account_sale_tax_id if tax else self.env["account.tax"]
        ladders = {}
        for _partner, policy, _profile in customers:
            if policy not in ladders:
                ladders[policy] = [level for level in policy._ladder() if level.delay >= 0]

        # 1. The plan: invoices and what happens to each of them
        plans = []
        start = today - timedelta(days=30 * months)
        for partner, policy, profile in customers:
            for month in range(months):
                for _n in range(rng.randint(*invoices_per_month)):
                    invoice_date = start + timedelta(days=30 * month + rng.randint(0, 29))
                    if invoice_date >= today:
                        continue
                    plans.append(
                        {
                            "partner": partner,
                            "policy": policy,
                            "invoice_date": invoice_date,
                            "due": invoice_date + timedelta(days=30),
                            "amount": round(rng.uniform(*amount_range), -1),
                            "behaviour": self._pick(rng, PROFILES[profile]),
                            "split": rng.random() < 0.15,
                        }
                    )
        plans.sort(key=lambda plan: (plan["invoice_date"], plan["partner"].id))
        # 2. Invoices, posted in date order
        for chunk in self._chunks(plans, batch_size):
            moves = Move.with_context(**quiet).create(
                [
                    {
                        "move_type": "out_invoice",
                        "partner_id": plan["partner"].id,
                        "journal_id": journal.id,
                        "invoice_date": plan["invoice_date"],
                        "invoice_date_due": plan["due"],
                        "invoice_payment_term_id": False,
                        "invoice_line_ids": [
                            fields.Command.create(
                                {
                                    "name": "Prestations du mois",
                                    "quantity": 1,
                                    "price_unit": plan["amount"],
                                    "tax_ids": [fields.Command.set(sale_tax.ids)],
                                }
                            )
                        ],
                    }
                    for plan in chunk
                ]
            )
            moves.action_post()
            for plan, move in zip(chunk, moves, strict=False):
                plan["move"] = move
                plan["total"] = move.amount_total_signed
            if commit:
                commit()
        # 3. Events of each invoice
        for plan in plans:
            self._play(rng, plan, ladders[plan["policy"]], today)
        policies = {partner: policy for partner, policy, _profile in customers}
        for move in (open_moves or self.env["account.move"]).filtered("relance_level_id"):
            partner = move.commercial_partner_id
            ladder = ladders.get(policies.get(partner), [])
            plans.append(
                {
                    "partner": partner,
                    "policy": policies.get(partner),
                    "invoice_date": move.invoice_date,
                    "due": move.invoice_date_due,
                    "move": move,
                    "total": move.amount_residual_signed,
                    "settlements": [],
                    "dispute": None,
                    "open": True,
                    "keep_level": True,
                    "reminders": [
                        (move.invoice_date_due + timedelta(days=level.delay), level)
                        for level in ladder
                        if level.delay <= move.relance_level_id.delay
                        and move.invoice_date_due + timedelta(days=level.delay) < today
                    ],
                }
            )
        # 4. Settlements, then reminders written as the engine writes them
        counts = self._write_settlements(company, plans, today, batch_size, commit, quiet)
        counts.update(self._write_reminders(company, plans, today, batch_size, commit, quiet))
        counts["invoices"] = sum(1 for plan in plans if not plan.get("keep_level"))
        counts["open"] = sum(1 for plan in plans if plan["open"] and not plan.get("keep_level"))
        return counts

    @staticmethod
    def _pick(rng, choices):
        roll, cumulated = rng.random(), 0.0
        for weight, trigger, reaction in choices:
            cumulated += weight
            if roll <= cumulated:
                return trigger, reaction
        return choices[-1][1:]

    @staticmethod
    def _chunks(items, size):
        for start in range(0, len(items), size):
            yield items[start : start + size]

    @api.model
    def _play(self, rng, plan, ladder, today):
        """Fill ``plan`` with ``reminders`` [(date, level)], ``settlements`` [(date, kind, amount)],
        ``dispute`` (opened, resolved) and ``open`` (still due today)."""
        (trigger, reaction), due, total = plan["behaviour"], plan["due"], plan["total"]
        plan.update(reminders=[], settlements=[], dispute=None)
        pay_date, stop = None, None
        if trigger == "before":
            pay_date = due - timedelta(days=rng.randint(*reaction))
        elif trigger == "dispute":
            stop = due + timedelta(days=ladder[0].delay + rng.randint(2, 6))
        elif trigger != "never" and ladder:
            level = ladder[min(trigger, len(ladder) - 1)]
            pay_date = due + timedelta(days=level.delay + rng.randint(*reaction))
        for level in ladder:
            day = due + timedelta(days=level.delay)
            if day >= today or (pay_date and day >= pay_date) or (stop and day >= stop):
                break
            plan["reminders"].append((day, level))
        if trigger == "dispute" and stop < today:
            resolved = stop + timedelta(days=rng.randint(15, 30))
            plan["dispute"] = (stop, resolved if resolved < today else None)
            if resolved < today:
                plan["settlements"].append((resolved, "credited", total))
        elif trigger == "never" and plan["reminders"] and plan["reminders"][-1][1].action_handoff:
            handoff = plan["reminders"][-1][0]
            recovered = round(total * 0.6, 2)
            if handoff + timedelta(days=45) < today:
                plan["settlements"].append((handoff + timedelta(days=45), "paid", recovered))
            if handoff + timedelta(days=90) < today:
                plan["settlements"].append((handoff + timedelta(days=90), "written_off", round(total - recovered, 2)))
        elif pay_date and pay_date < today:
            pay_date = max(pay_date, plan["invoice_date"] + timedelta(days=1))
            if plan["split"] and pay_date - timedelta(days=10) > plan["invoice_date"]:
                first = round(total * 0.4, 2)
                plan["settlements"] += [
                    (pay_date - timedelta(days=10), "paid", first),
                    (pay_date, "paid", total - first),
                ]
            else:
                plan["settlements"].append((pay_date, "paid", total))
        settled = sum(amount for _day, _kind, amount in plan["settlements"])
        plan["open"] = company_round(total - settled) > 0 and not (plan["dispute"] and plan["dispute"][1])


def company_round(amount):
    return round(amount, 2)
