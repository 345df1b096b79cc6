//go:build race

package producers

// raceEnabled: the race detector multiplies time and memory, so the
// heaviest memory measurement is left to the plain test run.
const raceEnabled = true
