"""Entry point the Python language host runs for `pulumi package add` / `pulumi up` (and `python -m
components.provider <engine address>`): serves the `platform` components over Pulumi's provider protocol."""

import sys
from pathlib import Path

# Run as a plugin directory, this file's folder is on sys.path, not the repository that holds `components`.
_ROOT = Path(__file__).resolve().parents[2]
if str(_ROOT) not in sys.path:
    sys.path.insert(0, str(_ROOT))

from components.provider.host import serve  # noqa: E402

if __name__ == "__main__":
    serve()
