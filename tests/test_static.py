"""Static checks of every addon at the addons root; no Odoo needed."""

import csv
import xml.etree.ElementTree as ET

import polib
import pytest
from odoo_runner import ADDONS, ADDONS_ROOT, read_manifest

DATA_DIRS = ("views", "data", "security", "report", "wizard")
ACCESS_HEADER = ["id", "name", "model_id:id", "group_id:id", "perm_read", "perm_write", "perm_create", "perm_unlink"]
ASSET_DIRECTIVES = ("include", "remove", "after", "before", "prepend", "append", "replace")

per_addon = pytest.mark.parametrize("addon", ADDONS, ids=lambda addon: addon.name)


def _files(addon, *suffixes):
    return sorted(p for p in addon.rglob("*") if p.suffix in suffixes and "__pycache__" not in p.parts)


def _depends_closure(name, manifests):
    """Dependencies of a repo addon, following the other repo addons transitively."""
    seen, todo = set(), list(manifests[name].get("depends", []))
    while todo:
        dep = todo.pop()
        if dep not in seen:
            seen.add(dep)
            todo += manifests.get(dep, {}).get("depends", [])
    return seen


def test_addons_found():
    assert ADDONS, f"no addon (directory with a __manifest__.py) in {ADDONS_ROOT}"


@per_addon
def test_manifest(addon):
    manifest = read_manifest(addon)
    assert isinstance(manifest, dict)
    assert manifest.get("name"), "missing name"
    assert str(manifest.get("version", "")).startswith("19.0."), f"version {manifest.get('version')!r}"
    assert manifest.get("license"), "missing license"
    assert isinstance(manifest.get("data"), list), "missing 'data' list"
    manifests = {a.name: read_manifest(a) for a in ADDONS}
    missing = {"account", "mail"} - _depends_closure(addon.name, manifests)
    assert not missing, f"depends (directly or through repo addons) lacks {sorted(missing)}"


@per_addon
def test_manifest_files_exist(addon):
    manifest = read_manifest(addon)
    missing = [f for key in ("data", "demo") for f in manifest.get(key, []) if not (addon / f).is_file()]
    for bundle, entries in manifest.get("assets", {}).items():
        for entry in entries:
            if isinstance(entry, (tuple, list)):
                if entry[0] == "include":
                    continue
                assert entry[0] in ASSET_DIRECTIVES, f"{bundle}: unknown asset directive {entry!r}"
                entry = entry[-1]
            if entry.startswith(f"{addon.name}/") and not any(ADDONS_ROOT.glob(entry)):
                missing.append(f"{bundle}: {entry}")
    assert not missing, f"listed in the manifest but not found: {missing}"


@per_addon
def test_data_files_listed(addon):
    manifest = read_manifest(addon)
    listed = {str((addon / f).resolve()) for key in ("data", "demo") for f in manifest.get(key, [])}
    unlisted = [
        str(p.relative_to(addon))
        for folder in DATA_DIRS
        for p in _files(addon / folder, ".xml", ".csv")
        if str(p.resolve()) not in listed
    ]
    assert not unlisted, f"not listed in the manifest 'data' or 'demo': {unlisted}"


@per_addon
def test_xml_well_formed(addon):
    errors = []
    for path in _files(addon, ".xml"):
        try:
            ET.parse(path)
        except ET.ParseError as exc:
            errors.append(f"{path.relative_to(addon)}: {exc}")
    assert not errors, "\n".join(errors)


@per_addon
def test_access_csv(addon):
    path = addon / "security" / "ir.model.access.csv"
    if not path.is_file():
        pytest.skip("no security/ir.model.access.csv")
    rows = list(csv.reader(path.read_text(encoding="utf-8").splitlines()))
    assert rows and rows[0] == ACCESS_HEADER, f"header {rows[:1]}, expected {ACCESS_HEADER}"
    bad = [i for i, row in enumerate(rows[1:], 2) if row and len(row) != len(ACCESS_HEADER)]
    assert not bad, f"lines with a wrong number of columns: {bad}"


@per_addon
def test_french_translation(addon):
    path = addon / "i18n" / "fr.po"
    assert path.is_file(), f"{addon.name}/i18n/fr.po is missing"
    po = polib.pofile(str(path))
    problems = {
        kind: [e.msgid for e in entries]
        for kind, entries in (("untranslated", po.untranslated_entries()), ("fuzzy", po.fuzzy_entries()))
        if entries
    }
    assert not problems, "\n".join(f"{len(ids)} {kind} entries: {ids[:20]}" for kind, ids in problems.items())


@per_addon
def test_python_compiles(addon):
    errors = []
    for path in _files(addon, ".py"):
        try:
            compile(path.read_bytes(), str(path), "exec")
        except SyntaxError as exc:
            errors.append(f"{path.relative_to(addon)}:{exc.lineno}: {exc.msg}")
    assert not errors, "\n".join(errors)
