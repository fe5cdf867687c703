package report

import (
	"testing"
	"time"
)

// benchLines are generated event lines that repeat their groups.
func benchLines(n int) ([][]byte, int64) {
	src := newEventSource(n)
	lines := make([][]byte, n)
	var size int64
	for i := range lines {
		lines[i] = src.appendEvent(nil, i)
		size += int64(len(lines[i]))
	}
	return lines, size
}

// BenchmarkParseLine compares encoding/json, the reference, with the
// scanner, alone and through ParseLine (which makes new strings).
func BenchmarkParseLine(b *testing.B) {
	lines, size := benchLines(1000)
	parsers := []struct {
		name  string
		parse func(s *scanner, line []byte, r *Record)
	}{
		{"encoding/json", func(_ *scanner, line []byte, r *Record) { _ = parseJSON(line, r) }},
		{"scanner", func(s *scanner, line []byte, _ *Record) {
			var f fields
			s.scan(line, &f)
		}},
		{"ParseLine", func(_ *scanner, line []byte, r *Record) { _ = ParseLine(line, r) }},
	}
	for _, p := range parsers {
		b.Run(p.name, func(b *testing.B) {
			b.ReportAllocs()
			b.SetBytes(size / int64(len(lines)))
			var (
				s scanner
				r Record
				i int
			)
			start := time.Now()
			for b.Loop() {
				p.parse(&s, lines[i%len(lines)], &r)
				i++
			}
			b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "events/s")
		})
	}
}

// BenchmarkAddLine measures the steady state of a report: every group
// already made, each line parsed and added, by AddLine (the scanner, with
// encoding/json as its fallback) and by encoding/json alone, which is what
// the scanner has to beat to be worth its code.
func BenchmarkAddLine(b *testing.B) {
	lines, size := benchLines(5460) // one cycle of the generator's groups
	for _, p := range []struct {
		name string
		add  func(rep *Report, line []byte, r *Record)
	}{
		{"scanner", func(rep *Report, line []byte, r *Record) { rep.AddLine(line, r) }},
		{"encoding/json", func(rep *Report, line []byte, r *Record) {
			if parseJSON(line, r) == nil {
				rep.Add(r)
			}
		}},
	} {
		b.Run(p.name, func(b *testing.B) {
			rep := mustNew(b, Options{Period: Hour, IPs: true})
			var r Record
			for _, l := range lines {
				p.add(rep, l, &r)
			}
			b.ReportAllocs()
			b.SetBytes(size / int64(len(lines)))
			i := 0
			start := time.Now()
			for b.Loop() {
				p.add(rep, lines[i%len(lines)], &r)
				i++
			}
			b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "events/s")
		})
	}
}

// TestAddLineDoesNotAllocate pins the fast path's point: once a report has
// seen a line's values, adding the line allocates nothing.
func TestAddLineDoesNotAllocate(t *testing.T) {
	lines, _ := benchLines(5460)
	lines = append(lines, zapLines(t)...)
	rep := mustNew(t, Options{Period: Hour, IPs: true})
	var r Record
	for _, l := range lines {
		rep.AddLine(l, &r)
	}
	i := 0
	allocs := testing.AllocsPerRun(len(lines), func() {
		rep.AddLine(lines[i%len(lines)], &r)
		i++
	})
	if allocs != 0 {
		t.Errorf("AddLine of lines already seen: got %v allocations per line, want 0", allocs)
	}
}
