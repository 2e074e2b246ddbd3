"""The module's entry points called by the benchmarks, in ONE place.

Every benchmark script goes through these functions, so a refactor of the module that moves
code around (issue 9: ``relance.engine`` etc.) only needs this file retargeted. Only the public
contract is used: ``account.move._relance_decide(company, date, partners=None)``,
``relance.communication._plan(company, decisions, date)``, ``_pending_domain(company)``,
``_execute()`` and the letter report action ``relance_impayes.action_report_relance_letter``.
"""

LETTER_REPORT = "relance_impayes.action_report_relance_letter"
CRON_XMLID = "relance_impayes.ir_cron_relance"


def decide(env, company, run_date, partners=None):
    """(a) the decision: one record per customer, ``skip_reason`` None when it is to remind."""
    return env["account.move"]._relance_decide(company, run_date, partners=partners)


def to_remind(decisions):
    return [d for d in decisions if d.skip_reason is None]


def plan(env, company, decisions, run_date):
    """(b) communications and their lines for the decisions to remind."""
    return env["relance.communication"]._plan(company, decisions, run_date)


def pending(env, company):
    """The communications (c) will perform (what the cron's ``_run`` executes after planning)."""
    comm = env["relance.communication"]
    return comm.search(comm._pending_domain(company))


def execute(communications):
    """(c) one batch of communications: render, queue mail.mail, mark to_validate."""
    communications._execute()


def patch_letters_out(env):
    """Make the letter channel render no PDF (letters are timed apart). Returns ``restore()``.

    The letter channels' ``perform`` is ``relance.communication._action_letter``: since issue 11 it
    only marks the letter to render (the PDF is the letters' own step, timed by
    ``render_letters_step``); patched out, the letter levels do not even mark it. If a refactor
    renames it, retarget here (the benchmark then says it could not patch it).
    """
    comm_class = type(env["relance.communication"])
    name = "_action_letter"
    if not hasattr(comm_class, name):
        print(f"WARNING: relance.communication.{name} not found: letters are NOT patched out")
        return lambda: None
    original = comm_class.__dict__.get(name)

    def _noop(self):
        self.letter_id = False

    setattr(comm_class, name, _noop)

    def restore():
        if original is None:
            delattr(comm_class, name)
        else:
            setattr(comm_class, name, original)
    return restore


def record_reference_rates(env, run_date):
    """Record the reference rates of ``run_date``'s half-year and the one before when missing
    (``relance.rate``; figures of 2025 H2), so that no formal notice waits for a manager to enter
    them. Code without that model: nothing to do."""
    if "relance.rate" not in env:
        return
    rate = env["relance.rate"]
    halves = [(run_date.year, "1" if run_date.month <= 6 else "2")]
    halves.append((run_date.year, "1") if halves[0][1] == "2" else (run_date.year - 1, "2"))
    for year, half in halves:
        if not rate.search_count([("year", "=", year), ("half", "=", half)]):
            rate.create({"year": year, "half": half, "ecb_rate": 2.15, "legal_rate_consumer": 6.67,
                         "legal_rate_other": 2.62})


def considered_domain(env, company):
    """Open, not excluded invoices of ``company`` (what the decision looks at), for counts."""
    from odoo.fields import Domain
    move = env["account.move"]
    return Domain("company_id", "=", company.id) & move._relance_open_domain() & ~move._relance_exclusion_domain()


def ladder(company):
    """The company's default policy levels, in order (the generator aims its history at them)."""
    return list(company.relance_policy_id._ladder())


def render_letter(env, communications):
    """The letter PDF of ``communications`` (one PDF for all of them), as the letter channel makes it."""
    report = env.ref(LETTER_REPORT)
    date = communications[:1].date
    pdf, _fmt = env["ir.actions.report"]._render_qweb_pdf(
        report.report_name, communications.ids, data={"date": str(date)} if date else None)
    return pdf


def mark_letters_pending(communications):
    """What the letter channels do at send time: the letters of ``communications`` to render."""
    for comm in communications:
        comm._action_letter()


def render_letters_step(env):
    """The letters' scheduled action (``relance.communication._cron_render_letters``), its
    per-batch commit replaced by a flush (the benchmark runs in one rolled-back transaction).
    Returns the communications whose letter it rendered."""
    from unittest.mock import patch

    cron_class = type(env["ir.cron"])

    def flush_progress(cron, processed=0, **kwargs):
        cron.env.flush_all()
        return float("inf")

    comm = env["relance.communication"]
    pending = comm.search(comm._relance_letter_domain())
    with patch.object(cron_class, "_commit_progress", flush_progress):
        comm._cron_render_letters()
    return pending.filtered(lambda c: c.letter_state == "done")
