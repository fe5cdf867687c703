package adminkeys

import (
	"errors"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
)

// Keys long enough to pass, distinct, and easy to spot in a leaked message.
var (
	keyA = strings.Repeat("a", 40)
	keyB = strings.Repeat("b", 32)
	keyC = "c2VjcmV0LWtleS1mb3ItdGVzdHMtb25seS0xMjM0NTY3OA==" // base64 with padding
)

// names returns the names of entries, to compare parses.
func names(entries []Entry) string {
	out := make([]string, len(entries))
	for i, e := range entries {
		out[i] = e.Name()
	}
	return strings.Join(out, ",")
}

// assertNoKey fails when msg contains any of the test keys.
func assertNoKey(t *testing.T, msg string) {
	t.Helper()
	for _, k := range []string{keyA, keyB, keyC, keyA[:MinKeyLen-1], "short-key"} {
		if strings.Contains(msg, k) {
			t.Errorf("message %q contains a key", msg)
		}
	}
}

func TestParseList(t *testing.T) {
	tests := []struct {
		name      string
		in        string
		wantNames string
		wantErr   error
		wantText  string
	}{
		{"two named keys parse", "alice=" + keyA + ",bootstrap=" + keyB, "alice,bootstrap", nil, ""},
		{"spaces around entries are ignored", " alice=" + keyA + " , ci=" + keyB + "\n", "alice,ci", nil, ""},
		{"a key may contain equals signs", "alice=" + keyC, "alice", nil, ""},
		{"an empty variable is no keys", "", "", nil, ""},
		{"a blank variable is no keys", "  \n", "", nil, ""},
		{"a trailing comma is refused", "alice=" + keyA + ",", "", ErrSyntax, "entry 2: invalid admin key entry: empty"},
		{"an entry without equals is refused", keyA, "", ErrSyntax, `no "="`},
		{"an empty name is refused", "=" + keyA, "", ErrName, "want 1 to 32"},
		{"an uppercase name is refused", "Alice=" + keyA, "", ErrName, "a-z"},
		{"a name with a colon is refused", "admin:alice=" + keyA, "", ErrName, ""},
		{"a name starting with a dash is refused", "-alice=" + keyA, "", ErrName, ""},
		{"a name longer than 32 characters is refused", strings.Repeat("n", 33) + "=" + keyA, "", ErrName, ""},
		{"a key swapped with its name is refused without printing it", keyA + "=alice", "", ErrName, ""},
		{"a short key is refused with the length it needs", "alice=short-key", "", ErrKey, "9 bytes, at least 32"},
		{"a key one byte short is refused", "alice=" + keyA[:MinKeyLen-1], "", ErrKey, "31 bytes"},
		{"a key of exactly 32 bytes is accepted", "alice=" + keyA[:MinKeyLen], "alice", nil, ""},
		{"a key with an inner space is refused", "alice=" + keyA[:20] + " " + keyA[:20], "", ErrKey, "visible ASCII"},
		{"a key with non-ASCII is refused", "alice=" + keyA + "é", "", ErrKey, "visible ASCII"},
		{"a key shaped like an access token is refused", "alice=oat_" + keyA, "", ErrKey, "organization access tokens"},
		{"a key over the size limit is refused", "alice=" + strings.Repeat("k", MaxKeyLen+1), "", ErrKey, "longer than"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParseList(tt.in)
			if tt.wantErr == nil {
				if err != nil {
					t.Fatalf("ParseList: %v; want no error", err)
				}
				if names(got) != tt.wantNames {
					t.Errorf("names = %q, want %q", names(got), tt.wantNames)
				}
				return
			}
			if !errors.Is(err, tt.wantErr) {
				t.Fatalf("ParseList error = %v, want %v", err, tt.wantErr)
			}
			if !strings.Contains(err.Error(), tt.wantText) {
				t.Errorf("error %q does not say %q", err, tt.wantText)
			}
			assertNoKey(t, err.Error())
		})
	}
}

