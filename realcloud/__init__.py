"""The real OpenStack tier: a two-pod cloud on loopback behind Podgate, Tempest and openstacksdk."""
