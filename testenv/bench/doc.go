// Package bench measures the gateway against the numbers it must meet: the
// same registry behind a bare reverse_proxy and behind registry_auth +
// reverse_proxy, driven side by side; a 1 GiB blob streamed through both with
// the gateway's peak memory; cold-cache herds counted at the token store.
// cmd/oatgate-bench runs them all and prints the table BENCHMARKS.md keeps;
// the herd counts are exact and also run as ordinary tests.
package bench
