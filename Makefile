# Two commands on a fresh Debian/Ubuntu machine: `make lab` and `make test`.
# Every target delegates to ./mt, which also works where make is missing.
.PHONY: help lab test notebooks setup clean

help:
	@bash ./mt help

lab:          ## set up, then open the notebooks in JupyterLab
	@bash ./mt lab $(ARGS)

test:         ## set up, then run every test (unit, notebooks via nbval, browser)
	@bash ./mt test $(ARGS)

notebooks:    ## re-execute notebooks/*.ipynb and store canonical outputs
	@bash ./mt notebooks $(ARGS)

setup:        ## only the set-up steps
	@bash ./mt setup $(ARGS)

clean:        ## remove the virtualenv and test artifacts
	rm -rf .venv test-artifacts .pytest_cache .hypothesis
