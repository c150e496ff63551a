# The project's verbs. Each target is a thin call into Python (toolkit/, bench/) or npm;
# every one that needs installed tools depends on `setup`, which is a no-op when nothing changed.
PY := .venv/bin/python
export JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION := 20
export JSII_RUNTIME_PACKAGE_CACHE_ROOT := $(CURDIR)/.cache/jsii
export PIPENV_VENV_IN_PROJECT := 1

.PHONY: setup synth validate scan test bench e2e run-lang-portal run-vocab run-writing clean
.DEFAULT_GOAL := synth

setup:
	@bash scripts/setup.sh

synth: setup
	@$(PY) -m toolkit synth

validate: setup
	@$(PY) -m toolkit validate

scan: setup
	@$(PY) -m toolkit scan

test: setup
	@$(PY) -m pytest

bench: setup
	@$(PY) -m toolkit bench

e2e: setup
	@$(PY) -m toolkit e2e

run-lang-portal: setup
	@$(PY) -m projects.lang_portal.backend.run

run-vocab: setup
	@$(PY) -m projects.vocab_generator.run

run-writing: setup
	@$(PY) -m projects.writing_practice.frontend.run

clean:
	rm -rf cdktf.out .cache/validate .pytest_cache test-artifacts
