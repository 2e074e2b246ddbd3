"""Reload the shipped reminder email templates that nobody edited.

``data/mail_template_data.xml`` is ``noupdate``: an upgraded database keeps the bodies of its
first install (no instalments, L441-10 paragraph for consumers, "Dear Dupont SARL,"...). A
template is reloaded from the module's current file, with its French translation, only when
it is exactly as some earlier version shipped it: its English subject and body hash to one of
``SHIPPED`` and it was never written since it was created (an edit in any language writes it).
Edited templates are left alone and listed in the log, for the accountant to compare.

``SHIPPED`` holds, per template, the digests of every version of the file in the history
(``python3 post-migrate.py`` in a checkout prints them again, with :func:`shipped_digests`).
"""

import hashlib
import io
import logging
import re
import subprocess
import sys

from lxml import etree

_logger = logging.getLogger(__name__)

MODULE = "relance_impayes"
DATA_FILE = "data/mail_template_data.xml"

# template xml id -> digests (subject, body) of every version shipped up to 19.0.1.0.3
SHIPPED = {
    "mail_template_relance_amiable": ["e06c57768cf85882", "fb6acfe9043526aa"],
    "mail_template_relance_courtesy": ["23dff638b5c895fd", "2b303a5b743cd136"],
    "mail_template_relance_final": ["1cd2a71cc7b15f84", "7fa15bc19825f4f3", "99afd5ab0189f1e1"],
    "mail_template_relance_formal": ["1918b25a35b8243d", "b43ad75b82eb5c68"],
    "mail_template_relance_phone": ["9bff9247027efc8b", "ad50a6eb3b820634"],
    "mail_template_relance_plan_notice": ["07f21c466af224e2"],
    "mail_template_relance_plan_reminder": ["bc735204526e9ddb"],
}


def digest(subject, body):
    """A digest of a template's English subject and body that ignores how the body was
    serialised (``<p/>`` or ``<p></p>``, attribute quoting, blanks); ``None`` when the body is
    not well-formed (it was not written by this module)."""
    try:
        root = etree.fromstring(f"<root>{body or ''}</root>")
    except etree.XMLSyntaxError:
        return None
    canonical = etree.tostring(root, method="c14n")
    text = re.sub(rb"\s+", b"", canonical) + b"\x00" + re.sub(r"\s+", "", subject or "").encode()
    return hashlib.sha256(text).hexdigest()[:16]


def shipped_values(xml):
    """``{xml id: (subject, body)}`` of the mail templates of a version of the data file, the
    body serialised as ``odoo.tools.convert`` stores an ``html`` field."""
    values = {}
    for record in etree.fromstring(xml).iter("record"):
        if record.get("model") != "mail.template":
            continue
        fields = {node.get("name"): node for node in record.iter("field")}
        body = "".join(etree.tostring(child, encoding="unicode") for child in fields["body_html"])
        values[record.get("id")] = (fields["subject"].text or "", body)
    return values


def shipped_digests(repo="."):
    """``{xml id: sorted digests}`` over every committed version of the data file."""
    path = f"{MODULE}/{DATA_FILE}"
    commits = subprocess.check_output(["git", "-C", repo, "log", "--format=%H", "--", path], text=True).split()
    found = {}
    for commit in commits:
        xml = subprocess.check_output(["git", "-C", repo, "show", f"{commit}:{path}"])
        for xmlid, (subject, body) in shipped_values(xml).items():
            found.setdefault(xmlid, set()).add(digest(subject, body))
    return {xmlid: sorted(d for d in digests if d) for xmlid, digests in sorted(found.items())}


def migrate(cr, version):
    from odoo import SUPERUSER_ID, api  # noqa: PLC0415 - the script also runs without Odoo (see __main__)

    reload_unedited_templates(api.Environment(cr, SUPERUSER_ID, {}))


def reload_unedited_templates(env, shipped=None):
    """Reload the templates of :data:`SHIPPED` (or ``shipped``) nobody edited; return
    ``(reloaded xml ids, edited xml ids)``."""
    from odoo.modules import get_module_path  # noqa: PLC0415
    from odoo.tools import convert  # noqa: PLC0415

    shipped = SHIPPED if shipped is None else shipped
    with open(f"{get_module_path(MODULE)}/{DATA_FILE}", "rb") as data_file:
        tree = etree.parse(data_file)
    reload, edited = [], []
    for xmlid, digests in shipped.items():
        template = env.ref(f"{MODULE}.{xmlid}", raise_if_not_found=False)
        if not template:
            continue
        english = template.with_context(lang="en_US")
        written = template.write_date != template.create_date
        if written or digest(english.subject, english.body_html) not in digests:
            edited.append(xmlid)
        else:
            reload.append(xmlid)
    if reload:
        data = tree.getroot().find("data")
        for record in list(data):
            if record.tag == "record" and record.get("id") not in reload:
                data.remove(record)
        # mode "init": noupdate records are written again; only the records kept above
        kept = io.BytesIO(etree.tostring(tree))
        kept.name = DATA_FILE  # named in Odoo's messages
        convert.convert_xml_import(env, MODULE, kept, {}, mode="init", noupdate=True)
        _reload_translations(env, reload)
        _logger.info("Reminder email templates reloaded (never edited): %s", ", ".join(reload))
    if edited:
        _logger.warning(
            "Reminder email templates edited in this database, left as they are (compare them with the "
            "module's new version in %s): %s",
            DATA_FILE,
            ", ".join(edited),
        )
    return reload, edited


def _reload_translations(env, xmlids):
    """The module's translations of the reloaded templates only, in the installed languages."""
    from odoo.tools.translate import TranslationImporter, get_po_paths  # noqa: PLC0415

    langs = [code for code, _name in env["res.lang"].get_installed() if code != "en_US"]
    if not langs:
        return
    keep = {f"{MODULE}.{xmlid}" for xmlid in xmlids}
    importer = TranslationImporter(env.cr, verbose=False)
    for lang in langs:
        for po_path in get_po_paths(MODULE, lang):
            importer.load_file(po_path, lang, xmlids=keep)
    importer.save(overwrite=True, force_overwrite=True)  # noupdate records: force


if __name__ == "__main__":
    for xmlid, digests in shipped_digests(sys.argv[1] if len(sys.argv) > 1 else ".").items():
        print(f'    "{xmlid}": {digests!r},')
