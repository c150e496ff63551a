"""Lang Portal: vocabulary inventory, learning record store and launchpad for study activities."""
