package adminkeys

import (
	"strings"
	"testing"
)

// checkEntries asserts what every accepted entry must satisfy.
func checkEntries(t *testing.T, entries []Entry) {
	t.Helper()
	for _, e := range entries {
		if checkName(e.name) != nil {
			t.Errorf("accepted an invalid name (%d bytes)", len(e.name))
		}
		if checkKey(e.key) != nil {
			t.Errorf("accepted an invalid key for %q", e.name)
		}
		if strings.Contains(e.String(), e.key) {
			t.Errorf("entry %q prints its key", e.name)
		}
	}
}

// assertSecretsAbsent fails when msg quotes a long run of the input that
// sat where a key goes (after "=") or where a key might be misplaced (the
// whole entry). Names are quoted only once they passed the grammar.
func assertSecretsAbsent(t *testing.T, input, msg string) {
	t.Helper()
	for _, sep := range []string{",", "\n"} {
		for part := range strings.SplitSeq(input, sep) {
			for _, piece := range strings.Split(part, "=") {
				piece = strings.TrimSpace(piece)
				if len(piece) >= 16 && checkName(piece) != nil && strings.Contains(msg, piece) {
					t.Fatalf("error %q quotes input %q", msg, piece)
				}
			}
		}
	}
}

func FuzzParseList(f *testing.F) {
	f.Add("alice=" + keyA + ",bootstrap=" + keyB)
	f.Add("alice=" + keyC)
	f.Add(keyA + "=alice")
	f.Add(",,=,")
	f.Add("alice=oat_" + keyA)
	f.Fuzz(func(t *testing.T, s string) {
		entries, err := ParseList(s)
		if err != nil {
			assertSecretsAbsent(t, s, err.Error())
			return
		}
		checkEntries(t, entries)
		if _, err := New(entries...); err != nil {
			assertSecretsAbsent(t, s, err.Error())
		}
	})
}

func FuzzParseFile(f *testing.F) {
	f.Add("# keys\nalice=" + keyA + "\n\nci=" + keyB + "\r\n")
	f.Add("broken\n" + keyA)
	f.Add("#\n=\n \t\n")
	f.Fuzz(func(t *testing.T, s string) {
		entries, err := ParseFile(strings.NewReader(s))
		if err != nil {
			assertSecretsAbsent(t, s, err.Error())
			return
		}
		checkEntries(t, entries)
	})
}
