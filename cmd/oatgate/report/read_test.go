package report

import (
	"bytes"
	"compress/gzip"
	"strings"
	"testing"
)

const oneEvent = `{"ts":1767225600,"logger":"http.handlers.registry_auth.usage","msg":"registry request","event":"login","decision":"allow","method":"GET","path":"/v2/","status":200}`

func TestReadSkipsWhatIsNotAnEvent(t *testing.T) {
	tests := []struct {
		name  string
		input string
		want  Counts
	}{
		{"a last line without a newline is read", oneEvent + "\n" + oneEvent, Counts{Lines: 2, Events: 2, Matched: 2}},
		{"blank lines are not counted", "\n\n" + oneEvent + "\n\r\n  \n", Counts{Lines: 1, Events: 1, Matched: 1}},
		{"an overlong line is malformed and the next line is still read",
			`{"x":"` + strings.Repeat("a", 3*MaxLineLen) + "\"}\n" + oneEvent + "\n", Counts{Lines: 2, Events: 1, Matched: 1, Malformed: 1}},
		{"a line cut short at the end of a file being written is malformed", oneEvent + "\n" + oneEvent[:40], Counts{Lines: 2, Events: 1, Matched: 1, Malformed: 1}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rep := mustNew(t, Options{})
			if err := rep.Read("input", strings.NewReader(tt.input)); err != nil {
				t.Fatalf("Read: %v", err)
			}
			if got := rep.Counts(); got != tt.want {
				t.Errorf("counts: got %+v, want %+v", got, tt.want)
			}
		})
	}
}

func TestReadReportsACorruptGzipButKeepsWhatItRead(t *testing.T) {
	var zipped bytes.Buffer
	zw := gzip.NewWriter(&zipped)
	for range 1000 {
		zw.Write([]byte(oneEvent + "\n"))
	}
	zw.Close()
	cut := zipped.Bytes()[:zipped.Len()-8] // lose the trailer, as a crash mid-rotation would

	rep := mustNew(t, Options{})
	err := rep.Read("usage-1.log.gz", bytes.NewReader(cut))
	if err == nil || !strings.Contains(err.Error(), "usage-1.log.gz") {
		t.Errorf("Read of a truncated gzip: got %v, want an error naming the file", err)
	}
	if got := rep.Counts().Events; got < 900 {
		t.Errorf("events read before the damage: got %d, want nearly 1000", got)
	}
}
