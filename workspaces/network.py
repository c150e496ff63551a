"""network workspace (scaffold: being built)."""
from workspaces.base import Workspace


class NetworkWorkspace(Workspace):
    pass
