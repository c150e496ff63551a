"""database workspace (scaffold: being built)."""
from workspaces.base import Workspace


class DatabaseWorkspace(Workspace):
    pass
