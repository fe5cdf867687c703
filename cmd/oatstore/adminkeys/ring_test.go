package adminkeys

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// mustEntry builds an entry or fails the test.
func mustEntry(t *testing.T, name, key string) Entry {
	t.Helper()
	e, err := NewEntry(name, key)
	if err != nil {
		t.Fatalf("NewEntry(%q): %v", name, err)
	}
	return e
}

func TestLookup(t *testing.T) {
	r, err := New(mustEntry(t, "alice", keyA), mustEntry(t, "bootstrap", keyB), mustEntry(t, "ci", keyC))
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name      string
		presented string
		wantName  string
		wantOK    bool
	}{
		{"the first key finds its name", keyA, "alice", true},
		{"the middle key finds its name", keyB, "bootstrap", true},
		{"the last key finds its name", keyC, "ci", true},
		{"an unknown key finds nothing", strings.Repeat("z", 40), "", false},
		{"a prefix of a key finds nothing", keyA[:39], "", false},
		{"a key with a byte more finds nothing", keyA + "a", "", false},
		{"an empty credential finds nothing", "", "", false},
		{"a key's name is not a key", "alice", "", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			name, ok := r.Lookup(tt.presented)
			if name != tt.wantName || ok != tt.wantOK {
				t.Errorf("Lookup = %q, %v; want %q, %v", name, ok, tt.wantName, tt.wantOK)
			}
		})
	}
	t.Run("a nil ring finds nothing", func(t *testing.T) {
		var nilRing *Ring
		if name, ok := nilRing.Lookup(keyA); ok || name != "" {
			t.Errorf("nil Lookup = %q, %v; want nothing", name, ok)
		}
	})
}

func TestNewRefusesDuplicates(t *testing.T) {
	tests := []struct {
		name     string
		entries  []Entry
		wantErr  error
		wantText string
	}{
		{"one name twice is refused", []Entry{mustEntry(t, "alice", keyA), mustEntry(t, "alice", keyB)}, ErrDuplicate, `"alice" is given twice`},
		{"one key under two names is refused", []Entry{mustEntry(t, "alice", keyA), mustEntry(t, "bob", keyA)}, ErrDuplicate, `"alice" and "bob" are the same key`},
		{"a zero entry is refused", []Entry{{}}, ErrName, "NewEntry"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := New(tt.entries...)
			if !errors.Is(err, tt.wantErr) || !strings.Contains(err.Error(), tt.wantText) {
				t.Fatalf("New error = %v, want %v saying %q", err, tt.wantErr, tt.wantText)
			}
			assertNoKey(t, err.Error())
		})
	}
}

func TestLoad(t *testing.T) {
	file := filepath.Join(t.TempDir(), "keys")
	if err := os.WriteFile(file, []byte("# ops\nops="+keyC+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name      string
		src       Sources
		wantNames string
		wantErr   error
	}{
		{"all three sources merge in order list, file, single", Sources{List: "alice=" + keyA, File: file, Single: keyB}, "alice,ops,admin", nil},
		{"the single key alone keeps working as admin", Sources{Single: keyA}, "admin", nil},
		{"the file alone is enough", Sources{File: file}, "ops", nil},
		{"no source at all is refused", Sources{}, "", ErrNone},
		{"admin named in the list and the single key is a duplicate", Sources{List: "admin=" + keyA, Single: keyB}, "", ErrDuplicate},
		{"one key in the list and the file is a duplicate", Sources{List: "alice=" + keyC, File: file}, "", ErrDuplicate},
		{"a bad list fails the load", Sources{List: "alice=short-key", Single: keyB}, "", ErrKey},
		{"a missing file fails the load", Sources{File: file + ".absent", Single: keyB}, "", os.ErrNotExist},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r, err := Load(tt.src)
			if !errors.Is(err, tt.wantErr) {
				t.Fatalf("Load error = %v, want %v", err, tt.wantErr)
			}
			if err != nil {
				assertNoKey(t, err.Error())
				return
			}
			if got := strings.Join(r.Names(), ","); got != tt.wantNames {
				t.Errorf("names = %q, want %q", got, tt.wantNames)
			}
		})
	}
}

func TestPrintingNeverShowsAKey(t *testing.T) {
	e := mustEntry(t, "alice", keyA)
	r, err := New(e, mustEntry(t, "ci", keyB))
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		got  string
		want string
	}{
		{"an entry prints its name only", fmt.Sprint(e), "alice=***"},
		{"an entry in %+v prints its name only", fmt.Sprintf("%+v", e), "alice=***"},
		{"an entry in %#v prints its name only", fmt.Sprintf("%#v", e), "alice=***"},
		{"an entry in %x prints its name only", fmt.Sprintf("%x", e), "alice=***"},
		{"a slice of entries prints names only", fmt.Sprint([]Entry{e}), "[alice=***]"},
		{"a ring prints its names only", fmt.Sprint(r), "admin keys: alice=***, ci=***"},
		{"a ring in %#v prints its names only", fmt.Sprintf("%#v", r), "admin keys: alice=***, ci=***"},
		{"a ring in %d prints its names only", fmt.Sprintf("%d", r), "admin keys: alice=***, ci=***"},
		{"an empty ring says so", fmt.Sprint(&Ring{}), "admin keys: none"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if tt.got != tt.want {
				t.Errorf("printed %q, want %q", tt.got, tt.want)
			}
			assertNoKey(t, tt.got)
		})
	}
}
