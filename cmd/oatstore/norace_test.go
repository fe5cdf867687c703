//go:build !race

package main

// raceEnabled makes the crash test build its child with -race too.
const raceEnabled = false
