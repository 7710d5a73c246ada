"""What the tests and the benchmarks both run: real processes (podsim pods, a gateway, Keystone)
on free loopback ports, the small cloud made of them, and the `make demo` tour."""
