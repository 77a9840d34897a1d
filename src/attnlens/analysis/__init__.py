"""Pure functions over a Trace: attention recomputation and, later, attributions and head roles."""
