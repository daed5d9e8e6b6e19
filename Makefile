# The two commands of the README. Both set up whatever is missing first.
.PHONY: run test setup

setup:
	@bash scripts/bootstrap.sh

run: setup
	@.venv/bin/python scripts/run.py

test: setup
	@bash scripts/test.sh
