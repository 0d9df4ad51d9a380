"""Loaded at start-up by every Python subprocess the tests start (this folder is
their PYTHONPATH): installs the same network guard as the pytest process."""

import netguard

netguard.install()
