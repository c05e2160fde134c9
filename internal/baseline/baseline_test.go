package baseline

import (
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestParseAndName(t *testing.T) {
	names := []string{"none", "B-B", "B-T", "B-LT", "B-LTA"}
	for in, want := range map[string]int{"B-B": 1, " b-t ": 2, "LT": 3, "lta": 4, "NONE": 0, "B-X": -1, "": -1, "B-": -1} {
		assert.Equal(t, want, Parse(in, names), in)
	}
	for i, n := range names {
		assert.Equal(t, n, Name(i, names))
		assert.Equal(t, i, Parse(Name(i, names), names))
	}
	assert.Equal(t, "Level(7)", Name(7, names))
	assert.Equal(t, "Level(-1)", Name(-1, names))
}
