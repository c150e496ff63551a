"""Reusable CDKTF constructs for AWS: each takes `(scope, id, props)` with safe defaults and
offers grants and metrics for the resources it owns.

Named `building_blocks`, not `constructs`: a top-level package called `constructs` would
shadow the `constructs` library that cdktf itself imports (aws/aws-cdk#19301).
"""
