"""The floor for synth: one stack, one resource, the same bindings and loader as main.py."""
from __future__ import annotations

import os
import sys

from toolkit.bindings import exit_now, install_lazy_provider_package

install_lazy_provider_package()

from cdktf import App, TerraformStack  # noqa: E402
from cdktf_cdktf_provider_aws.provider import AwsProvider  # noqa: E402
from cdktf_cdktf_provider_aws.s3_bucket import S3Bucket  # noqa: E402

app = App(outdir=os.environ.get("CDKTF_OUTDIR", sys.argv[1] if len(sys.argv) > 1 else "cdktf.out-floor"))
stack = TerraformStack(app, "floor")
AwsProvider(stack, "aws", region="us-east-1")
S3Bucket(stack, "bucket", bucket="app-dw-bench-floor")
app.synth()
exit_now(0)  # as main.py ends