func TestParseFile(t *testing.T) {
	tests := []struct {
		name      string
		in        string
		wantNames string
		wantErr   error
		wantText  string
	}{
		{"one key per line parses", "alice=" + keyA + "\nci=" + keyB + "\n", "alice,ci", nil, ""},
		{"comments and blank lines are skipped", "# people\n\nalice=" + keyA + "\n   # jobs\n\nci=" + keyB, "alice,ci", nil, ""},
		{"CRLF line ends are accepted", "alice=" + keyA + "\r\nci=" + keyB + "\r\n", "alice,ci", nil, ""},
		{"a file of comments only is no keys", "# nothing yet\n", "", nil, ""},
		{"a bad line is named by number", "# header\nalice=" + keyA + "\nbroken\n", "", ErrSyntax, "line 3"},
		{"a short key names its line", "\nalice=short-key\n", "", ErrKey, "line 2"},
		{"a comma-separated line is refused, since keys hold no comma", "alice=" + keyA + ",ci=" + keyB, "", ErrKey, "line 1: key \"alice\": invalid admin key: byte 41 is a comma"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParseFile(strings.NewReader(tt.in))
			if tt.wantErr == nil {
				if err != nil {
					t.Fatalf("ParseFile: %v; want no error", err)
				}
				if names(got) != tt.wantNames {
					t.Errorf("names = %q, want %q", names(got), tt.wantNames)
				}
				return
			}
			if !errors.Is(err, tt.wantErr) || !strings.Contains(err.Error(), tt.wantText) {
				t.Fatalf("ParseFile error = %v, want %v saying %q", err, tt.wantErr, tt.wantText)
			}
			assertNoKey(t, err.Error())
		})
	}
}

func TestReadFile(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("file modes are not Unix permissions on Windows")
	}
	content := "alice=" + keyA + "\n"
	tests := []struct {
		name     string
		mode     os.FileMode
		wantErr  error
		wantText string
	}{
		{"a file only its owner can read is accepted", 0o600, nil, ""},
		{"a read-only owner file is accepted", 0o400, nil, ""},
		{"a group-readable file is refused with the chmod to run", 0o640, ErrFileMode, "chmod 600"},
		{"a world-readable file is refused", 0o644, ErrFileMode, "mode 0644"},
		{"a group-writable file is refused", 0o620, ErrFileMode, "chmod 600"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "admin-keys")
			if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
				t.Fatal(err)
			}
			if err := os.Chmod(path, tt.mode); err != nil {
				t.Fatal(err)
			}
			got, err := ReadFile(path)
			if tt.wantErr == nil {
				if err != nil || names(got) != "alice" {
					t.Fatalf("ReadFile = %v, %v; want alice", got, err)
				}
				return
			}
			if !errors.Is(err, tt.wantErr) || !strings.Contains(err.Error(), tt.wantText) {
				t.Fatalf("ReadFile error = %v, want %v saying %q", err, tt.wantErr, tt.wantText)
			}
			assertNoKey(t, err.Error())
		})
	}
	t.Run("a directory is refused", func(t *testing.T) {
		dir := t.TempDir()
		if err := os.Chmod(dir, 0o700); err != nil {
			t.Fatal(err)
		}
		if _, err := ReadFile(dir); err == nil || !strings.Contains(err.Error(), "not a regular file") {
			t.Errorf("ReadFile(dir) error = %v, want not a regular file", err)
		}
	})
	t.Run("a missing file is refused with its path", func(t *testing.T) {
		path := filepath.Join(t.TempDir(), "absent")
		if _, err := ReadFile(path); !errors.Is(err, os.ErrNotExist) {
			t.Errorf("ReadFile(absent) error = %v, want ErrNotExist", err)
		}
	})
}

func TestSingle(t *testing.T) {
	tests := []struct {
		name      string
		in        string
		wantNames string
		wantErr   error
	}{
		{"the single key is named admin", keyA, "admin", nil},
		{"a trailing newline is ignored", keyA + "\n", "admin", nil},
		{"an empty variable is no key", "", "", nil},
		{"a short single key is refused", "changeme", "", ErrKey},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Single(tt.in)
			if !errors.Is(err, tt.wantErr) {
				t.Fatalf("Single error = %v, want %v", err, tt.wantErr)
			}
			if err != nil {
				if !strings.Contains(err.Error(), "OATSTORE_ADMIN_KEY") {
					t.Errorf("error %q does not name the variable", err)
				}
				return
			}
			if names(got) != tt.wantNames {
				t.Errorf("names = %q, want %q", names(got), tt.wantNames)
			}
		})
	}
}

func TestParseFileRefusesAHugeFile(t *testing.T) {
	huge := strings.Repeat("# padding\n", maxFileSize/10+1)
	if _, err := ParseFile(strings.NewReader(huge)); !errors.Is(err, ErrSyntax) || !strings.Contains(err.Error(), "larger than") {
		t.Errorf("ParseFile(%d bytes) error = %v, want ErrSyntax saying larger than", len(huge), err)
	}
}
