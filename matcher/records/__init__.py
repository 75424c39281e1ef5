"""The records: canonical model, store and change log, reference data, geography, rendering."""
