# relgraph: the two commands of the README are `make demo` and `make test`.
VENV   ?= .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed
# torch is pinned in the same pip command as everything that needs it, so pip takes
# the CPU build on disk instead of fetching a multi-GB CUDA build.
TORCH  ?= torch==2.13.0

# The demo's question: which active customers will not order in the next 30 days?
CHURN  := PREDICT COUNT(orders.*, 0, 30, days) = 0 FOR EACH customers.customer_id WHERE COUNT(orders.*, -90, 0, days) > 0

.PHONY: setup demo test test-slow test-all bench pretrain lint clean

setup: $(STAMP)

$(STAMP): pyproject.toml
	test -x $(PY) || python3 -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet "$(TORCH)" -e ".[dev]"
	touch $(STAMP)

# The main job: predictions with reasons, no training step (the icl model learns
# from the shop's own history at query time); then the schema, the graph and a backtest.
demo: setup
	$(VENV)/bin/relgraph demo ecommerce --out demo/shop.duckdb --overwrite
	$(VENV)/bin/relgraph predict demo/shop.duckdb "$(CHURN)" --limit 15
	$(VENV)/bin/relgraph inspect demo/shop.duckdb --plot demo/schema.svg
	$(VENV)/bin/relgraph graph demo/shop.duckdb
	$(VENV)/bin/relgraph evaluate demo/shop.duckdb "$(CHURN)" --models icl,gbdt,baseline,prior --out demo/report

# The fast set, in two worker processes (pytest-xdist; a file's tests stay in
# one worker, so module fixtures are built once): under four minutes on two idle
# cores, seven in one process. test-slow runs the rest (tests marked slow:
# end-to-end trainings, rel-f1, Spark, torchrun, the browser), one at a time; CI runs both.
test: setup
	$(PY) -m pytest -q -m "not slow" -n 2 --dist loadfile

test-slow: setup
	$(PY) -m pytest -q -m slow

test-all: setup
	$(PY) -m pytest -q

bench: setup
	$(PY) -m benchmarks.graph_build
	$(PY) -m benchmarks.sampler
	$(PY) -m benchmarks.labels
	$(PY) -m benchmarks.demo_multihop
	$(PY) -m benchmarks.icl_latency
	$(PY) -m benchmarks.icl_predictors
	$(PY) -m benchmarks.icl_bulk
	$(PY) -m benchmarks.reason_attribution
	$(PY) -m benchmarks.feature_paths
	$(PY) -m benchmarks.gnn_latency
	$(PY) -m benchmarks.schema_discovery --json benchmarks/results/schema_discovery.json
	$(PY) -m benchmarks.inspect_speed --json benchmarks/results/inspect_speed.json
	$(PY) -m benchmarks.corpus_predictions --json benchmarks/results/corpus_predictions.json
	$(PY) -m benchmarks.suggest_questions --json benchmarks/results/suggest_questions.json
	$(PY) -m benchmarks.icl_generalization --json benchmarks/results/icl_generalization.json
	$(PY) -m benchmarks.engines
	$(PY) -m benchmarks.serve_latency
	if [ -d ../shared/data/f1 ]; then $(VENV)/bin/relgraph bench rel-f1 --raw ../shared/data/f1 \
		--models gnn,gbdt,baseline,prior --seeds 5 --protocol both --out benchmarks/results/rel-f1; \
	else echo "skipping rel-f1: ../shared/data/f1 not found"; fi

# The context transformer's shipped weights (relgraph/models/icl/weights/) came from
# this script on a GPU (two runs, 12 minutes; the README gives the commands). On
# these CPUs as many rows would take days: this is an hour's run, written beside
# the shipped file, not over it.
pretrain: setup
	$(PY) -m relgraph.models.icl.pretrain --minutes 60 --tokens 24000 --out pretrained/icl_transformer.pt

lint: setup
	$(VENV)/bin/ruff check src tests benchmarks
	$(VENV)/bin/ruff format --check src tests benchmarks

clean:
	rm -rf $(VENV) demo .pytest_cache
