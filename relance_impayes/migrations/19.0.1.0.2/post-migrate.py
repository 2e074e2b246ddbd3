from odoo import SUPERUSER_ID, api


def migrate(cr, version):
    """Private individuals become consumers by default (C. conso. article liminaire): recompute
    the debtor kind of every customer, then the limitation date of their invoices (2 years from
    the invoice date for a consumer, C. conso. L218-2)."""
    env = api.Environment(cr, SUPERUSER_ID, {})
    recompute(env)


def recompute(env):
    partners = env["res.partner"].with_context(active_test=False).search([])
    for fname in ("relance_debtor_kind", "relance_is_consumer"):
        env.add_to_compute(partners._fields[fname], partners)
    partners.flush_recordset()
    moves = env["account.move"].search([("move_type", "=", "out_invoice")])
    env.add_to_compute(moves._fields["relance_prescription_date"], moves)
    moves.flush_recordset(["relance_prescription_date"])
