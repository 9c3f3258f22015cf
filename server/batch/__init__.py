"""Batch re-coding: CSV/TSV/NDJSON/FHIR Bulk NDJSON files re-coded with the
engine, in parallel chunks, resumable, on one machine (runner) or on Apache
Spark (spark)."""
