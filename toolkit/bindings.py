"""Fast import of the AWS provider bindings.

`cdktf_cdktf_provider_aws/__init__.py` eagerly imports all ~2,135 resource submodules
(~8 s here, hashicorp/terraform-cdk#3753) although the platform uses a few dozen. Each
submodule only needs the package's `_jsii` assembly loader, so we register the root package
as an empty module whose `__path__` points at the installed package: `from
cdktf_cdktf_provider_aws.vpc import Vpc` then loads `_jsii` and `vpc` alone.

The JavaScript the bindings drive has the same problem: the jsii kernel (a Node process)
requires the provider's lib/index.js, which requires every resource module (~2 s). So the
loader also preloads `lazy_provider_index.cjs` into that process (NODE_OPTIONS, set before the
kernel starts, and only for it), which compiles that one index with a getter per submodule.

This relies on the layout of one bindings release, so it refuses any other version, and
`APP_DW_EAGER_IMPORTS=1` turns it off. A test synthesizes the platform both ways and
compares the output byte for byte.
"""
from __future__ import annotations

import atexit
import importlib.machinery
import importlib.metadata
import importlib.util
import os
import sys
import types
from pathlib import Path

PACKAGE = "cdktf_cdktf_provider_aws"
DISTRIBUTION = "cdktf-cdktf-provider-aws"
PINNED_VERSION = "20.1.0"
NODE_LAZY_INDEX = Path(__file__).with_name("lazy_provider_index.cjs")


class BindingsVersionError(RuntimeError):
    """The installed provider bindings are not the release the loader was checked against."""


def eager_imports_requested() -> bool:
    return os.environ.get("APP_DW_EAGER_IMPORTS", "") not in ("", "0", "false")


def install_lazy_provider_package() -> bool:
    """Register the bindings' root package without running its eager imports.

    Returns True when the lazy package was installed, False when the normal import is used
    (switched off, or the package is already imported). Call it before importing any
    construct module.
    """
    if eager_imports_requested() or PACKAGE in sys.modules:
        return False
    installed = importlib.metadata.version(DISTRIBUTION)
    if installed != PINNED_VERSION:
        raise BindingsVersionError(
            f"{DISTRIBUTION} {installed} is installed, but the fast loader is verified only for "
            f"{PINNED_VERSION}; run `make setup` (Pipfile pins it) or set APP_DW_EAGER_IMPORTS=1."
        )
    spec = importlib.util.find_spec(PACKAGE)
    if spec is None or not spec.submodule_search_locations:
        raise BindingsVersionError(f"{PACKAGE} is not importable; run `make setup`.")
    package = types.ModuleType(PACKAGE, "AWS provider bindings, loaded lazily by toolkit.bindings")
    package.__path__ = list(spec.submodule_search_locations)
    package.__file__ = spec.origin
    package.__spec__ = importlib.machinery.ModuleSpec(PACKAGE, spec.loader, origin=spec.origin, is_package=True)
    package.__spec__.submodule_search_locations = package.__path__
    package.__package__ = PACKAGE
    sys.modules[PACKAGE] = package
    _preload_into_the_jsii_kernel(NODE_LAZY_INDEX)
    return True


def _preload_into_the_jsii_kernel(script: Path) -> None:
    """Start the jsii kernel with `script` preloaded, and only it: the option is set while the
    first jsii module (constructs) starts the kernel, then taken back, so other Node processes
    this one starts (npm, browsers' drivers) run as they would."""
    before = os.environ.get("NODE_OPTIONS")
    os.environ["NODE_OPTIONS"] = f'{before or ""} --require "{script}"'.strip()
    try:
        import constructs  # noqa: F401  (its assembly load starts the kernel)
    finally:
        if before is None:
            del os.environ["NODE_OPTIONS"]
        else:
            os.environ["NODE_OPTIONS"] = before


def exit_now(code: int) -> None:
    """Exit without tearing the interpreter down: freeing the bindings' objects one by one takes
    ~0.35 s and nothing a finished command needs. Exit handlers (the jsii kernel's stop) still run."""
    atexit._run_exitfuncs()
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)
