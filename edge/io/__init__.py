"""Files in and out: frame readers, overlays, model manifests."""
