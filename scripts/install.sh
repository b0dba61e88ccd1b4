#!/usr/bin/env bash
# Installs everything the project needs on a machine that has only Python 3.11, Node 20 and apt.
# Idempotent and fast when nothing changed: each step is skipped when its inputs' hash is unchanged.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
VENV=$ROOT/.venv
PYTHON=${PYTHON:-python3}

log() { printf '\033[1m[install]\033[0m %s\n' "$*"; }

# 1. System packages: bubblewrap (sandbox), chromium (browser tests), docker-compose (compose validation).
missing=()
command -v bwrap >/dev/null || missing+=(bubblewrap)
command -v chromium >/dev/null || missing+=(chromium)
command -v docker-compose >/dev/null || missing+=(docker-compose)
if ((${#missing[@]})); then
  if [ "$(id -u)" = 0 ]; then
    log "apt-get install ${missing[*]}"
    apt-get update -qq >/dev/null
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
  else
    log "WARNING: missing system packages ${missing[*]} (run as root or: sudo apt-get install ${missing[*]})"
  fi
fi

# 2. Python virtual environment with the pinned lock.
lock_hash=$(cat backend/requirements-torch.txt backend/requirements.lock backend/pyproject.toml | sha256sum | cut -c1-16)
stamp=$VENV/.installed-$lock_hash
if [ ! -f "$stamp" ]; then
  [ -x "$VENV/bin/python" ] || { log "creating $VENV"; "$PYTHON" -m venv "$VENV"; }
  log "installing Python dependencies (pinned)"
  pip_install() {  # this machine's pip config names local indexes that may be absent: hide that noise
    "$VENV/bin/pip" install -q --disable-pip-version-check "$@" 2> >(grep -v "is ignored: it is neither" >&2)
  }
  pip_install -r backend/requirements-torch.txt
  pip_install -r backend/requirements.lock
  pip_install --no-deps -e backend
  rm -f "$VENV"/.installed-*
  touch "$stamp"
fi

# 3. Front end: npm ci and a production build, when it exists and changed.
if [ -f frontend/package-lock.json ]; then
  fe_hash=$( (cat frontend/package-lock.json; find frontend -path frontend/node_modules -prune -o -path frontend/dist -prune -o -type f -print0 | sort -z | xargs -0 cat) | sha256sum | cut -c1-16)
  fe_stamp=frontend/dist/.built-$fe_hash
  if [ ! -f "$fe_stamp" ]; then
    log "building the front end"
    (cd frontend && npm ci --no-audit --no-fund --loglevel=error && npm run build --silent)
    touch "$fe_stamp"
  fi
fi
