package adminkeys

import (
	"crypto/sha256"
	"crypto/subtle"
	"fmt"
	"strings"
)

// Ring is the set of admin keys oatstore accepts, each with its name. It
// keeps only the SHA-256 of each key, so that comparisons run over equal
// lengths and the process never holds a key it does not need. It is
// immutable and safe for concurrent use.
type Ring struct {
	names   []string
	digests [][sha256.Size]byte
}

// Sources are the places admin keys come from. Any may be empty; together
// they must give at least one key.
type Sources struct {
	// List is OATSTORE_ADMIN_KEYS: "name=key,name=key".
	List string
	// File is the --admin-keys-file path.
	File string
	// Single is OATSTORE_ADMIN_KEY, the key named "admin".
	Single string
}

// Load reads every source and returns their keys as one Ring, refusing
// duplicate names or keys across sources.
func Load(src Sources) (*Ring, error) {
	var all []Entry
	list, err := ParseList(src.List)
	if err != nil {
		return nil, err
	}
	all = append(all, list...)
	if src.File != "" {
		file, err := ReadFile(src.File)
		if err != nil {
			return nil, err
		}
		all = append(all, file...)
	}
	single, err := Single(src.Single)
	if err != nil {
		return nil, err
	}
	all = append(all, single...)
	if len(all) == 0 {
		return nil, fmt.Errorf("%w: set OATSTORE_ADMIN_KEYS=\"alice=$(openssl rand -hex 32)\", OATSTORE_ADMIN_KEY or --admin-keys-file", ErrNone)
	}
	return New(all...)
}

// New returns a Ring of entries. Two entries with one name, or one key
// under two names, are refused: either is a copy-and-paste mistake, and
// the second would make the audit name ambiguous.
func New(entries ...Entry) (*Ring, error) {
	r := &Ring{
		names:   make([]string, 0, len(entries)),
		digests: make([][sha256.Size]byte, 0, len(entries)),
	}
	for _, e := range entries {
		if e.name == "" {
			return nil, fmt.Errorf("%w: an entry has no name (build entries with NewEntry)", ErrName)
		}
		d := sha256.Sum256([]byte(e.key))
		for i, name := range r.names {
			if name == e.name {
				return nil, fmt.Errorf("%w: the name %q is given twice", ErrDuplicate, e.name)
			}
			if d == r.digests[i] {
				return nil, fmt.Errorf("%w: keys %q and %q are the same key; give each person or job its own", ErrDuplicate, name, e.name)
			}
		}
		r.names = append(r.names, e.name)
		r.digests = append(r.digests, d)
	}
	return r, nil
}

// Lookup returns the name of the key presented, or ok=false. It compares
// the presented key with every key, whichever matches, so its timing says
// neither whether nor which key matched.
func (r *Ring) Lookup(presented string) (name string, ok bool) {
	if r == nil || presented == "" {
		return "", false
	}
	d := sha256.Sum256([]byte(presented))
	match := -1
	for i := range r.digests {
		eq := subtle.ConstantTimeCompare(d[:], r.digests[i][:])
		match = subtle.ConstantTimeSelect(eq, i, match)
	}
	if match < 0 {
		return "", false
	}
	return r.names[match], true
}

// Names returns the key names in the order they were given, for a startup
// log line.
func (r *Ring) Names() []string {
	if r == nil {
		return nil
	}
	return append([]string(nil), r.names...)
}

// Len returns the number of keys.
func (r *Ring) Len() int {
	if r == nil {
		return 0
	}
	return len(r.names)
}

// String returns "admin keys: alice=***, bootstrap=***".
func (r *Ring) String() string {
	if r.Len() == 0 {
		return "admin keys: none"
	}
	return "admin keys: " + strings.Join(r.names, "=***, ") + "=***"
}

// GoString is String, so %#v never prints the digests.
func (r *Ring) GoString() string { return r.String() }

// Format prints String for every verb, so %d or %x cannot reach the
// digests either.
func (r *Ring) Format(f fmt.State, _ rune) { _, _ = f.Write([]byte(r.String())) }
