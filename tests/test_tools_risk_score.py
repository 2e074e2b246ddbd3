"""Risk-score arithmetic (relance_impayes/tools/risk_score.py), without Odoo nor database.

Figures of the Odoo test TestRelanceRisk.test_scores_on_known_histories, computed by hand.
"""

import importlib.util
from datetime import date
from pathlib import Path

import pytest

PATH = Path(__file__).resolve().parent.parent / "relance_impayes" / "tools" / "risk_score.py"
spec = importlib.util.spec_from_file_location("relance_tools_risk_score", PATH)
risk_score = importlib.util.module_from_spec(spec)
spec.loader.exec_module(risk_score)
Factor = risk_score.Factor

# the default table of relance.risk._risk_factors
FACTORS = {
    "days_late": Factor(25, 60.0),
    "late_share": Factor(20, 1.0),
    "reminders": Factor(10, 2.0),
    "disputes": Factor(10, 2.0),
    "broken_promises": Factor(10, 2.0),
    "overdue": Factor(15, 90.0),
    "dso": Factor(10, 60.0),
}
TODAY = date(2026, 3, 10)


def test_module_needs_no_odoo():
    source = PATH.read_text(encoding="utf-8")
    assert "import odoo" not in source and "from odoo" not in source


def test_default_maxima_add_up_to_100():
    assert sum(f.points for f in FACTORS.values()) == 100


def test_customer_to_watch():
    # 27.5 days late, 2 of 3 late, 1/3 reminder per invoice, 40 days overdue, DSO 84.5 (30 free)
    values = {
        "days_late": 27.5,
        "late_share": 2 / 3,
        "reminders": 1 / 3,
        "disputes": 0,
        "broken_promises": 0,
        "overdue": 40.0,
        "dso": 84.5 - 30,
    }
    score, parts = risk_score.score(values, FACTORS)
    # 25 x 27.5 / 60 + 20 x 2/3 + 10 x (1/3) / 2 + 15 x 40 / 90 + 10 x 54.5 / 60 = 42.21
    assert score == 42
    assert {name: round(points, 1) for name, points in parts} == {
        "days_late": 11.5,
        "late_share": 13.3,
        "reminders": 1.7,
        "overdue": 6.7,
        "dso": 9.1,
    }
    assert sum(points for _name, points in parts) == pytest.approx(42.2083, abs=1e-4)
    assert risk_score.risk_class(score, 40, 60) == "watch"


def test_risky_customer_saturates_and_the_score_rounds_half_up():
    values = {"days_late": 87.5, "late_share": 1.0, "overdue": 87.5, "dso": 130 - 30}
    score, parts = risk_score.score(values, FACTORS)
    # 25 (saturated) + 20 + 15 x 87.5 / 90 + 10 (saturated) = 69.58
    assert score == 70
    assert dict(parts)["days_late"] == 25 and dict(parts)["dso"] == 10
    assert risk_score.risk_class(score, 40, 60) == "risky"
    assert risk_score.score({"late_share": 0.125}, {"late_share": Factor(20, 1.0)})[0] == 3, "2.5 rounds up"
    assert risk_score.score({"days_late": 1000}, {"days_late": Factor(150, 1.0)})[0] == 100, "at most 100"


def test_negative_or_missing_values_give_no_points():
    score, parts = risk_score.score({"dso": 20 - 30}, FACTORS)
    assert (score, parts) == (0, [])
    assert risk_score.risk_class(0, 40, 60) == "good"


def test_reweighted_table_changes_the_score():
    values = {"disputes": 1}
    assert risk_score.score(values, FACTORS)[0] == 5
    assert risk_score.score(values, dict(FACTORS, disputes=Factor(40, 1.0)))[0] == 40


