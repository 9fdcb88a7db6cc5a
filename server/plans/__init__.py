"""Tour plans: preview, accept, re-plan and export rounds planned by ``routing``."""
