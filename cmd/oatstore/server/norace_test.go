//go:build !race

package server_test

// raceEnabled scales down tests whose cost the race detector multiplies.
const raceEnabled = false
