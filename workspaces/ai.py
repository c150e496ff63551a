"""ai workspace (scaffold: being built)."""
from workspaces.base import Workspace


class AiWorkspace(Workspace):
    pass
