from datetime import date, datetime, timedelta

from psycopg2 import IntegrityError

from odoo import Command
from odoo.exceptions import ValidationError
from odoo.tests import tagged
from odoo.tools import mute_logger

from odoo.addons.relance_impayes.tools import interest as relance_penalty

from .common import TODAY, RelanceCommon


@tagged("post_install", "-at_install")
class TestRelancePenalties(RelanceCommon):
    """Late-payment penalties (C. com. L441-10 II), the 40 indemnity and B2C legal interest,
    checked against amounts computed by hand.

    Convention: interest = base x rate / 100 x days / 365 for each day d with due < d <= date, on the
    amount unpaid at the end of d - 1; a period is cut at 1 January / 1 July and after each payment.
    Rates from the shipped table (LEGAL_FR.md §4): 2025-H1 ECB 3.15 -> 13.15 %, 2025-H2 and
    2026-H1 ECB 2.15 -> 12.15 %; legal rate (other cases) 2025-H2 2.76 %, 2026-H1 2.62 %.
    The test company's currency is whatever AccountTestInvoicingCommon gives it: amounts are in
    ``company.currency_id`` unless stated.
    """

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.currency = cls.company.currency_id
        cls.company.relance_indemnity_amount = 40.0

    def _invoice(self, partner, amount, due, currency=None, invoice_date=None):
        move = self.env["account.move"].create(
            {
                "move_type": "out_invoice",
                "partner_id": partner.id,
                "invoice_date": invoice_date or due - timedelta(days=30),
                "invoice_date_due": due,
                "currency_id": (currency or self.currency).id,
                "invoice_line_ids": [
                    Command.create({"name": "Prestation", "quantity": 1, "price_unit": amount, "tax_ids": []})
                ],
            }
        )
        move.action_post()
        return move

    def _periods(self, result):
        return [
            (
                p["date_from"],
                p["date_to"],
                p["days"],
                p["base"],
                p["rate"],
                p["rate_kind"],
                p["half_year"],
                p["interest"],
            )
            for p in result["periods"]
        ]

    def assertAmounts(self, result, interest, indemnity, total):
        self.assertAlmostEqual(result["interest"], interest, places=2)
        self.assertAlmostEqual(result["indemnity"], indemnity, places=2)
        self.assertAlmostEqual(result["total"], total, places=2)

    # ------------------------------------------------------------------
    # (a) half-year split
    # ------------------------------------------------------------------
    def test_period_straddling_1_july_is_split_at_each_half_year_rate(self):
        inv = self._invoice(self.customer, 10000, date(2025, 6, 15))
        res = inv._relance_penalties(date=date(2025, 7, 15))
        # 16/06 -> 30/06: 10 000 x 13.15 % x 15 / 365 = 54.0411 -> 54.04
        # 01/07 -> 15/07: 10 000 x 12.15 % x 15 / 365 = 49.9315 -> 49.93
        # interest 103.97 + indemnity 40.00 = 143.97
        self.assertEqual(
            self._periods(res),
            [
                (date(2025, 6, 16), date(2025, 6, 30), 15, 10000.0, 13.15, "legal", "2025-H1", 54.04),
                (date(2025, 7, 1), date(2025, 7, 15), 15, 10000.0, 12.15, "legal", "2025-H2", 49.93),
            ],
        )
        self.assertAmounts(res, 103.97, 40.0, 143.97)
        self.assertEqual(res["days_late"], 30)
        self.assertAlmostEqual(res["base"], 10000.0, places=2)
        self.assertEqual(res["currency"], self.currency)
        self.assertFalse(res["waived"])
        self.assertFalse(res["consumer"])
        self.assertEqual(res["warnings"], [])
        self.assertFalse(any(p["fallback"] for p in res["periods"]))

    def test_nothing_is_owed_up_to_the_due_date(self):
        inv = self._invoice(self.customer, 10000, date(2025, 6, 15))
        res = inv._relance_penalties(date=date(2025, 6, 15))
        self.assertEqual(res["periods"], [])
        self.assertEqual(res["days_late"], 0)
        self.assertAmounts(res, 0.0, 0.0, 0.0)

    # ------------------------------------------------------------------
    # (b) partial payment
    # ------------------------------------------------------------------
    def test_partial_payment_reduces_the_base_from_the_day_after_payment(self):
        inv = self._invoice(self.customer, 10000, date(2025, 6, 15))
        self._pay(inv, 4000, date(2025, 6, 25))
        res = inv._relance_penalties(date=date(2025, 7, 15))
        # 16/06 -> 25/06: 10 000 x 13.15 % x 10 / 365 = 36.0274 -> 36.03 (the payment day is still charged)
        # 26/06 -> 30/06:  6 000 x 13.15 % x  5 / 365 = 10.8082 -> 10.81
        # 01/07 -> 15/07:  6 000 x 12.15 % x 15 / 365 = 29.9589 -> 29.96
        # interest 76.80 + indemnity 40.00 = 116.80
        self.assertEqual(
            self._periods(res),
            [
                (date(2025, 6, 16), date(2025, 6, 25), 10, 10000.0, 13.15, "legal", "2025-H1", 36.03),
                (date(2025, 6, 26), date(2025, 6, 30), 5, 6000.0, 13.15, "legal", "2025-H1", 10.81),
                (date(2025, 7, 1), date(2025, 7, 15), 15, 6000.0, 12.15, "legal", "2025-H2", 29.96),
            ],
        )
        self.assertAmounts(res, 76.80, 40.0, 116.80)
        self.assertAlmostEqual(res["base"], 6000.0, places=2)
        self.assertEqual(res["days_late"], 30)

    def test_credit_note_counts_like_a_payment_at_its_date(self):
        inv = self._invoice(self.customer, 10000, date(2025, 6, 15))
        refund = self._relance_refund(self.customer, 4000, date(2025, 6, 25))
        (inv + refund).line_ids.filtered(lambda line: line.account_type == "asset_receivable").reconcile()
        res = inv._relance_penalties(date=date(2025, 7, 15))
        # same figures as the payment of 4 000 on 25/06
        self.assertAmounts(res, 76.80, 40.0, 116.80)

    # ------------------------------------------------------------------
    # (c) contractual rates
    # ------------------------------------------------------------------
    def test_partner_contract_rate_beats_company_rate(self):
        self.company.relance_penalty_rate = 9.0
        self.customer.relance_penalty_rate = 12.0
        inv = self._relance_invoice(self.customer, 5000, days_late=38)  # due 31/01/2026
        inv_b = self._relance_invoice(self.customer_b, 5000, days_late=38)
        res = inv._relance_penalties()
        # 01/02 -> 10/03/2026: 38 days; 5 000 x 12 % x 38 / 365 = 62.4658 -> 62.47
        self.assertEqual(
            self._periods(res),
            [
                (date(2026, 2, 1), TODAY, 38, 5000.0, 12.0, "contract", "2026-H1", 62.47),
            ],
        )
        self.assertAmounts(res, 62.47, 40.0, 102.47)
        # no partner rate: the company's; 5 000 x 9 % x 38 / 365 = 46.8493 -> 46.85
        res_b = inv_b._relance_penalties()
        self.assertEqual(res_b["periods"][0]["rate"], 9.0)
        self.assertEqual(res_b["periods"][0]["rate_kind"], "contract")
        self.assertAmounts(res_b, 46.85, 40.0, 86.85)

    def test_contract_rate_is_flat_across_half_years_above_their_floor(self):
        self.company.relance_penalty_rate = 10.0
        inv = self._invoice(self.customer, 10000, date(2025, 6, 15))
        res = inv._relance_penalties(date=date(2025, 7, 15))
        # 2025-H1: 10 % is below that half-year's floor (3 x 3.71 = 11.13 %): raised to it (LEGAL_FR §2),
        # 10 000 x 11.13 % x 15 / 365 = 45.7397 -> 45.74; 2025-H2 (floor 8.28 %): 10 000 x 10 % x 15 / 365
        # = 41.0959 -> 41.10
        self.assertEqual(
            [(p["half_year"], p["rate"], p["floored"], p["interest"]) for p in res["periods"]],
            [("2025-H1", 11.13, True, 45.74), ("2025-H2", 10.0, False, 41.10)],
        )
        self.assertAmounts(res, 86.84, 40.0, 126.84)

    # ------------------------------------------------------------------
    # (d) floor
    # ------------------------------------------------------------------
    def test_contract_rate_below_three_times_legal_rate_is_refused(self):
        # 2026-H1: 3 x 2.62 % = 7.86 %
        with self.assertRaisesRegex(ValidationError, r"7\.86"):
            self.company.relance_penalty_rate = 5.0
        with self.assertRaisesRegex(ValidationError, r"7\.86"):
            self.customer.relance_penalty_rate = 7.85
        with self.assertRaises(ValidationError):
            self.customer.relance_penalty_rate = -1.0
        self.company.relance_penalty_rate = 7.86
        self.customer.relance_penalty_rate = 0.0  # legal default
        self.assertEqual(self.company.relance_penalty_rate, 7.86)

    def test_reference_rates_are_bounded_and_unique(self):
        Rate = self.env["relance.rate"]
        with self.assertRaisesRegex(ValidationError, "between"), self.cr.savepoint():
            Rate.create(
                {"year": 2026, "half": "2", "ecb_rate": 150.0, "legal_rate_consumer": 6.0, "legal_rate_other": 3.0}
            )
        rate = Rate.create(
            {"year": 2026, "half": "2", "ecb_rate": 2.0, "legal_rate_consumer": 6.0, "legal_rate_other": 3.0}
        )
        self.assertEqual(rate.date_start, date(2026, 7, 1))
        self.assertEqual(rate.name, "2026-H2")
        self.assertAlmostEqual(rate.default_rate, 12.0)
        self.assertAlmostEqual(rate.floor_rate, 9.0)
        with self.assertRaises(IntegrityError), self.cr.savepoint(), mute_logger("odoo.sql_db"):
            Rate.create(
                {"year": 2026, "half": "2", "ecb_rate": 2.0, "legal_rate_consumer": 6.0, "legal_rate_other": 3.0}
            )

    # ------------------------------------------------------------------
    # (e) consumers
    # ------------------------------------------------------------------
    def test_consumer_owes_legal_interest_only_from_the_formal_notice(self):
        consumer = self._relance_customer("Durand Jean", is_company=False, relance_is_consumer=True)
        inv = self._invoice(consumer, 2000, date(2025, 11, 30))
        res = inv._relance_penalties()
        self.assertTrue(res["consumer"])
        self.assertEqual(res["days_late"], 100)
        self.assertEqual(res["periods"], [])
        self.assertAmounts(res, 0.0, 0.0, 0.0)

        self.env["relance.interaction"].sudo().create(
            {
                "partner_id": consumer.id,
                "kind": "registered_letter",
                "summary": "Mise en demeure",
                "move_ids": [Command.set(inv.ids)],
                "date": datetime(2025, 12, 18, 10, 0),
                "lrar_status": "received",
                "lrar_sent_date": date(2025, 12, 18),
                "lrar_receipt_date": date(2025, 12, 21),
            }
        )
        self.assertEqual(inv._relance_formal_notice_date(), date(2025, 12, 21))
        res = inv._relance_penalties()
        # from the day after receipt, at the legal rate (other cases), no indemnity:
        # 22/12 -> 31/12/2025: 2 000 x 2.76 % x 10 / 365 = 1.5123 -> 1.51
        # 01/01 -> 10/03/2026: 2 000 x 2.62 % x 69 / 365 = 9.9058 -> 9.91
        self.assertEqual(
            self._periods(res),
            [
                (date(2025, 12, 22), date(2025, 12, 31), 10, 2000.0, 2.76, "legal_interest", "2025-H2", 1.51),
                (date(2026, 1, 1), TODAY, 69, 2000.0, 2.62, "legal_interest", "2026-H1", 9.91),
            ],
        )
        self.assertAmounts(res, 11.42, 0.0, 11.42)

    def test_formal_notice_without_receipt_runs_from_the_posting(self):
        consumer = self._relance_customer("Petit Anne", is_company=False, relance_is_consumer=True)
        inv = self._invoice(consumer, 2000, date(2025, 11, 30))
        letter = (
            self.env["relance.interaction"]
            .sudo()
            .create(
                {
                    "partner_id": consumer.id,
                    "kind": "registered_letter",
                    "summary": "Mise en demeure",
                    "move_ids": [Command.set(inv.ids)],
                    "date": datetime(2026, 2, 6, 10, 0),
                    "lrar_status": "to_send",
                }
            )
        )
        self.assertFalse(inv._relance_formal_notice_date(), "a letter still to post is no formal notice")
        letter.write({"lrar_status": "sent", "lrar_sent_date": date(2026, 2, 9)})
        self.assertEqual(inv._relance_formal_notice_date(), date(2026, 2, 9))
        # 10/02 -> 10/03/2026: 29 days; 2 000 x 2.62 % x 29 / 365 = 4.1633 -> 4.16
        self.assertAmounts(inv._relance_penalties(), 4.16, 0.0, 4.16)

    # ------------------------------------------------------------------
    # (f) foreign currency
    # ------------------------------------------------------------------
    def test_foreign_currency_interest_in_invoice_currency(self):
        chf = self.setup_other_currency("CHF", rates=[("2020-01-01", 2.0)])  # 1 company unit = 2 CHF
        self.assertNotEqual(chf, self.currency)
        inv = self._invoice(self.customer, 10000, date(2025, 6, 15), currency=chf)
        res = inv._relance_penalties(date=date(2025, 7, 15))
        # same figures as (a), in CHF; indemnity 40 x 2 = 80 CHF
        self.assertEqual(res["currency"], chf)
        self.assertEqual([p["interest"] for p in res["periods"]], [54.04, 49.93])
        self.assertAmounts(res, 103.97, 80.0, 183.97)

    # ------------------------------------------------------------------
    # (g) paid late
    # ------------------------------------------------------------------
    def test_interest_stops_at_the_payment_of_an_invoice_paid_late(self):
        inv = self._invoice(self.customer, 10000, date(2025, 6, 15))
        self._pay(inv, 10000, date(2025, 7, 5))
        self.assertIn(inv.payment_state, ("paid", "in_payment"))
        res = inv._relance_penalties()  # computed on 10/03/2026, long after the payment
        # 16/06 -> 30/06: 10 000 x 13.15 % x 15 / 365 = 54.0411 -> 54.04
        # 01/07 -> 05/07: 10 000 x 12.15 % x  5 / 365 = 16.6438 -> 16.64
        self.assertEqual(
            self._periods(res),
            [
                (date(2025, 6, 16), date(2025, 6, 30), 15, 10000.0, 13.15, "legal", "2025-H1", 54.04),
                (date(2025, 7, 1), date(2025, 7, 5), 5, 10000.0, 12.15, "legal", "2025-H2", 16.64),
            ],
        )
        self.assertAmounts(res, 70.68, 40.0, 110.68)
        self.assertEqual(res["days_late"], 20)
        self.assertAlmostEqual(res["base"], 0.0, places=2)

    def test_invoice_paid_on_its_due_date_owes_nothing(self):
        inv = self._invoice(self.customer, 10000, date(2025, 6, 15))
        self._pay(inv, 10000, date(2025, 6, 15))
        res = inv._relance_penalties()
        self.assertEqual(res["days_late"], 0)
        self.assertEqual(res["periods"], [])
        self.assertAmounts(res, 0.0, 0.0, 0.0)

    # ------------------------------------------------------------------
    # (h) missing rate
    # ------------------------------------------------------------------
    def test_missing_half_year_falls_back_to_latest_rate_with_a_warning(self):
        inv = self._invoice(self.customer, 10000, date(2026, 6, 15), invoice_date=date(2026, 2, 1))
        res = inv._relance_penalties(date=date(2026, 7, 15))
        # 16/06 -> 30/06: 10 000 x 12.15 % x 15 / 365 = 49.9315 -> 49.93 (2026-H1)
        # 01/07 -> 15/07: same, 2026-H2 unknown -> rate of 2026-H1
        self.assertEqual(
            self._periods(res),
            [
                (date(2026, 6, 16), date(2026, 6, 30), 15, 10000.0, 12.15, "legal", "2026-H1", 49.93),
                (date(2026, 7, 1), date(2026, 7, 15), 15, 10000.0, 12.15, "legal", "2026-H2", 49.93),
            ],
        )
        self.assertEqual(
            [(p["fallback"], p["fallback_half_year"]) for p in res["periods"]], [(False, False), (True, "2026-H1")]
        )
        self.assertEqual(res["warnings"], ["No reference rate for 2026-H2: the rate of 2026-H1 was used."])
        self.assertAmounts(res, 99.86, 40.0, 139.86)
        shown = inv.with_context(relance_date=date(2026, 7, 15))
        self.assertEqual(shown.relance_penalty_warning, res["warnings"][0], "said wherever the amount is shown")
        self.assertEqual(self.env["relance.penalty"]._half_year_label("2026-H2"), "2026-H2")

        # the manager records the new half-year: ECB 2.40 -> 12.40 %; 10 000 x 12.40 % x 15 / 365 = 50.9589
        self.env["relance.rate"].create(
            {"year": 2026, "half": "2", "ecb_rate": 2.40, "legal_rate_consumer": 6.50, "legal_rate_other": 2.60}
        )
        res = inv._relance_penalties(date=date(2026, 7, 15))
        self.assertEqual(res["warnings"], [])
        self.assertEqual([p["interest"] for p in res["periods"]], [49.93, 50.96])
        self.assertAmounts(res, 100.89, 40.0, 140.89)

    # ------------------------------------------------------------------
    # (i) waivers
    # ------------------------------------------------------------------
    def test_waived_invoice_owes_nothing_and_needs_a_reason(self):
        inv = self._invoice(self.customer, 10000, date(2025, 6, 15))
        with self.assertRaises(ValidationError):
            inv.relance_penalty_waived = True
        inv.with_context(tracking_disable=False, mail_notrack=False).write(
            {"relance_penalty_waived": True, "relance_penalty_waive_reason": "Commercial gesture"}
        )
        self.flush_tracking()
        res = inv._relance_penalties(date=date(2025, 7, 15))
        self.assertTrue(res["waived"])
        self.assertEqual(res["periods"], [])
        self.assertAmounts(res, 0.0, 0.0, 0.0)
        tracked = inv.message_ids.tracking_value_ids.field_id.mapped("name")
        self.assertIn("relance_penalty_waive_reason", tracked)

    def test_waived_customer_owes_nothing_and_needs_a_reason(self):
        inv = self._invoice(self.customer, 10000, date(2025, 6, 15))
        with self.assertRaises(ValidationError):
            self.customer.relance_penalty_waived = True
        self.customer.with_context(tracking_disable=False, mail_notrack=False).write(
            {"relance_penalty_waived": True, "relance_penalty_waive_reason": "Key account"}
        )
        self.flush_tracking()
        res = inv._relance_penalties(date=date(2025, 7, 15))
        self.assertTrue(res["waived"])
        self.assertAmounts(res, 0.0, 0.0, 0.0)
        tracked = self.customer.message_ids.tracking_value_ids.field_id.mapped("name")
        self.assertIn("relance_penalty_waive_reason", tracked)

    # ------------------------------------------------------------------
    # Display fields, customer summary, accounts
    # ------------------------------------------------------------------
    def test_display_fields_and_customer_summary(self):
        inv1 = self._relance_invoice(self.customer, 1000, days_late=60)  # due 09/01/2026
        inv2 = self._relance_invoice(self.customer, 2000, days_late=10)  # due 28/02/2026
        self._relance_invoice(self.customer, 3000, days_late=-5)  # not due yet
        # 10/01 -> 10/03: 1 000 x 12.15 % x 60 / 365 = 19.9726 -> 19.97
        # 01/03 -> 10/03: 2 000 x 12.15 % x 10 / 365 =  6.6575 ->  6.66
        self.assertAlmostEqual(inv1.relance_interest_amount, 19.97, places=2)
        self.assertAlmostEqual(inv1.relance_indemnity_amount, 40.0, places=2)
        self.assertAlmostEqual(inv1.relance_penalty_total, 59.97, places=2)
        self.assertAlmostEqual(inv2.relance_penalty_total, 46.66, places=2)
        summary = self.env["relance.penalty"]._partner_summaries(self.customer)[self.customer.id]
        self.assertEqual(summary["count"], 2)
        self.assertEqual(summary["currency"], self.currency)
        self.assertAlmostEqual(summary["interest"], 26.63, places=2)
        self.assertAlmostEqual(summary["indemnity"], 80.0, places=2)
        self.assertAlmostEqual(summary["total"], 106.63, places=2)
        self.assertAlmostEqual(self.customer.relance_penalty_total, 106.63, places=2)
        # another computation date through the context
        later = inv1.with_context(relance_date=date(2026, 3, 20))
        # 10/01 -> 20/03: 1 000 x 12.15 % x 70 / 365 = 23.3014 -> 23.30
        self.assertAlmostEqual(later.relance_interest_amount, 23.30, places=2)

    def test_penalty_accounts_default_to_french_chart_codes(self):
        Account = self.env["account.account"].with_company(self.company)
        existing = {
            code: Account.search([*Account._check_company_domain(self.company), ("code", "=", code)], limit=1)
            for code in ("763100", "758100")
        }
        interest = existing["763100"] or Account.create(
            {"code": "763100", "name": "Revenus des créances commerciales", "account_type": "income"}
        )
        indemnity = existing["758100"] or Account.create(
            {"code": "758100", "name": "Dédits et pénalités", "account_type": "income"}
        )
        self.assertEqual(self.company._relance_penalty_accounts(), (interest, indemnity))
        other = Account.create({"code": "763900", "name": "Autres pénalités", "account_type": "income"})
        self.company.relance_interest_account_id = other
        self.assertEqual(self.company._relance_penalty_accounts(), (other, indemnity))

    # ------------------------------------------------------------------
    # The pure arithmetic, without invoices
    # ------------------------------------------------------------------
    def test_pure_periods_cut_at_new_year_and_after_each_payment(self):
        lookup = relance_penalty.rate_lookup({(2024, 2): 14.25, (2025, 1): 13.15})
        periods = relance_penalty.interest_periods(
            date(2024, 12, 20),
            date(2025, 1, 10),
            1000.0,
            [(date(2025, 1, 5), 600.0), (date(2024, 12, 25), 400.0)],
            lookup,
            "legal",
        )
        # 21/12 -> 25/12: 1 000 x 14.25 % x 5 / 365 = 1.9521
        # 26/12 -> 31/12:   600 x 14.25 % x 6 / 365 = 1.4055
        # 01/01 -> 05/01:   600 x 13.15 % x 5 / 365 = 1.0808 (then nothing is left to pay)
        self.assertEqual(
            [(p["date_from"], p["days"], p["base"], p["rate"]) for p in periods],
            [
                (date(2024, 12, 21), 5, 1000.0, 14.25),
                (date(2024, 12, 26), 6, 600.0, 14.25),
                (date(2025, 1, 1), 5, 600.0, 13.15),
            ],
        )
        self.assertAlmostEqual(sum(p["interest"] for p in periods), 1.9521 + 1.4055 + 1.0808, places=3)
        self.assertEqual(
            relance_penalty.days_late(
                date(2024, 12, 20), date(2025, 1, 10), 1000.0, [(date(2025, 1, 5), 600.0), (date(2024, 12, 25), 400.0)]
            ),
            16,
        )
        # unknown half-year before any known one: the earliest known rate, flagged
        self.assertEqual(lookup((2024, 1)), (14.25, (2024, 2)))
        self.assertEqual(relance_penalty.rate_lookup({})((2024, 1)), (None, None))
