from datetime import timedelta
from unittest.mock import patch

from odoo import Command
from odoo.tests import tagged
from odoo.tools.misc import formatLang

from ..tools.dso import dso_countback, month_periods
from ..tools.risk_score import Factor
from .common import TODAY
from .common_credit import RelanceCreditCommon


@tagged("post_install", "-at_install")
class TestRelanceRisk(RelanceCreditCommon):
    """Scores on known histories, and the policy each segment of customers follows."""

    def _paid(self, partner, amount, days_late, paid_days_after_due):
        inv = self._relance_invoice(partner, amount, days_late=days_late)
        due = inv.invoice_date_due
        self._pay(inv, amount, due + timedelta(days=paid_days_after_due))
        return inv

    def test_dso_countback(self):
        periods = month_periods(TODAY)
        self.assertEqual(
            [(end - start).days for start, end in periods[:4]],
            [10, 28, 31, 31],
            "calendar months, the current one up to today",
        )
        self.assertEqual(dso_countback(0, [1000.0] * 12, periods), 0)
        self.assertEqual(dso_countback(500, [1000.0] + [0.0] * 11, periods), 5, "half of this month's sales")
        self.assertEqual(dso_countback(1500, [1000.0, 1000.0] + [0.0] * 10, periods), 10 + 14)
        self.assertEqual(
            dso_countback(1500, [0.0, 1000.0, 1000.0] + [0.0] * 9, periods),
            10 + 28 + 15.5,
            "a month without sales counts in full",
        )
        self.assertEqual(
            dso_countback(99999, [1000.0] * 12, periods),
            (TODAY - periods[-1][0]).days,
            "past the window the DSO stops at its length",
        )

    def test_scores_on_known_histories(self):
        good, watch, risky = self.customer, self.customer_b, self._relance_customer("Risque SA")
        # good payer: paid before or on the due date
        self._paid(good, 1500, days_late=60, paid_days_after_due=-2)
        self._paid(good, 500, days_late=30, paid_days_after_due=0)
        # to watch: one invoice paid 30 days late, one open 40 days late, one paid on time
        self._paid(watch, 1000, days_late=100, paid_days_after_due=30)
        late = self._relance_invoice(watch, 2000, days_late=40)
        self._paid(watch, 1000, days_late=20, paid_days_after_due=-5)
        self.env["relance.communication"].create(
            {
                "partner_id": watch.id,
                "level_id": self.lvl_amiable.id,
                "date": TODAY - timedelta(days=10),
                "state": "sent",
                "origin": "manual",
                "line_ids": [Command.create({"move_id": late.id, "level_id": self.lvl_amiable.id})],
            }
        )
        # risky: nothing paid, 95 and 65 days late
        self._relance_invoice(risky, 3000, days_late=95)
        self._relance_invoice(risky, 1000, days_late=65)

        risk = self.env["relance.risk"]
        metrics = risk._metrics(self.company, TODAY)
        m = metrics[watch.id]
        self.assertEqual((m.invoice_count, m.late_count, m.reminders), (3, 2, 1))
        self.assertAlmostEqual(m.days_late, 27.5, msg="(1000 x 30 + 2000 x 40 + 1000 x 0) / 4000")
        self.assertAlmostEqual(m.overdue, 2000)
        self.assertAlmostEqual(m.overdue_age, 40)
        self.assertAlmostEqual(m.balance, 2000)
        self.assertAlmostEqual(
            m.dso,
            10 + 28 + 31 + 15.5,
            msg="2000 open: March and February (no sales), January's 1000, half of December's 2000",
        )
        self.assertAlmostEqual(metrics[risky.id].dso, 10 + 28 + 31 + 31 + 30)
        # the DSO report reads the same figure
        report = (
            self.env["relance.dso"]
            .with_context(relance_date=TODAY)
            .search([("scope", "=", "customer"), ("partner_id", "=", watch.id), ("date", "=", TODAY)])
        )
        self.assertEqual(report.dso, 84.5)
        self.assertAlmostEqual(metrics[good.id].days_late, 0)

        results = risk._compute_company(self.company, TODAY)
        # watch: 25*27.5/60 + 20*2/3 + 10*(1/3)/2 + 15*40/90 + 10*(84.5-30)/60 = 42.21
        # risky: 25 (87.5 days late) + 20 (all late) + 15*87.5/90 + 10 (DSO 130) = 69.58
        self.assertEqual(results, {good.id: (0, "good"), watch.id: (42, "watch"), risky.id: (70, "risky")})
        self.assertEqual((watch.relance_risk_score, watch.relance_risk_class), (42, "watch"))
        self.assertAlmostEqual(watch.relance_dso, 84.5)
        self.assertAlmostEqual(watch.relance_avg_days_late, 27.5)
        self.assertAlmostEqual(watch.relance_late_share, 66.7)
        self.assertEqual(
            watch.relance_risk_reasons.splitlines(),
            [
                "+13.3  2 of 3 invoices paid late",
                "+11.5  Paid 27.5 days late on average (weighted by amount, last 12 months)",
                "+9.1  DSO 84.5 days (countback)",
                f"+6.7  {formatLang(self.env, 2000, currency_obj=self.company.currency_id)} overdue, "
                "40 days on average",
                "+1.7  0.33 reminders per invoice",
            ],
        )
        self.assertEqual(good.relance_risk_reasons, "No late payment in the last 12 months.")
        self.assertEqual(
            self.env["res.partner"].search([("relance_risk_class", "=", "risky")]), risky, "the class is searchable"
        )
        self.assertEqual(self.env["res.partner"].search([("relance_risk_score", ">=", 40)]), watch | risky)

        # the risky customer pays everything: it is rated again, and a customer gone from the books is unrated
        self.env["account.move"].search([("partner_id", "=", risky.id)])._reverse_moves(cancel=True)
        results = risk._compute_company(self.company, TODAY)
        self.assertNotIn(risky.id, results)
        self.assertFalse(risky.relance_risk_class)

    def test_disputes_and_broken_promises_add_to_the_score(self):
        inv = self._relance_invoice(self.customer, 1000, days_late=10)
        risk = self.env["relance.risk"]
        before = risk._score(risk._metrics(self.company, TODAY)[self.customer.id])
        self.env["relance.dispute"].create(
            {
                "partner_id": self.customer.id,
                "move_ids": [Command.set(inv.ids)],
                "reason_id": self.env.ref("relance_impayes.dispute_reason_defective").id,
            }
        )
        promise = self.env["relance.promise"].create(
            {
                "partner_id": self.customer.id,
                "move_ids": [Command.set(inv.ids)],
                "amount": 1000,
                "date": TODAY,
            }
        )
        promise._close("broken", TODAY)
        metrics = risk._metrics(self.company, TODAY)[self.customer.id]
        self.assertEqual((metrics.disputes, metrics.broken_promises), (1, 1))
        score, parts = risk._score(metrics)
        self.assertEqual((dict(parts)["disputes"], dict(parts)["broken_promises"]), (5.0, 5.0))
        self.assertEqual(score, before[0] + 10)
        risk._compute_company(self.company, TODAY)
        self.assertIn("1 dispute(s) in the last 12 months", self.customer.relance_risk_reasons)
        self.assertIn("1 broken promise(s) to pay in the last 12 months", self.customer.relance_risk_reasons)

    def test_risk_factor_table_can_be_overridden(self):
        """Another module reweights a factor and adds one by overriding ``_risk_factors``."""
        inv = self._relance_invoice(self.customer, 1000, days_late=10)
        self.env["relance.dispute"].create(
            {
                "partner_id": self.customer.id,
                "move_ids": [Command.set(inv.ids)],
                "reason_id": self.env.ref("relance_impayes.dispute_reason_defective").id,
            }
        )
        risk = self.env["relance.risk"]
        before, _klass = risk._compute_company(self.company, TODAY)[self.customer.id]
        self.assertIn("+5.0  1 dispute(s) in the last 12 months", self.customer.relance_risk_reasons)
        Risk = type(risk)
        original = Risk._risk_factors

        def _risk_factors(self):
            factors = original(self)
            factors["disputes"] = dict(factors["disputes"], factor=Factor(40, 1.0))
            factors["balance"] = {
                "factor": Factor(3, 1000.0),
                "value": lambda m: m.balance,
                "reason": lambda m, num, money: f"{money(m.balance)} open",
            }
            return factors

        with patch.object(Risk, "_risk_factors", _risk_factors):
            after, _klass = risk._compute_company(self.company, TODAY)[self.customer.id]
        # the dispute now weighs 40 points instead of 10 x 1/2, and the 1 000 open add 3
        self.assertEqual(after, before + 35 + 3)
        reasons = self.customer.relance_risk_reasons.splitlines()
        self.assertEqual(reasons[0], "+40.0  1 dispute(s) in the last 12 months")
        self.assertIn(f"+3.0  {formatLang(self.env, 1000, currency_obj=self.company.currency_id)} open", reasons)
        self.assertEqual(
            risk._compute_company(self.company, TODAY)[self.customer.id][0],
            before,
            "without the override, the default table again",
        )

    def test_segment_rules_choose_the_policy_and_a_manual_choice_wins(self):
        Policy = self.env["relance.policy"]
        strict = Policy.create(
            {"name": "Strict", "level_ids": [Command.create({"name": "Call at once", "delay": 1, "action_call": True})]}
        )
        gentle = Policy.create(
            {
                "name": "Gentle",
                "level_ids": [Command.create({"name": "Call after a month", "delay": 30, "action_call": True})],
            }
        )
        Rule = self.env["relance.segment.rule"]
        new_rule = Rule.create(
            {
                "name": "New customers",
                "sequence": 1,
                "condition": "new_customer",
                "months": 6,
                "invoice_count": 3,
                "policy_id": strict.id,
            }
        )
        good_rule = Rule.create(
            {
                "name": "Good payers",
                "sequence": 2,
                "condition": "good_payer",
                "invoice_count": 3,
                "policy_id": gentle.id,
            }
        )
        risky_rule = Rule.create({"name": "Risky payers", "sequence": 3, "condition": "risky", "policy_id": strict.id})
        newbie = self.customer
        veteran, risky, chosen = (self._relance_customer(name) for name in ("Ancien SA", "Risque SA", "Choisi SA"))
        self._relance_invoice(newbie, 1000, days_late=10)  # first invoice 40 days ago
        for partner in (veteran, risky, chosen):
            for days in (270, 240, 210):  # first invoice 10 months ago, 3 invoices paid on time
                self._paid(partner, 500, days_late=days, paid_days_after_due=0)
            self._relance_invoice(partner, 1000, days_late=10)
        (risky | chosen).sudo().write({"relance_risk_class": "risky"})
        veteran.sudo().relance_risk_class = "good"
        chosen.relance_policy_id = gentle

        Rule._relance_assign(self.company, TODAY)
        self.assertEqual(newbie.relance_segment_rule_id, new_rule)
        self.assertEqual(veteran.relance_segment_rule_id, good_rule)
        self.assertEqual(risky.relance_segment_rule_id, risky_rule)
        self.assertEqual(chosen.relance_segment_rule_id, risky_rule)
        policies = Policy._policies_for_partners(newbie | veteran | risky | chosen, self.company)
        self.assertEqual(policies, {newbie.id: strict, veteran.id: gentle, risky.id: strict, chosen.id: gentle})
        self.assertEqual(chosen.relance_policy_origin, "Gentle (chosen for this customer)")
        self.assertEqual(veteran.relance_policy_origin, "Gentle (rule: Good payers)")
        self.assertEqual(self.customer_b.relance_policy_origin, f"{self.policy.name} (company default)")
        self.assertEqual(good_rule.partner_count, 1)
        # the decision follows: 10 days late is due under the strict policy, not under the gentle one
        decisions = self._decide()
        self.assertEqual(decisions[newbie.id].level_id, strict.level_ids.id)
        self.assertEqual(decisions[risky.id].level_id, strict.level_ids.id)
        self.assertEqual(decisions[veteran.id].skip_reason, "nothing_due")
        self.assertEqual(decisions[chosen.id].skip_reason, "nothing_due")
        # the stored next reminder dates follow the segment, and the policy of a rule
        open_inv = self.env["account.move"].search(
            [("partner_id", "=", veteran.id), ("move_type", "=", "out_invoice"), ("payment_state", "=", "not_paid")]
        )
        self.assertEqual(open_inv.relance_next_date, open_inv.invoice_date_due + timedelta(days=30))
        good_rule.policy_id = strict
        self.assertEqual(open_inv.relance_next_date, open_inv.invoice_date_due + timedelta(days=1))
        good_rule.policy_id = gentle
        # a rule archived: its customers fall to the next rule that matches at once
        new_rule.active = False
        self.assertFalse(newbie.relance_segment_rule_id)
        self.assertEqual(Policy._policies_for_partners(newbie, self.company), {newbie.id: self.policy})

    def test_daily_run_scores_then_segments(self):
        strict = self.env["relance.policy"].create(
            {"name": "Strict", "level_ids": [Command.create({"name": "Call at once", "delay": 1, "action_call": True})]}
        )
        rule = self.env["relance.segment.rule"].create(
            {"name": "Risky payers", "condition": "risky", "policy_id": strict.id}
        )
        self._relance_invoice(self.customer, 3000, days_late=95)
        self._relance_invoice(self.customer, 1000, days_late=65)
        self.assertFalse(self.customer.relance_segment_rule_id)
        self._run_cron()
        self.assertEqual(self.customer.relance_risk_class, "risky")
        self.assertEqual(self.customer.relance_segment_rule_id, rule)


