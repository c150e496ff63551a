"""The app: wires every workspace of the platform into one cdktf App and synthesizes it.

`cdktf synth|diff|deploy <workspace>` run this file (cdktf.json), as does `make synth`
through `toolkit.synth`.
"""
from __future__ import annotations

import os
import sys
from pathlib import Path

from toolkit.bindings import exit_now, install_lazy_provider_package

install_lazy_provider_package()  # before any construct module imports the bindings

from cdktf import App  # noqa: E402

from toolkit.definition import Platform, load_platform  # noqa: E402
from workspaces.registry import with_reads, workspace_specs  # noqa: E402


def build_app(platform: Platform, outdir: str | Path = "cdktf.out", progress=None) -> App:
    """Build (not yet synthesize) every workspace, then order them by what each one read.

    A read of a workspace that does not exist or of an output it does not publish, and
    workspaces that read each other in a cycle, stop the build with a message naming them.
    """
    app = App(outdir=str(outdir))
    specs = workspace_specs(platform)
    built = {}
    for index, spec in enumerate(specs, start=1):
        if progress:
            progress(f"[{index:>2}/{len(specs)}] building {spec.name}")
        built[spec.name] = spec.build(app, platform)
    for name, workspace in built.items():
        for source, output in sorted(workspace.outputs_read):
            if source not in built:
                raise ValueError(f"workspace {name!r} reads {source!r}, which is not a workspace")
            if output not in built[source].published:
                raise ValueError(f"workspace {name!r} reads output {output!r} of {source!r}, which "
                                 f"{source!r} does not publish")
    for spec in with_reads(specs, {name: workspace.reads for name, workspace in built.items()}):
        for dependency in spec.reads:
            built[spec.name].add_dependency(built[dependency])  # so `cdktf deploy --all` keeps the order
    return app


def main() -> int:
    from toolkit.definition import DefinitionError

    try:
        platform = load_platform()
    except DefinitionError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    # The cdktf CLI tells the app where to write through CDKTF_OUTDIR.
    build_app(platform, os.environ.get("CDKTF_OUTDIR", "cdktf.out")).synth()
    return 0


if __name__ == "__main__":
    exit_now(main())
