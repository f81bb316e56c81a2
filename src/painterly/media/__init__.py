"""Pixels in and out: reading and atomically writing images, recordings of a run, contact sheets."""
