package registryreq

// Byte classes of the path grammars, as one table so that every validator's
// inner loop is a load and a test; these loops run over every byte of every
// request.
const (
	clsLowerAlnum uint8 = 1 << iota // [a-z0-9]: name components
	clsWord                         // [A-Za-z0-9_]: \w, tags
	clsSession                      // [a-zA-Z0-9-_.=]: upload session ids
	clsHex                          // [0-9a-f]: digest encodings
	clsPath                         // any byte a route can hold
)

var byteClass = func() (t [256]uint8) {
	for c := range 256 {
		lowerAlnum := 'a' <= c && c <= 'z' || '0' <= c && c <= '9'
		alnum := lowerAlnum || 'A' <= c && c <= 'Z'
		if lowerAlnum {
			t[c] |= clsLowerAlnum
		}
		if alnum || c == '_' {
			t[c] |= clsWord
		}
		if alnum || c == '-' || c == '_' || c == '.' || c == '=' {
			t[c] |= clsSession
		}
		if '0' <= c && c <= '9' || 'a' <= c && c <= 'f' {
			t[c] |= clsHex
		}
		if alnum || c == '/' || c == '.' || c == '_' || c == '-' || c == ':' || c == '+' || c == '=' {
			t[c] |= clsPath
		}
	}
	return t
}()

// all reports whether every byte of s is in class cls.
func all(s string, cls uint8) bool {
	for i := 0; i < len(s); i++ {
		if byteClass[s[i]]&cls == 0 {
			return false
		}
	}
	return true
}
