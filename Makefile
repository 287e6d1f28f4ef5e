# AutoScale: `make demo` and `make test` do the whole set-up on a fresh Debian machine.
SHELL := /bin/bash
SWIFT ?= swift
CONFIG ?= release
BIN = .build/$(CONFIG)/autoscale
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
APT_PACKAGES = libopenblas-dev liblapacke-dev pkg-config zlib1g-dev libopenmpi-dev openmpi-bin bsdutils
# The MPI trait is on wherever pkg-config finds an MPI (Open MPI or MPICH).
TRAITS = $(shell pkg-config --exists mpi 2>/dev/null && echo --traits MPI)
# On an x86-64 CPU with AVX2 and FMA (x86-64-v3: every x86 server CPU since 2013-2015) the Swift kernels are
# compiled for it (8-wide SIMD8 lanes in one register): softmax-CE went from 14.6% to 8.4% of the demo proxy's
# step, which trains ~15% faster; and AUTOSCALE_FMA fuses exp's and erf's multiply-adds (FastMath.fmadd: the
# compiler never contracts a * b + c itself), +4.6% on the demo proxy (Docs/engine.md, section Benchmark).
# Elsewhere the baseline.
# `make CPU_FLAGS=` builds the baseline anywhere; plain `swift build` is always the baseline.
CPU_FLAGS ?= $(shell grep -qw avx2 /proc/cpuinfo 2>/dev/null && grep -qw fma /proc/cpuinfo && \
  echo -Xswiftc -target-cpu -Xswiftc haswell -Xcc -march=haswell -Xswiftc -DAUTOSCALE_FMA)
DATA_PACKAGES = dict-gcide dict-wn dict-foldoc dict-jargon fortunes fortunes-min python3 manpages manpages-dev
VENV = Fixtures/.venv
PY = $(VENV)/bin/python

.PHONY: setup data build test bench demo fixtures clean fuzz experiment experiment-corpus

# Installs the system libraries with apt-get (sudo when not root); nothing when already present.
setup:
	@missing=""; for p in $(APT_PACKAGES); do dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then \
	  echo "setup: installing$$missing" >&2; \
	  $(SUDO) apt-get update -qq && DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq $$missing >/dev/null; \
	fi

# Installs the Debian packages whose text makes the default corpus.
data: setup
	@missing=""; for p in $(DATA_PACKAGES); do dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then \
	  echo "data: installing$$missing" >&2; \
	  $(SUDO) apt-get update -qq && DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq $$missing >/dev/null; \
	fi

build: setup
	$(SWIFT) build -c $(CONFIG) $(TRAITS) $(CPU_FLAGS)

# Release mode: the numerical tests train small models; the test build is also the CLI the end-to-end tests run.
test: setup
	$(SWIFT) test -c $(CONFIG) $(TRAITS) $(CPU_FLAGS)

# The seeded mutational fuzzer over the parsers (Tests/FuzzTests; not in CI): make fuzz SECONDS=60 [FUZZ_SEED=1].
SECONDS ?= 60
FUZZ_SEED ?= 1
fuzz: setup
	AUTOSCALE_FUZZ_SECONDS=$(SECONDS) AUTOSCALE_FUZZ_SEED=$(FUZZ_SEED) $(SWIFT) test -c $(CONFIG) $(TRAITS) $(CPU_FLAGS) --filter ParserFuzzTests

# Each Fixtures/bench/*.sh prints our figure, the reference measured in the same run, and the ratio.
bench: build
	@for s in Fixtures/bench/*.sh; do echo "== $$s"; BIN=$(BIN) PY=$(PY) bash $$s || exit 1; done

# The demo: the default corpus from Debian text, a tokenizer, token shards (each skipped when already
# built), then `autoscale pipeline` with Docs/examples/demo-pipeline.yaml: DDO with tiny GPT-2 proxies at
# three small budgets (each DDO mixture one WSD trunk with a cooldown branched at each), the AutoScale
# prediction at the target, validation trainings at the target (uniform, reused DDO weights, AutoScale, and
# Data Mixing Laws and BiMix fitted on the DDO runs; two seeds, ranked) and the report in $(DEMO)/pipeline (under mpirun with one
# rank per core when MPI is present); finally the Chinchilla
# scaling-law fit when ../shared/data is present.
# With MPI the pipeline runs one rank per core (one BLAS thread each), its trainings spread over them.
DEMO = out/demo
DEMO_RANKS ?= $(shell nproc)
DEMO_LAUNCH = $(if $(and $(TRAITS),$(shell command -v mpirun)),mpirun --oversubscribe $(if $(SUDO),,--allow-run-as-root) -np $(DEMO_RANKS))
demo: build data
	@mkdir -p $(DEMO)
	@if [ ! -f $(DEMO)/corpus/corpus.json ]; then $(BIN) corpus build --out $(DEMO)/corpus; fi
	@if [ ! -f $(DEMO)/tokenizer.json ]; then $(BIN) tokenizer train --corpus $(DEMO)/corpus --vocab-size 4096 --out $(DEMO)/tokenizer.json; fi
	@if [ ! -f $(DEMO)/corpus/tokens/manifest.json ]; then $(BIN) corpus tokenize --corpus $(DEMO)/corpus --tokenizer $(DEMO)/tokenizer.json; fi
	$(DEMO_LAUNCH) $(BIN) pipeline Docs/examples/demo-pipeline.yaml --corpus $(DEMO)/corpus --out $(DEMO)/pipeline
	@f=../shared/data/chinchilla/svg_extracted_data.csv; if [ -f $$f ]; then \
	  $(BIN) fit $$f --law chinchilla --n "Model Size" --flops "Training FLOP" --drop-highest-loss 5; \
	else echo "demo: $$f not found; Chinchilla fit skipped"; fi
	@echo "demo: report in $(DEMO)/pipeline/report.html"

# The head-to-head experiment of Docs/experiments.md on the simulated worlds (not in CI; needs python3): every method of
# `methods:` through the simulated trainer, at zero extra and at equal proxy tokens; results in out/experiment/results.md.
experiment: build
	python3 Docs/examples/experiment/run.py $(BIN) --out out/experiment

# The head-to-head experiment on the default corpus (not in CI; ~30 min on 2 cores): the demo's corpus and proxies,
# every method, three validation seeds (Docs/examples/corpus-experiment.yaml); report in $(DEMO)/experiment.
experiment-corpus: demo
	$(DEMO_LAUNCH) $(BIN) pipeline Docs/examples/corpus-experiment.yaml --corpus $(DEMO)/corpus --out $(DEMO)/experiment

# Regenerates every fixture from the independent references (numpy, scipy, PyTorch, tokenizers).
fixtures: $(PY)
	@for s in Fixtures/gen/*.py; do echo "fixtures: $$s" >&2; $(PY) $$s || exit 1; done

$(PY):
	python3 -m venv $(VENV)
	$(VENV)/bin/pip install -q -r Fixtures/gen/requirements.txt

clean:
	rm -rf .build
