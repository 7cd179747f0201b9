"""Benchmarks (not part of the installed packages). `stack_generator` is shared with the tests."""
