"""CLI, HTTP app, dashboard and the one composition root that wires them."""
