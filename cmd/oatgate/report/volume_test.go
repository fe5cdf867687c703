package report

import (
	"fmt"
	"io"
	"runtime"
	"strconv"
	"testing"
	"time"
)

// eventSource generates usage event lines as Caddy writes them: n events
// over 30 days from a fixed set of orgs, tokens, repositories and client
// IPs, so that the number of report rows stays fixed however large n is.
type eventSource struct {
	n, i int
	buf  []byte
	off  int
}

func newEventSource(n int) *eventSource { return &eventSource{n: n} }

func (s *eventSource) Read(p []byte) (int, error) {
	for s.off == len(s.buf) {
		if s.i == s.n {
			return 0, io.EOF
		}
		s.buf, s.off = s.appendEvent(s.buf[:0], s.i), 0
		s.i++
	}
	n := copy(p, s.buf[s.off:])
	s.off += n
	return n, nil
}

var (
	genMethods = [...]string{"GET", "HEAD", "GET", "PUT"}
	genEvents  = [...]string{"pull", "pull", "pull", "push"}
	genKinds   = [...]string{"manifests/v1", "manifests/v1", "blobs/sha256:00", "manifests/v2"}
)

func (s *eventSource) appendEvent(b []byte, i int) []byte {
	// 7 orgs x 13 tokens x 2 repositories (and client IPs) x 4 kinds x 30
	// days repeat every 5,460 events.
	org := "org" + strconv.Itoa(i%7)
	tok := strconv.Itoa(i % 13)
	repo := org + "/repo" + strconv.Itoa(i%2)
	k := i % 4
	ts := 1767225600 + float64((i%30)*86400+(i*37)%86400) + 0.123
	decision := "allow"
	if i%50 == 0 {
		decision = "deny"
	}
	b = append(b, `{"level":"info","ts":`...)
	b = strconv.AppendFloat(b, ts, 'f', -1, 64)
	b = append(b, `,"logger":"http.handlers.registry_auth.usage","msg":"registry request","event":"`...)
	b = append(b, genEvents[k]...)
	b = append(b, `","decision":"`...)
	b = append(b, decision...)
	b = append(b, `","token_id":"tok`...)
	b = append(b, tok...)
	b = append(b, `","token_label":"label`...)
	b = append(b, tok...)
	b = append(b, `","org":"`...)
	b = append(b, org...)
	b = append(b, `","repository":"`...)
	b = append(b, repo...)
	b = append(b, `","method":"`...)
	b = append(b, genMethods[k]...)
	b = append(b, `","path":"/v2/`...)
	b = append(b, repo...)
	b = append(b, '/')
	b = append(b, genKinds[k]...)
	b = append(b, `","status":200,"bytes_in":0,"bytes_out":`...)
	b = strconv.AppendInt(b, int64(i%5000), 10)
	b = append(b, `,"duration":0.0021,"client_ip":"10.0.`...)
	b = append(b, tok...)
	b = append(b, `.`...)
	b = strconv.AppendInt(b, int64(i%2), 10)
	b = append(b, `","user_agent":"docker/27.0 go/go1.22","request_id":"`...)
	b = strconv.AppendInt(b, int64(i), 10)
	b = append(b, "\"}\n"...)
	return b
}

// TestMemoryIsBoundedByRows reads the same rows from a small and a ten
// times larger stream: the heap in use afterwards must not grow with the
// number of events.
func TestMemoryIsBoundedByRows(t *testing.T) {
	small, large := 12_000, 120_000
	if testing.Short() {
		large = 60_000
	}
	heapAfter := func(n int) (uint64, int) {
		rep := mustNew(t, Options{Period: Day, IPs: true})
		if err := rep.Read("generated", newEventSource(n)); err != nil {
			t.Fatal(err)
		}
		if c := rep.Counts(); c.Events != int64(n) || c.Malformed+c.Foreign != 0 {
			t.Fatalf("counts %+v, want %d events and nothing skipped", c, n)
		}
		runtime.GC()
		var ms runtime.MemStats
		runtime.ReadMemStats(&ms)
		rows := rep.Groups()
		runtime.KeepAlive(rep)
		return ms.HeapInuse, rows
	}
	smallHeap, smallRows := heapAfter(small)
	largeHeap, largeRows := heapAfter(large)
	if smallRows != largeRows {
		t.Fatalf("rows: %d for %d events, %d for %d; the generator should repeat its groups", smallRows, small, largeRows, large)
	}
	// Allow for runtime noise, not for growth with the ten times more events.
	if largeHeap > smallHeap+4<<20 {
		t.Errorf("heap in use: %d KiB after %d events, %d KiB after %d (same %d rows): grows with events",
			largeHeap>>10, large, smallHeap>>10, small, largeRows)
	}
}

// BenchmarkReport measures events per second through parsing and grouping.
func BenchmarkReport(b *testing.B) {
	b.ReportAllocs()
	const perIter = 10_000
	var rows int
	start := time.Now()
	for b.Loop() {
		rep := mustNew(b, Options{Period: Hour})
		if err := rep.Read("generated", newEventSource(perIter)); err != nil {
			b.Fatal(err)
		}
		rows = rep.Groups()
	}
	b.ReportMetric(float64(b.N*perIter)/time.Since(start).Seconds(), "events/s")
	b.ReportMetric(float64(rows), "rows")
}

// ExampleReport shows one event through the API the CLI uses.
func ExampleReport() {
	rep, _ := New(Options{Period: Day})
	var r Record
	rep.AddLine([]byte(`{"ts":1767225600,"logger":"http.handlers.registry_auth.usage","msg":"registry request","event":"pull","decision":"allow","org":"acme","token_id":"t1","repository":"acme/app","method":"GET","path":"/v2/acme/app/manifests/v1","status":200,"bytes_out":1024,"client_ip":"10.0.0.1"}`), &r)
	for _, row := range rep.Rows() {
		fmt.Println(row.Org, row.TokenID, row.Repository, row.Event, row.Requests, row.Pulls, row.BytesOut)
	}
	// Output: acme t1 acme/app pull 1 1 1024
}
