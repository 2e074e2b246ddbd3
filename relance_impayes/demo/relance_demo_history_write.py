"""Writing the demo history in bulk: settlements (payments, credit notes, write-offs) and reminders
(communications, their lines and their evidence), as the engine writes them."""

import logging
from collections import defaultdict
from datetime import datetime, time, timedelta

from odoo import api, fields, models

from .relance_demo_history import company_round

_logger = logging.getLogger(__name__)

# how the demo history names the evidence of each channel kind; another kind keeps its code
EVIDENCE_LABELS = {
    "email": "Email",
    "letter": "Courrier",
    "registered_letter": "Recommandé",
    "handoff": "Transmis au recouvrement",
}


class RelanceDemo(models.AbstractModel):
    _inherit = "relance.demo"

    @api.model
    def _demo_evidence_values(self, kind, level, day, comm):
        """The evidence of a reminder of ``level`` sent on ``day`` for its channel ``kind``: a
        registered letter is received 3 days later, a hand-off is internal."""
        values = {"summary": f"{EVIDENCE_LABELS.get(kind, kind)} : {level.name}"}
        if kind == "registered_letter":
            values.update(
                lrar_status="received",
                lrar_sent_date=day + timedelta(days=1),
                lrar_receipt_date=day + timedelta(days=3),
                tracking_number=f"1A{comm.id:011d}",
            )
        elif kind == "handoff":
            values["direction"] = "internal"
        return values

    @api.model
    def _write_settlements(self, company, plans, today, batch_size, commit, quiet):
        """Payments (batched, reconciled with their invoice), credit notes and write-offs."""
        payments = [
            (plan, day, amount) for plan in plans for day, kind, amount in plan["settlements"] if kind == "paid"
        ]
        bank = self.env["account.journal"].search([("company_id", "=", company.id), ("type", "=", "bank")], limit=1)
        Payment = self.env["account.payment"].with_company(company).with_context(**quiet)
        AML = self.env["account.move.line"]
        for chunk in self._chunks(payments, batch_size):
            records = Payment.create(
                [
                    {
                        "payment_type": "inbound",
                        "partner_type": "customer",
                        "partner_id": plan["partner"].id,
                        "amount": amount,
                        "date": day,
                        "journal_id": bank.id,
                    }
                    for plan, day, amount in chunk
                ]
            )
            records.action_post()
            reconcile = []
            for (plan, _day, _amount), payment in zip(chunk, records, strict=False):
                invoice_line = plan["move"].line_ids.filtered(lambda line: line.account_type == "asset_receivable")
                if payment.move_id:
                    reconcile.append(
                        invoice_line
                        + payment.move_id.line_ids.filtered(
                            lambda aml, account=invoice_line.account_id: aml.account_id == account
                        )
                    )
                else:  # no outstanding account: Odoo matches the payment without an entry
                    payment.invoice_ids = plan["move"]
            if reconcile:
                AML._reconcile_plan(reconcile)
            if commit:
                commit()
        credits = [(plan, day) for plan in plans for day, kind, _amount in plan["settlements"] if kind == "credited"]
        for plan, day in credits:
            plan["move"].with_context(**quiet)._reverse_moves(
                [{"date": day, "invoice_date": day, "ref": f"Avoir : litige sur {plan['move'].name}"}], cancel=True
            )
        write_offs = [
            (plan, day, amount) for plan in plans for day, kind, amount in plan["settlements"] if kind == "written_off"
        ]
        if write_offs:
            misc = self.env["account.journal"].search(
                [("company_id", "=", company.id), ("type", "=", "general")], limit=1
            )
            loss = (
                self.env["account.account"]
                .with_company(company)
                .search(
                    [*self.env["account.account"]._check_company_domain(company), ("code", "=like", "654%")], limit=1
                )
                or company.account_journal_early_pay_discount_loss_account_id
                or misc.default_account_id
            )
            entries = (
                self.env["account.move"]
                .with_company(company)
                .with_context(**quiet)
                .create(
                    [
                        {
                            "move_type": "entry",
                            "date": day,
                            "journal_id": misc.id,
                            "ref": f"Créance irrécouvrable {plan['move'].name}",
                            "line_ids": [
                                fields.Command.create(
                                    {"name": "Perte sur créance irrécouvrable", "account_id": loss.id, "debit": amount}
                                ),
                                fields.Command.create(
                                    {
                                        "name": "Perte sur créance irrécouvrable",
                                        "partner_id": plan["partner"].id,
                                        "account_id": plan["move"]
                                        .line_ids.filtered(lambda line: line.account_type == "asset_receivable")
                                        .account_id.id,
                                        "credit": amount,
                                    }
                                ),
                            ],
                        }
                        for plan, day, amount in write_offs
                    ]
                )
            )
            entries.action_post()
            AML._reconcile_plan(
                [
                    plan["move"].line_ids.filtered(lambda line: line.account_type == "asset_receivable")
                    + entry.line_ids.filtered(lambda line: line.account_type == "asset_receivable")
                    for (plan, _day, _amount), entry in zip(write_offs, entries, strict=False)
                ]
            )
        if commit:
            commit()
        return {"payments": len(payments), "credit_notes": len(credits), "write_offs": len(write_offs)}

    @api.model
    def _write_reminders(self, company, plans, today, batch_size, commit, quiet):
        """One communication per customer and day listing its invoices then overdue (those whose
        level it raises climb), with its interactions; a call logged after each phone level;
        disputes; the level reached by the invoices still open."""
        by_partner = defaultdict(list)
        for plan in plans:
            by_partner[plan["partner"]].append(plan)
        comm_vals, interactions, calls, open_levels = [], [], [], defaultdict(list)
        for partner, partner_plans in by_partner.items():
            days = defaultdict(dict)  # day -> {plan index: level}
            for index, plan in enumerate(partner_plans):
                for day, level in plan["reminders"]:
                    days[day][index] = level
            collector = partner.with_company(company)._relance_collector()
            for day in sorted(days):
                climbing = days[day]
                level = max(climbing.values(), key=lambda lvl: lvl.delay)
                lines = []
                for index, plan in enumerate(partner_plans):
                    residual = plan["total"] - sum(a for d, _k, a in plan["settlements"] if d < day)
                    disputed = (
                        plan["dispute"]
                        and plan["dispute"][0] <= day
                        and (not plan["dispute"][1] or plan["dispute"][1] > day)
                    )
                    if index in climbing or (
                        plan["due"] < day
                        and company_round(residual) > 0
                        and not disputed
                        and plan["invoice_date"] <= day
                    ):
                        lines.append((plan, climbing.get(index), company_round(residual)))
                comm_vals.append(
                    (
                        {
                            "company_id": company.id,
                            "partner_id": partner.id,
                            "level_id": level.id,
                            "date": day,
                            "state": "sent",
                            "origin": "cron",
                            "user_id": collector.id,
                            "attempt_count": 1,
                            "amount_due": sum(residual for _p, _l, residual in lines),
                            "validated_by_id": collector.id if level.validation_required else False,
                            "line_ids": [
                                fields.Command.create(
                                    {
                                        "move_id": plan["move"].id,
                                        "level_id": climb.id if climb else False,
                                        "date_due": plan["due"],
                                        "days_late": (day - plan["due"]).days,
                                        "amount_residual": residual,
                                    }
                                )
                                for plan, climb, residual in lines
                            ],
                        },
                        level,
                        [plan["move"].id for plan, _c, _r in lines],
                    )
                )
                if level.action_call:
                    paid_soon = any(
                        d <= day + timedelta(days=10)
                        for plan in partner_plans
                        for d, kind, _a in plan["settlements"]
                        if kind == "paid" and d >= day
                    )
                    call_day = day + timedelta(days=1)
                    if call_day < today:
                        calls.append(
                            {
                                "company_id": company.id,
                                "partner_id": partner.id,
                                "level_id": level.id,
                                "move_ids": [fields.Command.set([plan["move"].id for plan, _c, _r in lines])],
                                "user_id": collector.id,
                                "kind": "call",
                                "direction": "out",
                                "call_outcome": "promise" if paid_soon else "voicemail",
                                "summary": "Appel : promesse de règlement" if paid_soon else "Appel : message laissé",
                                "amount": sum(residual for _p, _l, residual in lines),
                                "date": datetime.combine(call_day, time(10, 30)),
                            }
                        )
            for plan in partner_plans:
                if plan["open"] and plan["reminders"] and not plan.get("keep_level"):
                    day, level = plan["reminders"][-1]
                    open_levels[(level.id, day)].append(plan["move"].id)
        Comm = self.env["relance.communication"].with_company(company).with_context(**quiet).sudo()
        evidence_kinds = {}  # level id: the kinds of evidence its channels leave (the channel registry)
        for chunk in self._chunks(comm_vals, batch_size):
            comms = Comm.create([vals for vals, _level, _moves in chunk])
            for comm, (vals, level, move_ids) in zip(comms, chunk, strict=False):
                common = {
                    "company_id": company.id,
                    "partner_id": vals["partner_id"],
                    "level_id": level.id,
                    "move_ids": [fields.Command.set(move_ids)],
                    "communication_id": comm.id,
                    "user_id": vals["user_id"],
                    "amount": vals["amount_due"],
                    "direction": "out",
                    "date": datetime.combine(vals["date"], time(8, 30)),
                }
                kinds = evidence_kinds.get(level.id)
                if kinds is None:
                    kinds = evidence_kinds[level.id] = [
                        channel["kind"] for channel in comm._relance_active_channels() if channel["kind"]
                    ]
                interactions.extend(
                    dict(common, kind=kind, **self._demo_evidence_values(kind, level, vals["date"], comm))
                    for kind in kinds
                )
                if not kinds:
                    interactions.append(
                        dict(common, kind="note", direction="internal", summary=f"Étape : {level.name}")
                    )
            if commit:
                commit()
        Interaction = self.env["relance.interaction"].with_context(**quiet).sudo()
        for chunk in self._chunks(interactions + calls, batch_size):
            Interaction.create(chunk)
            if commit:
                commit()
        Move = self.env["account.move"].sudo().with_context(**quiet)
        for (level_id, day), move_ids in open_levels.items():
            Move.browse(move_ids).write({"relance_level_id": level_id, "relance_date": day})
        disputes = [plan for plan in plans if plan["dispute"]]
        reason = self.env.ref("relance_impayes.dispute_reason_invoice_not_received")
        for plan in disputes:
            opened, resolved = plan["dispute"]
            dispute = (
                self.env["relance.dispute"]
                .with_context(**quiet)
                .create(
                    {
                        "company_id": company.id,
                        "partner_id": plan["partner"].id,
                        "move_ids": [fields.Command.set(plan["move"].ids)],
                        "reason_id": reason.id,
                        "description": "Prestation contestée par le client",
                        "user_id": plan["partner"].with_company(company)._relance_collector().id,
                    }
                )
            )
            values = {"date_open": opened}
            if resolved:
                values.update(state="resolved", resolution="customer", date_resolved=resolved)
            dispute.sudo().write(values)
        if commit:
            commit()
        return {
            "reminders": len(comm_vals),
            "interactions": len(interactions),
            "calls": len(calls),
            "disputes": len(disputes),
        }
