// Package conformance runs the OCI distribution-spec conformance suite
// against the bare registry and through the gateway, and fails on any test
// that passes bare but fails through the gateway. It holds no library code:
// everything is in its tests, which `make conformance` runs.
package conformance
