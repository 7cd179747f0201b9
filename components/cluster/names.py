"""Cloud name limits (kept importable from here; the functions live in `components.naming`)."""

from ..naming import bounded, gcp_account_id, irsa_role_name

__all__ = ["bounded", "gcp_account_id", "irsa_role_name"]
