package report

import "github.com/oatgate/oatgate/caddymodule/usage"

// internLimit bounds an interner, so that its memory does not grow with
// the events read: past it, the table starts over. Most values repeat
// (orgs, tokens, repositories, client addresses, manifest and blob paths);
// one that does not (an upload's path) costs an allocation, as it would
// without a table.
const internLimit = 1 << 16

// interner turns the byte strings the scanner reads into strings, making
// each distinct value once: looking up a map with string(b) does not
// allocate.
type interner struct {
	m map[string]string
}

// str returns b as a string. A nil interner makes a new string.
func (in *interner) str(b []byte) string {
	if in == nil || len(b) == 0 {
		return string(b)
	}
	if s, ok := constant(b); ok {
		return s
	}
	if s, ok := in.m[string(b)]; ok {
		return s
	}
	if in.m == nil || len(in.m) >= internLimit {
		in.m = make(map[string]string)
	}
	s := string(b)
	in.m[s] = s
	return s
}

// constant returns the constant equal to b among the values most events
// hold, which a switch finds faster than a map.
func constant(b []byte) (string, bool) {
	switch string(b) {
	case usage.Allow:
		return usage.Allow, true
	case usage.Deny:
		return usage.Deny, true
	case usage.EventPull:
		return usage.EventPull, true
	case usage.EventPush:
		return usage.EventPush, true
	case usage.EventLogin:
		return usage.EventLogin, true
	case "GET":
		return "GET", true
	case "HEAD":
		return "HEAD", true
	case "PUT":
		return "PUT", true
	case "POST":
		return "POST", true
	case "PATCH":
		return "PATCH", true
	}
	return "", false
}
