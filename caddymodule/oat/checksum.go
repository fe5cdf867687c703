package oat

import "hash/crc32"

// slicing8 holds the tables for slicing-by-8 CRC32 (IEEE), the algorithm
// hash/crc32 uses for short inputs. It is rebuilt here because
// crc32.ChecksumIEEE takes a []byte, and converting the token string would
// allocate on the hot path.
var slicing8 = func() (t [8][256]uint32) {
	t[0] = *crc32.IEEETable
	for i := range 256 {
		crc := t[0][i]
		for k := 1; k < 8; k++ {
			crc = t[0][crc&0xff] ^ crc>>8
			t[k][i] = crc
		}
	}
	return t
}()

// checksum is the CRC32 (IEEE) of s, equal to crc32.ChecksumIEEE([]byte(s)).
func checksum(s string) uint32 {
	t := &slicing8
	crc := ^uint32(0)
	for len(s) >= 8 {
		crc ^= uint32(s[0]) | uint32(s[1])<<8 | uint32(s[2])<<16 | uint32(s[3])<<24
		crc = t[0][s[7]] ^ t[1][s[6]] ^ t[2][s[5]] ^ t[3][s[4]] ^
			t[4][crc>>24] ^ t[5][crc>>16&0xff] ^ t[6][crc>>8&0xff] ^ t[7][crc&0xff]
		s = s[8:]
	}
	for i := 0; i < len(s); i++ {
		crc = t[0][byte(crc)^s[i]] ^ crc>>8
	}
	return ^crc
}
