package oat

// alphabet is base62 in ASCII order, so that comparing two fixed-width
// encodings as strings compares the numbers they encode.
const alphabet = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"

// notDigit marks bytes outside the alphabet in digitOf.
const notDigit = 0xff

// digitOf maps each byte to its base62 value, or notDigit: one table lookup
// per character keeps Check fast.
var digitOf = func() (t [256]byte) {
	for i := range t {
		t[i] = notDigit
	}
	for i := 0; i < len(alphabet); i++ {
		t[alphabet[i]] = byte(i)
	}
	return t
}()

// encodeSecret writes the 32-byte number b, big-endian, as exactly
// secretLen base62 digits, most significant first, left-padded with '0'.
func encodeSecret(b [secretBytes]byte) [secretLen]byte {
	var out [secretLen]byte
	for i := secretLen - 1; i >= 0; i-- {
		// Long division of b by 62; the remainder is the next digit.
		var rem uint
		for j := range b {
			cur := rem<<8 | uint(b[j])
			b[j] = byte(cur / 62)
			rem = cur % 62
		}
		out[i] = alphabet[rem]
	}
	return out
}

// encodeChecksum writes c as exactly checksumLen base62 digits.
func encodeChecksum(c uint32) [checksumLen]byte {
	var out [checksumLen]byte
	for i := checksumLen - 1; i >= 0; i-- {
		out[i] = alphabet[c%62]
		c /= 62
	}
	return out
}
