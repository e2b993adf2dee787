"""ugsdk: the Python client of the CCAI Platform end-user API (placeholder while the core lands)."""
