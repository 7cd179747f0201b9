"""The `platform` component package as other languages see it: the `stackctl package` verbs.

Owns: `command` (the `package` typer app: `schema`).
May import: nothing in stackctl; `components.provider` (the package itself) only inside a verb, so `stackctl --help`
stays free of the SDK (tests/test_cli_imports.py).
"""
