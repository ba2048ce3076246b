"""Helpers the test suites share: a fake kernel, map makers and the like."""
