package idtoken

import "encoding/json"

// headerAlg returns the "alg" member of a JOSE header, which must be one
// JSON object: what encoding/json would read into a string field named alg,
// without its allocations (Check runs on every request that carries an ID
// token). ok is false for anything but an object with exactly one "alg"
// member whose value is a string; keys or an alg written with escapes or
// outside ASCII are
// refused rather than decoded, as no issuer writes them and a second reading
// of them is how JOSE parsers have disagreed before.
func headerAlg(header []byte) (alg []byte, ok bool) {
	if !json.Valid(header) {
		return nil, false
	}
	s := &scanner{b: header}
	s.space()
	if !s.eat('{') {
		return nil, false
	}
	found := false
	for {
		s.space()
		if s.eat('}') {
			return alg, found
		}
		key, clean := s.str()
		s.space()
		s.eat(':')
		s.space()
		if string(key) == "alg" || !clean {
			if !clean || found || s.peek() != '"' {
				return nil, false
			}
			v, clean := s.str()
			if !clean {
				return nil, false
			}
			alg, found = v, true
		} else {
			s.skipValue()
		}
		s.space()
		s.eat(',')
	}
}

// scanner walks JSON that json.Valid accepted, so it need not report
// syntax errors: it only has to stay in bounds.
type scanner struct {
	b []byte
	i int
}

func (s *scanner) peek() byte {
	if s.i < len(s.b) {
		return s.b[s.i]
	}
	return 0
}

func (s *scanner) eat(c byte) bool {
	if s.peek() == c {
		s.i++
		return true
	}
	return false
}

func (s *scanner) space() {
	for s.i < len(s.b) && (s.b[s.i] == ' ' || s.b[s.i] == '\t' || s.b[s.i] == '\n' || s.b[s.i] == '\r') {
		s.i++
	}
}

// str reads a string at the cursor, returning its raw text (a slice of
// the input); clean is false when it holds an escape or a byte outside
// ASCII (encoding/json would replace invalid UTF-8, a second reading).
func (s *scanner) str() (v []byte, clean bool) {
	if !s.eat('"') {
		return nil, false
	}
	start, clean := s.i, true
	for s.i < len(s.b) && s.b[s.i] != '"' {
		if s.b[s.i] >= 0x80 {
			clean = false
		}
		if s.b[s.i] == '\\' {
			clean = false
			s.i++
		}
		s.i++
	}
	end := min(s.i, len(s.b))
	s.i++
	return s.b[start:end], clean
}

// skipValue moves past one value: a string, or anything up to the comma or
// closing bracket that ends it at its own depth.
func (s *scanner) skipValue() {
	depth := 0
	for s.i < len(s.b) {
		switch c := s.b[s.i]; {
		case c == '"':
			s.str()
			continue
		case c == '{' || c == '[':
			depth++
		case c == '}' || c == ']':
			if depth == 0 {
				return
			}
			depth--
		case c == ',' && depth == 0:
			return
		}
		s.i++
	}
}
