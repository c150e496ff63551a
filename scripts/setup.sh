#!/usr/bin/env bash
# Installs everything the project needs on a fresh machine, and nothing twice: each step
# records a stamp keyed on its lock file and is skipped while the stamp matches.
# Needs: Python 3.11, Node 20 + npm, apt (as root), Terraform 1.11 on PATH (not on apt).
set -euo pipefail
cd "$(dirname "$0")/.."
stamps=.cache/setup; mkdir -p "$stamps"
export PIPENV_VENV_IN_PROJECT=1 PIPENV_NOSPIN=1 PIPENV_YES=1 PIP_DISABLE_PIP_VERSION_CHECK=1

step() { printf '\n== setup: %s\n' "$*"; }
digest() { cat "$@" 2>/dev/null | sha256sum | cut -c1-16; }
stale() { [ "$(cat "$stamps/$1" 2>/dev/null)" != "$(digest "${@:2}")" ]; }  # stale NAME FILES...
mark() { digest "${@:2}" > "$stamps/$1"; }                                   # mark NAME FILES...

need() { command -v "$1" >/dev/null 2>&1 || { echo "setup: $1 is required but not installed ($2)" >&2; exit 1; }; }
need python3 "install Python 3.11"
need npm "install Node.js 20 with npm"
need terraform "install Terraform 1.11 (https://developer.hashicorp.com/terraform/install); it is not in apt"

apt_packages=(chromium fonts-ipafont-gothic postgresql)  # the font renders Japanese in browser screenshots
missing=()
for p in "${apt_packages[@]}"; do dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p"); done
if [ ${#missing[@]} -gt 0 ]; then
  step "apt packages: ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

if ! command -v pipenv >/dev/null 2>&1; then
  step "pipenv"
  python3 -m pip install -q pipenv
fi
if stale pipenv Pipfile.lock || [ ! -x .venv/bin/python ]; then
  step "python packages (pipenv sync --dev)"
  pipenv sync --dev
  mark pipenv Pipfile.lock
fi

# Tools whose dependencies clash with the app's get their own virtual environments.
for tool in checkov moto cfn-lint; do
  req=tools/requirements-$tool.txt
  if stale "$tool" "$req" || [ ! -x ".venv-$tool/bin/python" ]; then
    step "$tool (own environment .venv-$tool)"
    python3 -m venv ".venv-$tool"
    ".venv-$tool/bin/pip" install -q -r "$req"
    mark "$tool" "$req"
  fi
done

for dir in . projects/lang_portal/frontend; do
  [ -f "$dir/package-lock.json" ] || continue
  name=npm-$(echo "$dir" | tr '/.' '__')
  if stale "$name" "$dir/package-lock.json" || [ ! -d "$dir/node_modules" ]; then
    step "npm packages in $dir"
    (cd "$dir" && npm ci --no-audit --no-fund --loglevel=error)
    mark "$name" "$dir/package-lock.json"
  fi
done
echo "setup: ready ($(TF_CLI_CONFIG_FILE= terraform version | head -1), $(.venv/bin/python --version))"
