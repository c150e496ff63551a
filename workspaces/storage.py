"""storage workspace (scaffold: being built)."""
from workspaces.base import Workspace


class StorageWorkspace(Workspace):
    pass
