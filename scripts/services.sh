# Start or install what the test suites need. Sourced by scripts/test.
# PostgreSQL: the server on 127.0.0.1:5432 with trust auth (started, or installed and set up).
# Chromium: Debian's package, for the browser tests.
# Poppler's pdftotext and pdftoppm: the report tests read the PDFs Lantern writes with them.

as_root() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi; }
apt_updated=0
apt_install() {
  if [ "$apt_updated" = 0 ]; then as_root apt-get update -qq; apt_updated=1; fi
  DEBIAN_FRONTEND=noninteractive as_root apt-get install -y -qq "$@" >/dev/null
}

ensure_postgres() {
  if [ "${LANTERN_SKIP_POSTGRES:-0}" = 1 ]; then
    echo "PostgreSQL tests skipped (LANTERN_SKIP_POSTGRES=1)"; return 0
  fi
  if ! pg_isready -h 127.0.0.1 -p 5432 -q 2>/dev/null; then
    if ! command -v pg_ctlcluster >/dev/null 2>&1; then
      echo "Installing PostgreSQL…"
      apt_install postgresql
      local hba; hba=$(ls /etc/postgresql/*/main/pg_hba.conf | head -1)
      as_root sed -i '1i host all all 127.0.0.1/32 trust' "$hba"
    fi
    echo "Starting PostgreSQL…"
    as_root pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql | head -1)" main start || true
    for _ in $(seq 30); do pg_isready -h 127.0.0.1 -p 5432 -q && break; sleep 1; done
  fi
  export TEST_POSTGRES_URL="${TEST_POSTGRES_URL:-postgres://postgres@127.0.0.1:5432/test}"
  if ! psql "$TEST_POSTGRES_URL" -qAt -c 'select 1' >/dev/null 2>&1; then
    psql "${TEST_POSTGRES_URL%/*}/postgres" -q -c 'CREATE DATABASE test' >/dev/null
  fi
  echo "PostgreSQL: $(psql "$TEST_POSTGRES_URL" -qAt -c 'show server_version')"
}

ensure_chromium() {
  if [ ! -x "${CHROMIUM:-/usr/bin/chromium}" ]; then
    echo "Installing Chromium…"
    apt_install chromium chromium-driver
  fi
  echo "Chromium: $("${CHROMIUM:-/usr/bin/chromium}" --version 2>/dev/null | head -1)"
}

ensure_poppler() {
  if ! command -v pdftotext >/dev/null 2>&1 || ! command -v pdftoppm >/dev/null 2>&1; then
    echo "Installing poppler-utils…"
    apt_install poppler-utils
  fi
  echo "Poppler: $(pdftotext -v 2>&1 | head -1)"
}
