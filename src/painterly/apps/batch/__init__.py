"""`painterly batch`: many photos in many paintings, resumable, here or on a Dask cluster (command.main)."""
