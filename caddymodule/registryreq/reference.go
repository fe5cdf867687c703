package registryreq

import "strings"

// validTag reports whether s matches the tag grammar [\w][\w.-]{0,127}.
func validTag(s string) bool {
	if s == "" || len(s) > 128 || !isWord(s[0]) {
		return false
	}
	for i := 1; i < len(s); i++ {
		if c := s[i]; !isWord(c) && c != '.' && c != '-' {
			return false
		}
	}
	return true
}

// validDigest reports whether s is a digest the registry can verify:
// algorithm ":" encoded, where the algorithm is one go-digest supports with
// the hash packages distribution links (sha256, sha384, sha512) and the
// encoded part is that algorithm's length of lowercase hex. Anything else the
// registry would refuse as DIGEST_INVALID anyway; refusing it here keeps odd
// digests out of logs and scopes.
func validDigest(s string) bool {
	alg, enc, ok := strings.Cut(s, ":")
	if !ok {
		return false
	}
	var want int
	switch alg {
	case "sha256":
		want = 64
	case "sha384":
		want = 96
	case "sha512":
		want = 128
	default:
		return false
	}
	if len(enc) != want {
		return false
	}
	for i := 0; i < len(enc); i++ {
		if c := enc[i]; !('0' <= c && c <= '9' || 'a' <= c && c <= 'f') {
			return false
		}
	}
	return true
}

// validSessionID reports whether s matches the router's upload session id
// grammar [a-zA-Z0-9-_.=]+.
func validSessionID(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if c := s[i]; !isAlnum(c) && c != '-' && c != '_' && c != '.' && c != '=' {
			return false
		}
	}
	return true
}

func isAlnum(c byte) bool {
	return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9'
}

func isWord(c byte) bool { return isAlnum(c) || c == '_' }
