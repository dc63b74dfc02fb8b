"""Pure objects and rules of the forecasting portfolio. Standard library only."""
