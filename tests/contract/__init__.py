"""The podsim contract: the same requests against podsim and real Nova and Cinder, compared by
the shapes of their answers (shapes.py), against a golden recorded from the real services."""
