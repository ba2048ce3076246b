# One entry point for people and CI: every target bootstraps .venv from nothing.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: test demo bench lint tools clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test,lint]'
	touch $(STAMP)

# bpftool is the tests' independent reader of map contents; libbpf-dev builds the benchmark's C floor
# and, with clang, the BPF object whose BTF the tests decode.
tools:
	@missing=""; \
	command -v bpftool >/dev/null 2>&1 || [ -x /usr/sbin/bpftool ] || missing="$$missing bpftool"; \
	[ -f /usr/include/bpf/bpf.h ] || missing="$$missing libbpf-dev"; \
	command -v clang >/dev/null 2>&1 || missing="$$missing clang"; \
	if [ -n "$$missing" ]; then \
	  echo "installing$$missing (Debian packages) for the tests"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing >/dev/null; \
	fi

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy
	$(BIN)/lint-imports

test: $(STAMP) tools lint
	PYBPFMAPS_REQUIRE_KERNEL=1 $(BIN)/python -m pytest

demo: $(STAMP)
	$(BIN)/python examples/demo.py

bench: $(STAMP) tools
	$(BIN)/python bench/run.py $(BENCH_ARGS)
	$(BIN)/python bench/codec_throughput.py $(BENCH_ARGS)

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache .hypothesis
