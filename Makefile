# The project's verbs. Each target is a thin call into Python (toolkit/, bench/) or npm;
# every one that needs installed tools depends on `setup`, which is a no-op when nothing changed.
PY := .venv/bin/python
export JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION := 20
export JSII_RUNTIME_PACKAGE_CACHE_ROOT := $(CURDIR)/.cache/jsii
export PIPENV_VENV_IN_PROJECT := 1

.PHONY: setup synth validate scan plan cost drift test bench e2e run-lang-portal run-haiku run-vocab run-writing run-apps clean
.DEFAULT_GOAL := synth

setup:
	@bash scripts/setup.sh

# The verbs that are the toolkit command of the same name (python -m toolkit --help).
synth validate scan plan cost drift bench: setup
	@$(PY) -m toolkit $@

test: setup
	@$(PY) -m pytest

e2e: setup
	@$(PY) -m toolkit e2e
	@$(PY) -m pytest -m e2e tests -q

run-lang-portal: setup
	@$(PY) -m projects.lang_portal.backend.run

run-haiku: setup
	@$(PY) -m projects.haiku.backend.run

run-vocab: setup
	@$(PY) -m projects.vocab_generator.run

run-writing: setup
	@$(PY) -m projects.writing_practice.frontend.run

# All four apps behind local stand-ins of the hosted UI and the load balancer's sign-in; AWS=1 lets them call AWS.
run-apps: setup
	@$(PY) -m local_platform.run $(if $(AWS),--aws)

clean:
	rm -rf cdktf.out .cache/validate .pytest_cache test-artifacts
