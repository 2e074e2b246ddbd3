"""Packaging of the relance_impayes Odoo addon (installs into odoo.addons; Odoo itself is not a dependency)."""
import ast
from pathlib import Path

from setuptools import setup

ADDON = 'relance_impayes'
HERE = Path(__file__).resolve().parent
MANIFEST = ast.literal_eval((HERE / ADDON / '__manifest__.py').read_text(encoding='utf-8'))
PACKAGE = f'odoo.addons.{ADDON}'

setup(
    name=f'odoo-addon-{ADDON}',
    version=MANIFEST['version'],
    description=MANIFEST.get('summary', MANIFEST['name']),
    license=MANIFEST['license'],
    python_requires='>=3.10',
    package_dir={PACKAGE: ADDON},
    packages=[PACKAGE] + [f'{PACKAGE}.{p.parent.relative_to(HERE / ADDON).as_posix().replace("/", ".")}'
                          for p in (HERE / ADDON).rglob('*/__init__.py')],
    package_data={PACKAGE: [p.relative_to(HERE / ADDON).as_posix()
                            for p in (HERE / ADDON).rglob('*')
                            if p.is_file() and p.suffix not in ('.py', '.pyc')]},
)
