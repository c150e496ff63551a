"""Workspaces: one TerraformStack each, with its own S3 state, made of building blocks.

`registry.py` lists them and what each reads; `base.py` gives every workspace its backend,
provider, outputs and cross-workspace reads.
"""
