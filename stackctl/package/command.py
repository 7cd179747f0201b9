"""`stackctl package`: the verbs about the `platform` component package (`components/provider/`)."""

from __future__ import annotations

import json
import sys

import typer

app = typer.Typer(no_args_is_help=True, rich_markup_mode=None,
                  help="The `platform` component package (TypeScript, Go, C#, Java and YAML consumers).")


@app.command()
def schema() -> None:
    """Print the package schema: what `pulumi package get-schema components/provider` returns, and what the
    committed `components/provider/schema.json` must equal."""
    from components.provider.host import schema as package_schema

    sys.stdout.write(json.dumps(package_schema(), indent=2, sort_keys=True) + "\n")
