package adminkeys

import (
	"fmt"
	"io"
	"os"
	"runtime"
	"strings"
)

// maxFileSize bounds a keys file: a thousand keys fit in a tenth of it.
const maxFileSize = 1 << 20

// ParseList reads OATSTORE_ADMIN_KEYS: name=key entries separated by
// commas, with spaces around entries ignored ("alice=<key>, ci=<key>").
// A key may contain "=" (base64 padding): the first "=" ends the name. An
// empty string is no keys; an empty entry (",,", a trailing comma) is an
// error, since it usually means a variable expanded to nothing.
func ParseList(s string) ([]Entry, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return nil, nil
	}
	var entries []Entry
	n := 0
	for raw := range strings.SplitSeq(s, ",") {
		n++
		e, err := parseEntry(strings.TrimSpace(raw))
		if err != nil {
			return nil, fmt.Errorf("OATSTORE_ADMIN_KEYS entry %d: %w", n, err)
		}
		entries = append(entries, e)
	}
	return entries, nil
}

// ParseFile reads a keys file's content: one name=key per line; blank lines
// and lines starting with "#" (after leading spaces) are skipped; spaces
// around a line are ignored. Errors name the line, never its content.
func ParseFile(r io.Reader) ([]Entry, error) {
	data, err := io.ReadAll(io.LimitReader(r, maxFileSize+1))
	if err != nil {
		return nil, fmt.Errorf("reading admin keys: %w", err)
	}
	if len(data) > maxFileSize {
		return nil, fmt.Errorf("%w: larger than %d bytes", ErrSyntax, maxFileSize)
	}
	var entries []Entry
	line := 0
	for text := range strings.SplitSeq(string(data), "\n") {
		line++
		text = strings.TrimSpace(text)
		if text == "" || text[0] == '#' {
			continue
		}
		e, err := parseEntry(text)
		if err != nil {
			return nil, fmt.Errorf("line %d: %w", line, err)
		}
		entries = append(entries, e)
	}
	return entries, nil
}

// ReadFile reads the keys file at path (--admin-keys-file). On Unix the
// file must be a regular file that only its owner may read or write: a key
// file others can read is a shared key.
func ReadFile(path string) ([]Entry, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("opening admin keys file: %w", err)
	}
	defer f.Close()
	// Stat the open file, not the path, so that the mode checked is the
	// mode of the file read.
	info, err := f.Stat()
	if err != nil {
		return nil, fmt.Errorf("checking admin keys file %s: %w", path, err)
	}
	if !info.Mode().IsRegular() {
		return nil, fmt.Errorf("admin keys file %s is not a regular file", path)
	}
	if perm := info.Mode().Perm(); perm&0o077 != 0 && runtime.GOOS != "windows" {
		return nil, fmt.Errorf("%w: %s has mode %04o, so group or others can reach the keys; run: chmod 600 %s", ErrFileMode, path, perm, path)
	}
	entries, err := ParseFile(f)
	if err != nil {
		return nil, fmt.Errorf("admin keys file %s: %w", path, err)
	}
	return entries, nil
}

// Single returns OATSTORE_ADMIN_KEY as the entry named DefaultName, or no
// entry when key is empty. Spaces around the key (a trailing newline from
// $(cat file)) are ignored.
func Single(key string) ([]Entry, error) {
	key = strings.TrimSpace(key)
	if key == "" {
		return nil, nil
	}
	e, err := NewEntry(DefaultName, key)
	if err != nil {
		return nil, fmt.Errorf("OATSTORE_ADMIN_KEY: %w", err)
	}
	return []Entry{e}, nil
}

// parseEntry reads one "name=key".
func parseEntry(s string) (Entry, error) {
	if s == "" {
		return Entry{}, fmt.Errorf("%w: empty; want name=key", ErrSyntax)
	}
	name, key, ok := strings.Cut(s, "=")
	if !ok {
		return Entry{}, fmt.Errorf("%w: no \"=\"; want name=key", ErrSyntax)
	}
	return NewEntry(strings.TrimSpace(name), strings.TrimSpace(key))
}
