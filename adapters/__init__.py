"""Implementations of the application's ports: MLflow, DuckDB, files, forecasting models."""
