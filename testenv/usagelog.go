package testenv

import (
	"bufio"
	"encoding/json"
	"os"
	"testing"
)

// UsageEvents reads the usage log that every gateway of the environment
// writes to, and returns its events grouped by request id: one request
// must have exactly one event, and a test that sent it by id can say so.
func (e *Env) UsageEvents(t testing.TB) map[string][]map[string]any {
	t.Helper()
	f, err := os.Open(e.UsageLog)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	events := map[string][]map[string]any{}
	sc := bufio.NewScanner(f)
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		var ev map[string]any
		if err := json.Unmarshal(sc.Bytes(), &ev); err != nil {
			t.Fatalf("usage log line is not JSON: %q", sc.Text())
		}
		if id, ok := ev["request_id"].(string); ok {
			events[id] = append(events[id], ev)
		}
	}
	if err := sc.Err(); err != nil {
		t.Fatalf("reading the usage log: %v", err)
	}
	return events
}
