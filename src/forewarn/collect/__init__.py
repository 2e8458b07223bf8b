"""Collection: get raw text (from bundles, loose files, and later live nodes); never interpret it."""
