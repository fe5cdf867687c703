package bench

import (
	"testing"
	"time"
)

func TestRoundsAreComparedPairwiseByTheirMedian(t *testing.T) {
	a := &LoadResult{Rounds: []Round{{RPS: 100, P99: 10 * time.Millisecond}, {RPS: 50, P99: 30 * time.Millisecond}, {RPS: 200, P99: 5 * time.Millisecond}}}
	b := &LoadResult{Rounds: []Round{{RPS: 90, P99: 11 * time.Millisecond}, {RPS: 50, P99: 40 * time.Millisecond}, {RPS: 210, P99: 5 * time.Millisecond}}}
	if got, want := MedianRatio(a, b), 1.0; got != want {
		t.Errorf("MedianRatio = %v, want %v (ratios 0.9, 1, 1.05)", got, want)
	}
	if got, want := MedianAddedP99(a, b), time.Millisecond; got != want {
		t.Errorf("MedianAddedP99 = %v, want %v (differences 1 ms, 10 ms, 0)", got, want)
	}
	if got := median(4, func(i int) float64 { return []float64{4, 1, 3, 2}[i] }); got != 2.5 {
		t.Errorf("median of 1..4 = %v, want 2.5", got)
	}
}
