//go:build !race

package producers

const raceEnabled = false
