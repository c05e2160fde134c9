// Package baseline spells the ETSI baseline signature levels (B-B, B-T,
// B-LT, B-LTA) for the Level types of pdf, xml and cades, so that the three
// print and read them alike.
package baseline

import (
	"fmt"
	"strings"
)

// Name returns names[l], or "Level(l)" for a level outside names.
func Name(l int, names []string) string {
	if l >= 0 && l < len(names) {
		return names[l]
	}
	return fmt.Sprintf("Level(%d)", l)
}

// Parse returns the index of s in names, compared without case and
// surrounding space, the "B-" prefix optional; -1 when s names none.
func Parse(s string, names []string) int {
	u := strings.TrimSpace(s)
	for i, n := range names {
		if strings.EqualFold(u, n) || strings.EqualFold("B-"+u, n) {
			return i
		}
	}
	return -1
}
