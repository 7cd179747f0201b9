"""Validation rules as plain functions.

Each returns a list of `Problem`s. The spec loader runs them before any resource is registered, and the
policy pack imports the same functions, so a rule is written once and enforced in both places.
"""
