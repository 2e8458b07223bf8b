"""Facts: parsed evidence of every node, and cluster-wide views combined from it."""
