"""auth workspace (scaffold: being built)."""
from workspaces.base import Workspace


class AuthWorkspace(Workspace):
    pass
