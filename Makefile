# One entry point for people and CI: every target bootstraps .venv from nothing.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
# Debian packages the tests need and the machine lacks: $(APT_INSTALL) PACKAGES >/dev/null
APT_INSTALL := apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq

# Debian 12's kernel package: Linux 6.1 (a glob: the newest matching image). make test runs kernel
# tests in it first (docs/kernel-support.md#second-kernel); GUEST_KERNEL= (empty) leaves the guest out.
DEBIAN_KERNEL := /boot/vmlinuz-6.1.*-amd64
GUEST_KERNEL ?= $(DEBIAN_KERNEL)

.PHONY: test test-dev test-kernel guest-tools guest-kernel demo bench lint docs screenshots dist tools clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test,lint,docs]'
	touch $(STAMP)

# bpftool is the tests' independent reader of map contents; libbpf-dev builds the benchmark's C floor
# and, with clang, the BPF object whose BTF the tests decode; tmux is the terminal the live view is
# tested in.
tools:
	@missing=""; \
	command -v bpftool >/dev/null 2>&1 || [ -x /usr/sbin/bpftool ] || missing="$$missing bpftool"; \
	[ -f /usr/include/bpf/bpf.h ] || missing="$$missing libbpf-dev"; \
	command -v clang >/dev/null 2>&1 || missing="$$missing clang"; \
	command -v tmux >/dev/null 2>&1 || missing="$$missing tmux"; \
	if [ -n "$$missing" ]; then \
	  echo "installing$$missing (Debian packages) for the tests"; \
	  $(APT_INSTALL) $$missing >/dev/null; \
	fi

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy
	$(BIN)/lint-imports

# The documentation site, from docs/ and the docstrings, into site/; any warning fails it.
docs: $(STAMP)
	$(BIN)/mkdocs build --strict --quiet

# A screenshot of every page of the documentation site, into build/screenshots/, to look at
# (headless Chromium, Debian's package).
screenshots: docs
	@command -v chromium >/dev/null 2>&1 || $(APT_INSTALL) chromium >/dev/null
	$(BIN)/python -m tests.support.screenshots

# The sdist and the wheel, into dist/.
dist: $(STAMP)
	rm -rf dist
	$(BIN)/python -m build --outdir dist . >/dev/null

# The kernel tests of tests/kernel/guest-suite.txt inside GUEST_KERNEL, a qemu guest
# (docs/kernel-support.md#second-kernel); then the whole suite against
# the wheel installed in a fresh venv (not this source tree), while other BPF software creates, pins
# and removes awkward maps and a CPU is kept busy (tests/support/churn.py).
test: $(STAMP) tools lint docs dist $(if $(GUEST_KERNEL),guest-tools guest-kernel)
	$(if $(GUEST_KERNEL),$(BIN)/python tests/support/guest.py --timeout 3600 '$(GUEST_KERNEL)' $$(grep -v '^#' tests/kernel/guest-suite.txt))
	$(BIN)/python -m tests.support.churn -- env PYBPFMAPS_REQUIRE_KERNEL=1 $(BIN)/python tests/support/run_installed.py dist $(PYTEST_ARGS)

# The same suite against the editable install: quicker while working, e.g. PYTEST_ARGS=tests/unit.
test-dev: $(STAMP) tools
	PYBPFMAPS_REQUIRE_KERNEL=1 $(BIN)/python -m pytest $(PYTEST_ARGS)

# The kernel suite inside another kernel image (a qemu guest): make test-kernel KERNEL=/boot/vmlinuz-6.1.0-...
# PYTEST_ARGS narrows it (default: tests/kernel). See docs/kernel-support.md#your-kernel.
test-kernel: $(STAMP) tools guest-tools
	@[ -n "$(KERNEL)" ] || { echo "make test-kernel needs KERNEL=/path/to/vmlinuz"; exit 2; }
	$(BIN)/python tests/support/guest.py $(KERNEL) $(PYTEST_ARGS)

guest-kernel:
	@if [ '$(GUEST_KERNEL)' = '$(DEBIAN_KERNEL)' ] && ! ls $(DEBIAN_KERNEL) >/dev/null 2>&1; then \
	  echo "installing linux-image-amd64 (Debian 12's Linux 6.1) for the guest of make test"; \
	  $(APT_INSTALL) linux-image-amd64 >/dev/null; \
	fi

# qemu and busybox (Debian packages) and virtme-ng (PyPI, into .venv) boot the guests of test and test-kernel.
guest-tools: $(STAMP)
	@command -v qemu-system-x86_64 >/dev/null 2>&1 && command -v busybox >/dev/null 2>&1 || { \
	  echo "installing qemu-system-x86 busybox-static (Debian packages) for the qemu guests of make test and test-kernel"; \
	  $(APT_INSTALL) qemu-system-x86 busybox-static >/dev/null; }
	@[ -x $(BIN)/vng ] || $(BIN)/python -m pip install --quiet virtme-ng

demo: $(STAMP)
	$(BIN)/python examples/demo.py

bench: $(STAMP) tools
	$(BIN)/python bench/streams.py $(BENCH_ARGS)
	$(BIN)/python bench/run.py $(BENCH_ARGS)
	$(BIN)/python bench/codec_throughput.py $(BENCH_ARGS)

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache .hypothesis build dist site
