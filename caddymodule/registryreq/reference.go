package registryreq

import "strings"

// validTag reports whether s matches the tag grammar [\w][\w.-]{0,127}.
func validTag(s string) bool {
	if s == "" || len(s) > 128 || byteClass[s[0]]&clsWord == 0 {
		return false
	}
	for i := 1; i < len(s); i++ {
		if c := s[i]; byteClass[c]&clsWord == 0 && c != '.' && c != '-' {
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
	return all(enc, clsHex)
}

// validSessionID reports whether s matches the router's upload session id
// grammar [a-zA-Z0-9-_.=]+.
func validSessionID(s string) bool { return s != "" && all(s, clsSession) }
