"""Shared objects (flavors, key pairs, volume types): one copy per pod, shown once."""
