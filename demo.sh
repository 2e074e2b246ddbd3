#!/usr/bin/env bash
# Start a demo Odoo 19 at http://localhost:8069 with relance_impayes and French demo data.
# Needs Odoo 19 importable by python3 (see README) and a running PostgreSQL.
# Usage: ./demo.sh [database]   (default: relance_demo; created on first run, reused after)
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
DB="${1:-relance_demo}"
ODOO_PATHS="$(python3 -c 'from odoo.tools import config; config.parse_config([]); print(",".join(config["addons_path"]))')"
ADDONS="${ODOO_PATHS},${ROOT}"
if ! psql -lqt | cut -d'|' -f1 | grep -qw "$DB"; then
    echo "Creating $DB (French company, demo data) ..."
    python3 -m odoo db --addons-path="$ADDONS" init "$DB" --country FR --language fr_FR --with-demo --force
    # French chart first, so that the demo lands in the French company (euros, PCG)
    python3 -m odoo -d "$DB" --addons-path="$ADDONS" -i l10n_fr_account --stop-after-init
    python3 -m odoo -d "$DB" --addons-path="$ADDONS" -i relance_impayes --stop-after-init
fi
echo "Odoo on http://localhost:8069 (login admin / admin), database $DB"
exec python3 -m odoo -d "$DB" --addons-path="$ADDONS" --http-interface=127.0.0.1 --http-port=8069
