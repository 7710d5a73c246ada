"""Creates: where a new resource goes, and recording it once the pod accepted it."""
