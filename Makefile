# Every target creates .venv and installs nnstudio on first use.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: studio demo test test-fast lint bench gallery guide clean

$(STAMP): pyproject.toml constraints.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet -c constraints.txt -e '.[mnist,test]'
	touch $(STAMP)

# The studio prints its address with a new access token (?token=...) and opens it in a browser;
# scripts send that token as the header "Authorization: Bearer TOKEN".
studio: $(STAMP)
	$(BIN)/nnstudio studio

# One torch thread: on 2 cores it ran the demo in 99 s beside other work, where two threads
# took 232 s (each step waits for a thread that is busy elsewhere).
demo: $(STAMP)
	$(BIN)/nnstudio --threads 1 demo

# Two test processes (pytest-xdist), each running whole test files: torch uses one thread
# per process here (tests/conftest.py), so one process leaves the second core mostly idle.
# --no-loadscope-reorder keeps the files in the order tests/conftest.py gives them (the
# longest first) instead of xdist's own (the most tests first).
test: $(STAMP)
	$(BIN)/python -m pytest -q -n 2 --dist loadfile --no-loadscope-reorder

test-fast: $(STAMP)
	$(BIN)/python -m pytest -q -n 2 --dist loadfile --no-loadscope-reorder -m "not slow"

# The tests and the bench scripts are held to the same checks as the package.
lint: $(STAMP)
	$(BIN)/ruff check nnstudio tests bench
	$(BIN)/mypy nnstudio tests bench

bench: $(STAMP)
	$(BIN)/python bench/run_all.py

gallery: $(STAMP)
	$(BIN)/nnstudio gallery docs/gallery

# Every experiment's full run (about 10 minutes on 2 cores): tables, findings and figures;
# then the guide's text: each experiment's block from its new table, and the outputs of the
# commands it marks, run in build/guide/ (this trains the shapes MLP, the letters MLP and
# the letters CNN: a few minutes more); then the guide's own figures, from those models.
guide: $(STAMP)
	for name in $$($(BIN)/nnstudio experiment --list | cut -d' ' -f1); do \
		$(BIN)/nnstudio experiment $$name --out docs/experiments || exit 1; done
	$(BIN)/python docs/update_guide.py --run build/guide
	PYTHON=$(BIN)/python sh docs/guide/figures.sh $(BIN)/nnstudio

clean:
	rm -rf $(VENV) build *.egg-info .pytest_cache
