package bench

import (
	"bufio"
	"io"
	"strconv"
	"strings"
)

// Micro is one line of `go test -bench` output.
type Micro struct {
	// Name is the benchmark's name without the -GOMAXPROCS suffix.
	Name string
	// Metrics maps units to values: "ns/op", "B/op", "allocs/op" and any
	// custom metric such as "heap-MiB".
	Metrics map[string]float64
}

// ParseMicro reads the benchmark lines of `go test -bench -benchmem`
// output; other lines are skipped. A benchmark listed twice keeps its last
// line.
func ParseMicro(r io.Reader) (map[string]Micro, error) {
	out := map[string]Micro{}
	sc := bufio.NewScanner(r)
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		if len(f) < 4 || !strings.HasPrefix(f[0], "Benchmark") {
			continue
		}
		if _, err := strconv.Atoi(f[1]); err != nil {
			continue
		}
		name := f[0]
		if i := strings.LastIndexByte(name, '-'); i > 0 {
			if _, err := strconv.Atoi(name[i+1:]); err == nil {
				name = name[:i]
			}
		}
		m := Micro{Name: name, Metrics: map[string]float64{}}
		for i := 2; i+1 < len(f); i += 2 {
			v, err := strconv.ParseFloat(f[i], 64)
			if err != nil {
				break
			}
			m.Metrics[f[i+1]] = v
		}
		out[name] = m
	}
	return out, sc.Err()
}