@tagged("post_install", "-at_install")
class TestRelanceCreditReview(RelanceCreditCommon):
    def test_review_sets_the_limit_and_is_logged(self):
        review = self.env["relance.credit.review"].create(
            {
                "partner_id": self.customer.id,
                "source": "banque_de_france",
                "rating": "4+",
                "granted_limit": 20000,
                "note": "Balance sheet 2025 sound",
            }
        )
        self.assertEqual(self.customer.credit_limit, 20000)
        self.assertEqual(self.customer.relance_last_review_date, TODAY)
        self.assertEqual(review.next_review_date, TODAY.replace(year=TODAY.year + 1))
        self.assertIn("Banque de France rating, 4+", self._notes(self.customer)[-1].summary)

    def test_customers_to_review(self):
        self.company.relance_review_exposure = 5000
        stale, fresh, big, small = (
            self.customer,
            self.customer_b,
            *(self._relance_customer(name) for name in ("Gros SA", "Petit SARL")),
        )
        self.env["relance.credit.review"].create(
            [
                {
                    "partner_id": stale.id,
                    "date": TODAY - timedelta(days=400),
                    "granted_limit": 1000,
                    "apply_limit": False,
                },
                {
                    "partner_id": fresh.id,
                    "date": TODAY - timedelta(days=100),
                    "granted_limit": 1000,
                    "apply_limit": False,
                },
            ]
        )
        self._relance_invoice(big, 8000, days_late=5)
        self._relance_invoice(small, 800, days_late=5)
        self._relance_invoice(fresh, 9000, days_late=5)
        action = self.env["res.partner"].action_relance_credit_review_todo()
        self.assertEqual(set(self.env["res.partner"].search(action["domain"]).ids), {stale.id, big.id})
        stale.write(
            {"relance_insurer_id": self._relance_customer("Assureur Crédit SA").id, "relance_insured_amount": 15000}
        )
        self.assertEqual(stale.relance_insured_amount, 15000)
