"""Where the independent fits of a training call run: this process, a local pool, a Dask cluster."""
