"""Demo data: French B2B customers with a realistic reminder history.

Everything is relative to today. The history (levels reached, past reminders, calls, customer
replies) is written as the engine would have written it; then the engine runs once for today
so that every screen (To do, To validate, Calls, History, All reminders) shows something.
"""

import logging
from collections import defaultdict
from datetime import datetime, time, timedelta

import polib

from odoo import api, fields, models
from odoo.tools.misc import file_path

from .relance_demo_data import CUSTOMERS, DEMO_REF, IBAN, LEVELS, LINE_LABELS

_logger = logging.getLogger(__name__)


class RelanceDemo(models.AbstractModel):
    """The demo generators, apart from the business models (as core ``account/demo``): the demo
    XML files call them (``demo/relance_demo.xml``, ``demo/relance_credit_demo.xml``), the
    benchmark grows its history with :meth:`_grow_history`."""

    _name = "relance.demo"
    _description = "Reminder demo data"

    @api.model
    def _load_reminders(self):
        """Demo data: customers of different profiles with invoices overdue by various delays."""
        company = self._target_company()
        self = self._in_demo_company(company)  # noqa: PLW0642 - every step below works in the French company
        Partner = self.env["res.partner"].with_company(company)
        journal = self.env["account.journal"].search([("company_id", "=", company.id), ("type", "=", "sale")], limit=1)
        policy = company.relance_policy_id
        if not journal or not policy:
            _logger.info(
                "Reminder demo data skipped: company %s has no sales journal or no dunning policy.", company.name
            )
            return True
        if Partner.search_count([("ref", "=like", DEMO_REF + "%")], limit=1):
            _logger.info("Reminder demo data already present: skipped.")
            return True
        today = fields.Date.context_today(self)
        collector = self.env.ref("base.user_admin", raise_if_not_found=False) or self.env.user
        self._setup_company(company, collector)
        tax = company.account_sale_tax_id
        # the company's own copy of each standard level (same place in the ladder)
        ladder = company.relance_policy_id.with_context(active_test=False).level_ids
        levels = {}
        for key, (xmlid, _e, _l) in LEVELS.items():
            template = self.env.ref(f"relance_impayes.{xmlid}")
            levels[key] = ladder.filtered(lambda lvl, tpl=template: lvl.sequence == tpl.sequence)[:1] or template
        texts = {levels[key]: (email, letter) for key, (_x, email, letter) in LEVELS.items()}
        ladder = [level for level in policy._ladder() if level.delay >= 0]
        quiet = {"tracking_disable": True, "mail_create_nolog": True, "mail_notrack": True}

        # Customers, their invoices and credit notes
        partners, invoice_vals, plans = {}, [], []
        for slug, name, street, zip_code, city, phone, opts, invoices, _extras in CUSTOMERS:
            partner = Partner.with_context(**quiet).create(
                {
                    "name": name,
                    "is_company": True,
                    "ref": DEMO_REF + slug.upper(),
                    "street": street,
                    "zip": zip_code,
                    "city": city,
                    "country_id": company.country_id.id,
                    "phone": phone,
                    "email": False if opts.get("noemail") else f"compta.{slug}@example.fr",
                    "child_ids": [
                        fields.Command.create(
                            {
                                "type": "invoice",
                                "name": opts["contact"][0],
                                "function": opts["contact"][1],
                                "email": f"factures.{slug}@example.fr",
                                "phone": phone,
                            }
                        )
                    ]
                    if opts.get("contact")
                    else [],
                }
            )
            if opts.get("manual"):
                partner.relance_manual = True
            partners[slug] = partner
            for days_late, amount, level_key, payment in invoices:
                due = today - timedelta(days=days_late)
                invoice_vals.append(
                    self._move_vals(
                        "out_invoice",
                        partner,
                        journal,
                        tax,
                        due - timedelta(days=30),
                        due,
                        amount,
                        LINE_LABELS[len(invoice_vals) % len(LINE_LABELS)],
                    )
                )
                plans.append((slug, due, level_key, payment))
            if opts.get("refund"):
                refund_date = today - timedelta(days=10)
                invoice_vals.append(
                    self._move_vals(
                        "out_refund",
                        partner,
                        journal,
                        tax,
                        refund_date,
                        refund_date,
                        opts["refund"],
                        "Avoir : remise commerciale sur chantier",
                    )
                )
                plans.append((slug, refund_date, None, None))
        order = sorted(range(len(invoice_vals)), key=lambda i: invoice_vals[i]["invoice_date"])
        moves = (
            self.env["account.move"]
            .with_company(company)
            .with_context(**quiet)
            .create([invoice_vals[i] for i in order])
        )
        moves.action_post()
        moves_plans = [(move, plans[i]) for move, i in zip(moves, order, strict=False)]

        # Payments: on time for good payers, partial or late for others
        paid_on = {}
        for move, (_slug, due, _level, payment) in moves_plans:
            if payment:
                share, days_ago = payment
                pay_date = due - timedelta(days=3) if days_ago is None else today - timedelta(days=days_ago)
                vals = {"payment_date": min(pay_date, today - timedelta(days=1))}
                if share == 1:
                    paid_on[move] = vals["payment_date"]
                else:
                    vals.update(
                        amount=company.currency_id.round(move.amount_total * share), payment_difference_handling="open"
                    )
                self.env["account.payment.register"].with_context(
                    active_model="account.move",
                    active_ids=move.ids,
                ).create(vals)._create_payments()

        # History: each level reached on its date, grouped per customer and day like the engine
        sent = defaultdict(lambda: defaultdict(list))  # slug -> date -> [(move, level)]
        for move, (slug, due, level_key, _payment) in moves_plans:
            if level_key == "excl":
                move.write(
                    {
                        "relance_excluded": True,
                        "relance_exclusion_reason": "Litige qualité : marchandise retournée, avoir à l'étude",
                    }
                )
            elif level_key:
                reached = levels[level_key]
                steps = [level for level in ladder if level.delay <= reached.delay]
                for level in steps:
                    sent[slug][due + timedelta(days=level.delay)].append((move, level))
                move.sudo().write({"relance_level_id": reached.id, "relance_date": due + timedelta(days=reached.delay)})
        levels_empty = self.env["relance.level"]
        Comm = self.env["relance.communication"].with_context(**quiet)
        Interaction = self.env["relance.interaction"].with_context(**quiet)
        interaction_vals = []
        for slug, _name, _street, _zip, _city, _phone, _opts, _invoices, extras in CUSTOMERS:
            partner = partners[slug]
            contact = partner._relance_invoice_contact()
            for day, pairs in sorted(sent[slug].items()):
                level = max((lvl for _m, lvl in pairs), key=lambda lvl: lvl.delay)
                climbs = dict(pairs)
                # like the engine, a reminder lists every invoice overdue that day
                day_moves = self.env["account.move"].union(
                    *(
                        move
                        for move, (s, due, lvl, _p) in moves_plans
                        if s == slug
                        and move.move_type == "out_invoice"
                        and lvl != "excl"
                        and due < day
                        and paid_on.get(move, day) >= day
                    )
                )
                amount = sum(day_moves.mapped("amount_total"))
                comm = Comm.create(
                    {
                        "company_id": company.id,
                        "partner_id": partner.id,
                        "contact_id": contact.id,
                        "level_id": level.id,
                        "date": day,
                        "state": "sent",
                        "origin": "cron",
                        "key": Comm._make_key(company, partner.id, day),
                        "amount_due": amount,
                        "user_id": collector.id,
                        "attempt_count": 1,
                        "line_ids": [
                            fields.Command.create(
                                {
                                    "move_id": move.id,
                                    "level_id": climbs.get(move, levels_empty).id,
                                    "date_due": move.invoice_date_due,
                                    "days_late": (day - move.invoice_date_due).days,
                                    "amount_residual": move.amount_total,
                                }
                            )
                            for move in day_moves
                        ],
                    }
                )
                common = {
                    "company_id": company.id,
                    "partner_id": partner.id,
                    "contact_id": contact.id,
                    "move_ids": [fields.Command.set(day_moves.ids)],
                    "level_id": level.id,
                    "communication_id": comm.id,
                    "user_id": collector.id,
                    "amount": amount,
                    "direction": "out",
                    "date": datetime.combine(day, time(8, 30)),
                }
                email_text, letter_text = texts.get(level, (None, None))
                if level.action_email:
                    interaction_vals.append(dict(common, kind="email", summary=email_text or f"Email : {level.name}"))
                if level.action_registered_letter:
                    received = day + timedelta(days=3) if day + timedelta(days=3) < today else False
                    interaction_vals.append(
                        dict(
                            common,
                            kind="registered_letter",
                            summary=letter_text or f"Recommandé : {level.name}",
                            tracking_number=f"1A{partner.id:05d}{day.toordinal() % 10**6:06d}",
                            lrar_sent_date=day + timedelta(days=1),
                            lrar_status="received" if received else "sent",
                            lrar_receipt_date=received,
                        )
                    )
                elif level.action_letter:
                    interaction_vals.append(
                        dict(common, kind="letter", summary=letter_text or f"Courrier : {level.name}")
                    )
                if level.action_handoff:
                    interaction_vals.append(
                        dict(
                            common,
                            kind="handoff",
                            direction="internal",
                            summary=letter_text or f"Recouvrement : {level.name}",
                        )
                    )
            last_level = levels_empty.union(*(lvl for pairs in sent[slug].values() for _m, lvl in pairs)).sorted(
                "delay"
            )[-1:]
            open_moves = moves.filtered(
                lambda m, partner=partner: m.partner_id == partner
                and m.move_type == "out_invoice"
                and m.payment_state in ("not_paid", "partial")
            )
            for days_ago, kind, outcome, summary in extras:
                day = today - timedelta(days=days_ago)
                if kind == "activity":
                    partner.activity_schedule(
                        "relance_impayes.mail_activity_type_relance_call",
                        date_deadline=day,
                        summary=summary,
                        user_id=collector.id,
                    )
                    continue
                interaction_vals.append(
                    {
                        "company_id": company.id,
                        "partner_id": partner.id,
                        "contact_id": contact.id,
                        "move_ids": [fields.Command.set(open_moves.ids)],
                        "level_id": last_level.id,
                        "user_id": collector.id,
                        "amount": sum(open_moves.mapped("amount_residual")),
                        "kind": kind,
                        "call_outcome": outcome,
                        "summary": summary,
                        "direction": {"reply": "in", "note": "internal"}.get(kind, "out"),
                        "date": datetime.combine(day, time(14, 0)),
                    }
                )
        Interaction.create(interaction_vals)

        self._reminder_negotiations(company, partners, today)

        # Today's run, without the cron's commits: sends, queues for validation, records failures
        decisions = self.env["account.move"]._relance_decide(company, today)
        comms = self.env["relance.communication"]._plan(company, [d for d in decisions if d.skip_reason is None], today)
        comms._execute()
        _logger.info(
            "Reminder demo data: %s customers, %s invoices, %s reminders planned today.",
            len(partners),
            len(moves),
            len(comms),
        )
        return True

    @api.model
    def _reminder_negotiations(self, company, partners, today):
        """A promise (Roux, after the call), a confirmed payment plan (Chevalier, for the balance)
        and a dispute (Nicolas, never received the invoice)."""
        Move = self.env["account.move"]

        def overdue(slug):
            return Move.search(
                Move._relance_open_domain()
                & fields.Domain("company_id", "=", company.id)
                & fields.Domain("commercial_partner_id", "=", partners[slug].id)
                & fields.Domain("invoice_date_due", "<", today)
            )

        roux = overdue("roux")
        self.env["relance.promise"].create(
            {
                "company_id": company.id,
                "partner_id": partners["roux"].id,
                "user_id": partners["roux"]._relance_collector().id,
                "move_ids": [fields.Command.set(roux.ids)],
                "amount": sum(roux.mapped("amount_residual_signed")),
                "date": today + timedelta(days=3),
                "note": "Promesse de règlement sous huit jours, obtenue par téléphone",
            }
        )
        chevalier = overdue("chevalier")
        plan = self.env["relance.payment.plan"].create(
            {
                "company_id": company.id,
                "partner_id": partners["chevalier"].id,
                "user_id": partners["chevalier"]._relance_collector().id,
                "move_ids": [fields.Command.set(chevalier.ids)],
                "installment_count": 3,
                "frequency": "month",
                "first_date": today + timedelta(days=5),
                "note": "Échéancier accepté par le gérant",
            }
        )
        plan.action_generate()
        plan.action_confirm()
        self.env["relance.dispute"].create(
            {
                "company_id": company.id,
                "partner_id": partners["nicolas"].id,
                "user_id": partners["nicolas"]._relance_collector().id,
                "move_ids": [fields.Command.set(overdue("nicolas").ids)],
                "reason_id": self.env.ref("relance_impayes.dispute_reason_invoice_not_received").id,
                "description": "Le client dit ne pas avoir reçu la facture et demande un duplicata.",
                "review_date": today + timedelta(days=7),
            }
        )

    @api.model
    def _move_vals(self, move_type, partner, journal, tax, invoice_date, due, amount, label):
        return {
            "move_type": move_type,
            "partner_id": partner.id,
            "journal_id": journal.id,
            "invoice_date": invoice_date,
            "invoice_date_due": due,
            "invoice_payment_term_id": False,
            "invoice_line_ids": [
                fields.Command.create(
                    {
                        "name": label,
                        "quantity": 1,
                        "price_unit": amount,
                        "tax_ids": [fields.Command.set(tax.ids)],
                    }
                )
            ],
        }

    @api.model
    def _target_company(self):
        """The French demo company (euros, French chart) when the database has one, made the
        administrator's default company with its own copy of the standard policy; else the
        current company."""
        company = self.env.ref("base.demo_company_fr", raise_if_not_found=False)
        if not company or not self.env["account.journal"].search_count(
            [("company_id", "=", company.id), ("type", "=", "sale")], limit=1
        ):
            return self.env.company
        if not company.relance_policy_id:
            template = self.env.ref("relance_impayes.relance_policy_default")
            policy = template.with_context(active_test=False).copy({"company_id": company.id})
            company.relance_policy_id = policy
            if self.env["res.lang"]._lang_get("fr_FR"):
                self._translate_copy(template, policy)
        admin = self.env.ref("base.user_admin", raise_if_not_found=False)
        if admin:
            admin.write({"company_ids": [fields.Command.link(company.id)], "company_id": company.id})
        return company

    @api.model
    def _in_demo_company(self, company):
        """``self`` in the demo company and in French (when installed): the notes the demo's steps
        write (disputes, plans, reviews, holds) read as the daily run's, in the company's language.
        The module's terms load after its demo data: they are loaded here, so that the selection
        labels the notes quote are French too."""
        lang = "fr_FR" if self.env["res.lang"]._lang_get("fr_FR") else company.partner_id.lang or self.env.lang
        if lang != "en_US":
            self.env["ir.module.module"]._load_module_terms(["relance_impayes"], [lang])
        return self.with_company(company).with_context(lang=lang)

    @api.model
    def _translate_copy(self, template, policy):
        """Module translations load after the demo data, so the French company's copy of the
        standard policy gets its French names and letter texts from the module's fr.po here."""
        po_path = file_path("relance_impayes/i18n/fr.po")
        french = {}
        for entry in polib.pofile(po_path):
            for occurrence, _line in entry.occurrences:
                french[occurrence.split(":", 1)[-1]] = entry.msgstr
        copies = policy.with_context(active_test=False).level_ids
        originals = template.with_context(active_test=False).level_ids
        for original, copy in zip(originals.sorted("sequence"), copies.sorted("sequence"), strict=False):
            xmlid = original.get_external_id()[original.id]
            values = {}
            for fname in ("name", "letter_text"):
                text = french.get(f"relance.level,{fname}:{xmlid}")
                if text:
                    values[fname] = f"<p>{text}</p>" if fname == "letter_text" else text
            copy.with_context(lang="fr_FR").write(values)
        name = french.get("relance.policy,name:relance_impayes.relance_policy_default")
        if name:
            policy.with_context(lang="fr_FR").name = name

    @api.model
    def _setup_company(self, company, collector):
        """A French identity for the demo company: address, email, SIRET, IBAN, collector."""
        france = self.env.ref("base.fr")
        vals = {}
        if (
            company.country_id != france
            or not (company.street and company.zip and company.city)
            or (company.state_id and company.state_id.country_id != france)
        ):
            vals.update(
                street="27 rue du Faubourg Saint-Antoine",
                street2=False,
                zip="75011",
                city="Paris",
                state_id=False,
                country_id=france.id,
                phone="+33 1 43 55 20 10",
            )
        if not company.email:
            vals["email"] = "compta@masociete.example.fr"
        if not company.company_registry:
            vals["company_registry"] = "73282932000009"
        if not company.relance_collector_id:
            vals["relance_collector_id"] = collector.id
        if vals:
            company.write(vals)
        banks = company.partner_id.bank_ids
        if not banks.filtered(lambda b: (b.sanitized_acc_number or "").startswith("FR")):
            self.env["res.partner.bank"].create(
                {
                    "acc_number": IBAN,
                    "partner_id": company.partner_id.id,
                    "company_id": company.id,
                    "allow_out_payment": True,
                }
            )
