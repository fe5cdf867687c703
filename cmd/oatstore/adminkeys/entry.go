// Package adminkeys holds oatstore's named admin keys: who may manage every
// org. Each key has a name, so that the audit log records "admin:alice"
// rather than whatever a client claims to be. Keys come from three places,
// merged into one Ring:
//
//	OATSTORE_ADMIN_KEYS="alice=<key>,bootstrap=<key>"   ParseList
//	--admin-keys-file ./admin-keys (name=key per line)  ReadFile
//	OATSTORE_ADMIN_KEY=<key>                            Single, named "admin"
//
// No error message ever contains a key, nor text that might be one (a
// malformed name may be a key pasted in the wrong place), so that errors
// can be logged and shown as they are.
package adminkeys

import (
	"errors"
	"fmt"
	"strings"
)

const (
	// MinKeyLen is the shortest key accepted, in bytes: 32 random bytes
	// hex-encoded are 64, base64 are 44; anything shorter is guessable
	// or a mistake.
	MinKeyLen = 32
	// MaxKeyLen bounds a key: it travels in an HTTP header.
	MaxKeyLen = 1024
	// MaxNameLen bounds a key name: it is part of every audit actor.
	MaxNameLen = 32
	// DefaultName names the key given as OATSTORE_ADMIN_KEY.
	DefaultName = "admin"
	// tokenPrefix starts every organization access token. A key may not
	// start with it: oatstore tells management tokens from admin keys by
	// this prefix.
	tokenPrefix = "oat_"
)

var (
	// ErrName reports a key name outside the grammar.
	ErrName = errors.New("invalid admin key name")
	// ErrKey reports a key that is too short, too long, or holds
	// characters that cannot travel in an Authorization header.
	ErrKey = errors.New("invalid admin key")
	// ErrDuplicate reports two keys with one name, or one key under two
	// names.
	ErrDuplicate = errors.New("duplicate admin key")
	// ErrSyntax reports an entry that is not name=key.
	ErrSyntax = errors.New("invalid admin key entry")
	// ErrFileMode reports a keys file that others than its owner may read
	// or write.
	ErrFileMode = errors.New("admin keys file is not private")
	// ErrNone reports that no source configured any key.
	ErrNone = errors.New("no admin key configured")
)

// nameRule says what a name may be, for error messages.
const nameRule = "want 1 to 32 characters of a-z, 0-9, '.', '_' or '-', starting with a letter or digit"

// Entry is one named key as read from a source, before it joins a Ring.
// It prints as "name=***" through every fmt verb, so a slice of entries can
// be logged safely.
type Entry struct {
	name string
	key  string
}

// NewEntry checks name and key and returns them as an Entry.
func NewEntry(name, key string) (Entry, error) {
	if err := checkName(name); err != nil {
		return Entry{}, err
	}
	if err := checkKey(key); err != nil {
		return Entry{}, fmt.Errorf("key %q: %w", name, err)
	}
	return Entry{name: name, key: key}, nil
}

// Name returns the key's name.
func (e Entry) Name() string { return e.name }

// String returns "name=***", never the key.
func (e Entry) String() string { return e.name + "=***" }

// GoString returns "name=***", never the key, so %#v is safe too.
func (e Entry) GoString() string { return e.String() }

// Format prints "name=***" for every verb.
func (e Entry) Format(f fmt.State, _ rune) { _, _ = f.Write([]byte(e.String())) }

// checkName reports whether name follows the grammar. The error never
// quotes the name: an entry written "<key>=<name>" would otherwise print the
// key.
func checkName(name string) error {
	if name == "" || len(name) > MaxNameLen || !isAlnum(name[0]) {
		return fmt.Errorf("%w: %s", ErrName, nameRule)
	}
	for i := 1; i < len(name); i++ {
		if c := name[i]; !isAlnum(c) && c != '.' && c != '_' && c != '-' {
			return fmt.Errorf("%w: %s", ErrName, nameRule)
		}
	}
	return nil
}

func isAlnum(c byte) bool { return 'a' <= c && c <= 'z' || '0' <= c && c <= '9' }

// checkKey reports whether key is long enough and made of visible ASCII
// other than a comma, without quoting it.
func checkKey(key string) error {
	switch {
	case len(key) < MinKeyLen:
		return fmt.Errorf("%w: %d bytes, at least %d are required; generate one with: openssl rand -hex 32", ErrKey, len(key), MinKeyLen)
	case len(key) > MaxKeyLen:
		return fmt.Errorf("%w: longer than %d bytes", ErrKey, MaxKeyLen)
	case strings.HasPrefix(key, tokenPrefix):
		return fmt.Errorf("%w: starts with %q, which marks organization access tokens; generate one with: openssl rand -hex 32", ErrKey, tokenPrefix)
	}
	for i := 0; i < len(key); i++ {
		switch c := key[i]; {
		case c < 0x21 || c > 0x7e:
			return fmt.Errorf("%w: byte %d is a space, control or non-ASCII character; keys are visible ASCII", ErrKey, i+1)
		case c == ',':
			// OATSTORE_ADMIN_KEYS separates entries with commas; one
			// rule for every source keeps a key movable between them.
			return fmt.Errorf("%w: byte %d is a comma, which separates entries in OATSTORE_ADMIN_KEYS", ErrKey, i+1)
		}
	}
	return nil
}
