package oat

import "testing"

func TestHotPathsDoNotAllocate(t *testing.T) {
	tok := generate(t)
	tests := []struct {
		name string
		fn   func()
	}{
		{"Check of a valid token", func() { _ = Check(tok) }},
		{"Check of garbage", func() { _ = Check("oat_garbage") }},
		{"HashOf a token", func() { _ = HashOf(tok) }},
	}
	for _, tt := range tests {
		t.Run(tt.name+" does not allocate", func(t *testing.T) {
			if got := testing.AllocsPerRun(100, tt.fn); got != 0 {
				t.Errorf("allocations per run = %v, want 0", got)
			}
		})
	}
}
