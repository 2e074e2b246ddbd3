"""What a write really changes, and how a change is told in a history note: shared by the
guarded fields of invoices (account_move_access.py) and customers (res_partner_access.py)."""

from odoo import fields, models


def real_changes(records, vals, names):
    """``{record: [(field name, old value, new value)]}`` for the fields of ``names`` that ``vals``
    really changes on ``records`` (a form sending a value unchanged is no change)."""
    changes = {}
    for name in names & vals.keys():
        field = records._fields[name]
        for record in records:
            old = record[name]
            new = field.convert_to_record(field.convert_to_cache(vals[name], record), record)
            if old != new:
                changes.setdefault(record, []).append((name, old, new))
    return changes


def change_label(record, name, value):
    """``value`` of field ``name`` of ``record`` as a history note shows it ("-" when empty)."""
    field = record._fields[name]
    if field.type == "boolean":
        return record.env._("Yes") if value else record.env._("No")
    if isinstance(value, models.BaseModel):
        return value.display_name or "-"
    if field.type == "selection":
        return dict(field._description_selection(record.env)).get(value, "-")
    if field.type == "date":
        return fields.Date.to_string(value) if value else "-"
    return str(value) if value not in (False, None, "") else "-"
