"""A Neutron v2.0 subset served by the pod under `/network` (networks to security group rules)."""
