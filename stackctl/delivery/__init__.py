"""Delivery: what leaves stackctl for a cloud or a deployment repository."""
