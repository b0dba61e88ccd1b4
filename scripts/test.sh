#!/usr/bin/env bash
# Every test: the backend suite on SQLite, then the tests that reach the database under test again on the
# real PostgreSQL (a fresh database per run; TEST_EVERY_PASS=1 runs all of them there too), then the front
# end's unit and end-to-end tests. Called by `make test` after install and lint.
set -uo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
BIN=$ROOT/.venv/bin
export NUMBA_CACHE_DIR=$ROOT/.cache/numba
mkdir -p "$NUMBA_CACHE_DIR"
status=0

pg_up() {
  "$BIN/python" - <<'PY'
import asyncio, sys
import asyncpg
async def main():
    conn = await asyncpg.connect("postgresql://postgres@127.0.0.1:5432/test", timeout=3)
    await conn.close()
try:
    asyncio.run(main())
except Exception as exc:
    print(exc, file=sys.stderr); sys.exit(1)
PY
}

echo "== backend tests on SQLite =="
(cd backend && TEST_DATABASE=sqlite "$BIN/pytest" -q -p no:cacheprovider "$@") || status=1

if pg_up; then
  echo "== backend tests on PostgreSQL =="
  (cd backend && TEST_DATABASE=postgres "$BIN/pytest" -q -p no:cacheprovider "$@") || status=1
elif [ -n "${CI:-}" ]; then
  echo "FAIL: PostgreSQL does not answer on 127.0.0.1:5432 and CI is set: the PostgreSQL pass is required."
  status=1
else
  echo "NOTICE: PostgreSQL does not answer on 127.0.0.1:5432: SKIPPING the PostgreSQL pass (required in CI)."
fi

if [ -f frontend/package.json ] && [ $# -eq 0 ]; then
  echo "== front-end unit tests =="
  (cd frontend && npm test --silent) || status=1
  if [ -f frontend/e2e/run.mjs ]; then
    echo "== end-to-end tests (Chromium) =="
    (cd frontend && npm run e2e --silent) || status=1
  fi
fi
exit $status
