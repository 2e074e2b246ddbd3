#!/usr/bin/env bash
# Start a demo Odoo 19 at http://localhost:8069 with relance_impayes and French demo data.
# Needs Odoo 19 importable by python3 (see README), a running PostgreSQL and wkhtmltopdf;
# without them it says what is missing and how to get it (or use docker-compose.yml).
# Usage: ./demo.sh [database]   (default: relance_demo; created on first run, reused after)
# Environment: PYTHON (default python3), DEMO_PORT (default 8069).
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
DB="${1:-relance_demo}"
PORT="${DEMO_PORT:-8069}"
read -ra PY <<< "${PYTHON:-python3}"

fail() {
    echo "demo.sh: $1" >&2
    shift
    for line in "$@"; do echo "  $line" >&2; done
    exit 1
}

# --- preflight: say what is missing before doing anything ---------------------
if ! version="$("${PY[@]}" -c 'import odoo.release; print(odoo.release.version_info[0])' 2>/dev/null)"; then
    fail "Odoo 19 is not importable by '${PY[*]}'." \
        "Two ways to get a demo:" \
        "- Docker, nothing else to install: docker-compose up   (see docker-compose.yml)" \
        "- Odoo 19 beside this module: git clone -b 19.0 --depth 1 https://github.com/odoo/odoo ../odoo" \
        "  && python3 -m pip install -e ../odoo   (then ./demo.sh again; or PYTHON=/path/to/odoo/venv/bin/python)"
fi
[ "$version" = 19 ] || fail "Odoo $version found, Odoo 19 is needed (docker-compose up, or see README)."

# PostgreSQL connection as Odoo sees it (~/.odoorc db_host, db_port, db_user, db_password)
settings="$("${PY[@]}" - <<'EOF'
import shlex
from odoo.tools import config
config.parse_config([], setup_logging=False)
for key, var in (('db_host', 'PGHOST'), ('db_port', 'PGPORT'), ('db_user', 'PGUSER'), ('db_password', 'PGPASSWORD')):
    if config[key]:
        print(f'export {var}={shlex.quote(str(config[key]))}')
print(f"ODOO_PATHS={shlex.quote(','.join(config['addons_path']))}")
EOF
)" || fail "Odoo could not read its configuration (~/.odoorc): run '${PY[*]} -m odoo --help' to see why."
eval "$settings"
command -v psql >/dev/null && command -v pg_isready >/dev/null \
    || fail "the PostgreSQL client (psql) is missing: apt-get install postgresql (or docker-compose up)."
pg_isready -q \
    || fail "PostgreSQL does not answer (${PGHOST:-local socket}, port ${PGPORT:-5432})." \
        "Start it: sudo service postgresql start   (Debian: sudo pg_ctlcluster <version> main start)" \
        "or install it: sudo apt-get install postgresql   (or docker-compose up)"
if ! out="$(psql -d postgres -tAc 'SELECT 1' 2>&1)"; then
    if grep -q 'role .* does not exist' <<< "$out"; then
        fail "PostgreSQL has no role '${PGUSER:-$USER}'." \
            "Create it: sudo -u postgres createuser -s ${PGUSER:-$USER}"
    fi
    if grep -q 'Peer authentication failed' <<< "$out"; then
        fail "PostgreSQL refuses role '${PGUSER:-$USER}' to OS user '$USER' (peer authentication)." \
            "Use the OS user of that name, or set db_user and db_password in ~/.odoorc."
    fi
    fail "cannot connect to PostgreSQL: $out"
fi
command -v wkhtmltopdf >/dev/null \
    || fail "wkhtmltopdf is missing (the letters are PDFs): sudo apt-get install wkhtmltopdf"
if ! "${PY[@]}" -c "import socket, sys; socket.create_server(('127.0.0.1', int(sys.argv[1]))).close()" "$PORT" 2>/dev/null; then
    fail "port $PORT is taken (another Odoo?): stop it, or choose another port: DEMO_PORT=8070 ./demo.sh"
fi

# --- the demo database, then the server ------------------------------------------
ADDONS="${ODOO_PATHS},${ROOT}"
if ! psql -lqt | cut -d'|' -f1 | grep -qw "$DB"; then
    echo "Creating $DB (French company, demo data) ..."
    "${PY[@]}" -m odoo db --addons-path="$ADDONS" init "$DB" --country FR --language fr_FR --with-demo --force
    # French chart first, so that the demo lands in the French company (euros, PCG)
    "${PY[@]}" -m odoo -d "$DB" --addons-path="$ADDONS" -i l10n_fr_account --stop-after-init
    "${PY[@]}" -m odoo -d "$DB" --addons-path="$ADDONS" -i relance_impayes --stop-after-init
fi
echo "Odoo on http://localhost:$PORT (login admin / admin), database $DB"
exec "${PY[@]}" -m odoo -d "$DB" --addons-path="$ADDONS" --http-interface=127.0.0.1 --http-port="$PORT"
