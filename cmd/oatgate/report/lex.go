package report

import (
	"unicode"
	"unicode/utf16"
	"unicode/utf8"
)

// The JSON lexer of the fast scanner. Each function validates exactly as
// encoding/json's scanner does, and answers -1 (or false) for anything it
// does not accept, so that the line falls back to encoding/json.

// maxSkipDepth bounds the nesting of the values skipped for unknown keys;
// deeper lines fall back (encoding/json itself stops at 10,000).
const maxSkipDepth = 32

// Byte classes inside a JSON string.
const (
	plainByte uint8 = iota
	quoteByte
	escapeByte
	controlByte
	highByte // the start or part of a multi-byte UTF-8 sequence
)

// stringClass classifies every byte for the string loop.
var stringClass = func() (c [256]uint8) {
	for b := range 0x20 {
		c[b] = controlByte
	}
	c['"'] = quoteByte
	c['\\'] = escapeByte
	for b := 0x80; b < 0x100; b++ {
		c[b] = highByte
	}
	return c
}()

// skipWS returns the index of the first byte at or after i that is not
// JSON whitespace.
func skipWS(b []byte, i int) int {
	// zap writes none: one comparison settles most calls.
	for i < len(b) && b[i] <= ' ' && (b[i] == ' ' || b[i] == '\t' || b[i] == '\n' || b[i] == '\r') {
		i++
	}
	return i
}

// scanString reads a string whose opening quote is at i-1. It returns the
// index of the closing quote, or -1 if the string is not valid JSON, and
// whether the string is plain: ASCII without escapes, so that its bytes are
// its value.
func scanString(b []byte, i int) (end int, plain bool) {
	plain = true
	for i < len(b) {
		// Most bytes are plain: a tight loop over them before the switch.
		for i < len(b) && stringClass[b[i]] == plainByte {
			i++
		}
		if i == len(b) {
			break
		}
		switch stringClass[b[i]] {
		case quoteByte:
			return i, plain
		case highByte:
			plain = false
			i++
		case escapeByte:
			plain = false
			if i+1 >= len(b) {
				return -1, false
			}
			switch b[i+1] {
			case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
				i += 2
			case 'u':
				if hex4(b, i+2) < 0 {
					return -1, false
				}
				i += 6
			default:
				return -1, false
			}
		default: // a control character
			return -1, false
		}
	}
	return -1, false
}

// hex4 reads the four hex digits at b[i:], or returns -1.
func hex4(b []byte, i int) rune {
	if i+4 > len(b) {
		return -1
	}
	var r rune
	for _, c := range b[i : i+4] {
		switch {
		case '0' <= c && c <= '9':
			c -= '0'
		case 'a' <= c && c <= 'f':
			c -= 'a' - 10
		case 'A' <= c && c <= 'F':
			c -= 'A' - 10
		default:
			return -1
		}
		r = r<<4 | rune(c)
	}
	return r
}

// appendUnquoted appends the value of s, the inside of a string scanString
// accepted, to dst as encoding/json decodes it: invalid UTF-8 bytes and
// unpaired surrogates become U+FFFD.
func appendUnquoted(dst, s []byte) []byte {
	for i := 0; i < len(s); {
		c := s[i]
		switch {
		case c == '\\':
			switch e := s[i+1]; e {
			case 'b':
				dst = append(dst, '\b')
			case 'f':
				dst = append(dst, '\f')
			case 'n':
				dst = append(dst, '\n')
			case 'r':
				dst = append(dst, '\r')
			case 't':
				dst = append(dst, '\t')
			case 'u':
				r := hex4(s, i+2)
				i += 6
				if utf16.IsSurrogate(r) {
					// The pair's second half must follow as an escape.
					var r2 rune = -1
					if i+1 < len(s) && s[i] == '\\' && s[i+1] == 'u' {
						r2 = hex4(s, i+2)
					}
					if dec := utf16.DecodeRune(r, r2); dec != unicode.ReplacementChar {
						dst = utf8.AppendRune(dst, dec)
						i += 6
						continue
					}
					r = unicode.ReplacementChar
				}
				dst = utf8.AppendRune(dst, r)
				continue
			default: // '"', '\\' and '/' stand for themselves
				dst = append(dst, e)
			}
			i += 2
		case c < utf8.RuneSelf:
			dst = append(dst, c)
			i++
		default:
			r, size := utf8.DecodeRune(s[i:])
			if r == utf8.RuneError && size == 1 {
				dst = utf8.AppendRune(dst, unicode.ReplacementChar)
			} else {
				dst = append(dst, s[i:i+size]...)
			}
			i += size
		}
	}
	return dst
}

// scanNumber reads a JSON number starting at i and returns the index after
// it, or -1.
func scanNumber(b []byte, i int) int {
	if i < len(b) && b[i] == '-' {
		i++
	}
	switch {
	case i >= len(b):
		return -1
	case b[i] == '0':
		i++
	case '1' <= b[i] && b[i] <= '9':
		i = skipDigits(b, i+1)
	default:
		return -1
	}
	if i < len(b) && b[i] == '.' {
		j := skipDigits(b, i+1)
		if j == i+1 {
			return -1
		}
		i = j
	}
	if i < len(b) && (b[i] == 'e' || b[i] == 'E') {
		i++
		if i < len(b) && (b[i] == '+' || b[i] == '-') {
			i++
		}
		j := skipDigits(b, i)
		if j == i {
			return -1
		}
		i = j
	}
	return i
}

func skipDigits(b []byte, i int) int {
	for i < len(b) && '0' <= b[i] && b[i] <= '9' {
		i++
	}
	return i
}

// scanLiteral reads lit (true, false or null) at i and returns the index
// after it, or -1.
func scanLiteral(b []byte, i int, lit string) int {
	if len(b)-i < len(lit) || string(b[i:i+len(lit)]) != lit {
		return -1
	}
	return i + len(lit)
}

// skipValue validates the value at i, of any type, and returns the index
// after it, or -1. depth is how many arrays and objects enclose it.
func skipValue(b []byte, i, depth int) int {
	if i >= len(b) {
		return -1
	}
	switch b[i] {
	case '"':
		end, _ := scanString(b, i+1)
		if end < 0 {
			return -1
		}
		return end + 1
	case '{':
		return skipContainer(b, i, depth, '}')
	case '[':
		return skipContainer(b, i, depth, ']')
	case 't':
		return scanLiteral(b, i, "true")
	case 'f':
		return scanLiteral(b, i, "false")
	case 'n':
		return scanLiteral(b, i, "null")
	}
	return scanNumber(b, i)
}

// skipContainer validates the object or array opening at i, which closes
// with the byte end.
func skipContainer(b []byte, i, depth int, end byte) int {
	if depth >= maxSkipDepth {
		return -1
	}
	i = skipWS(b, i+1)
	if i < len(b) && b[i] == end {
		return i + 1
	}
	for {
		if end == '}' {
			if i >= len(b) || b[i] != '"' {
				return -1
			}
			if i = skipValue(b, i, depth+1); i < 0 {
				return -1
			}
			if i = skipWS(b, i); i >= len(b) || b[i] != ':' {
				return -1
			}
			i = skipWS(b, i+1)
		}
		if i = skipValue(b, i, depth+1); i < 0 {
			return -1
		}
		switch i = skipWS(b, i); {
		case i >= len(b):
			return -1
		case b[i] == end:
			return i + 1
		case b[i] != ',':
			return -1
		}
		i = skipWS(b, i+1)
	}
}
