"""monitoring workspace (scaffold: being built)."""
from workspaces.base import Workspace


class MonitoringWorkspace(Workspace):
    pass
