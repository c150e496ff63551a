#!/usr/bin/env bash
# The test step of a container component's pipeline (its buildspec.yml runs it in the image's own base,
# python:3.11-slim-bookworm, from the repository root): the component's tests and the shared modules/ tests,
# with the component's requirements-test.txt (its image's requirements.txt and what the tests import, pinned
# from Pipfile.lock; tests/test_project_pipeline.py holds every component to it).
#   COMPONENT             the component's folder (projects/<project>/<component>)
#   TEST_SYSTEM_PACKAGES  Debian packages its tests need, set by the pipeline from platform.toml
#                         (postgresql for a service with a database: its tests run on a real PostgreSQL)
# Not run here (`make test` runs them): tests marked `browser` (Chromium) and `emulator` (moto_server, installed
# in .venv-moto by `make setup`), nor `e2e`.
set -euo pipefail
: "${COMPONENT:?set COMPONENT to the component folder}"
if [ -n "${TEST_SYSTEM_PACKAGES:-}" ]; then
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $TEST_SYSTEM_PACKAGES >/dev/null
fi
pip install --quiet --disable-pip-version-check -r "$COMPONENT/requirements-test.txt"
python -m pytest -p no:cacheprovider -m "not e2e and not browser and not emulator" "$COMPONENT" modules
