package report

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"errors"
	"fmt"
	"io"
)

// MaxLineLen is the longest line read as a possible event; longer lines are
// counted as malformed and skipped. Usage events are far shorter: the
// gateway bounds every client-supplied field.
const MaxLineLen = 64 << 10

// gzipMagic starts every gzip stream, so rotated files are recognized by
// content, whatever their name.
var gzipMagic = []byte{0x1f, 0x8b}

// Read adds every line of in, which may be gzip-compressed (as Caddy's log
// rotation leaves older files). name says where in comes from in errors.
// Lines that are not usage events are counted, not errors; an error is an
// unreadable stream, and what was read before it stays counted.
func (rep *Report) Read(name string, in io.Reader) error {
	br := bufio.NewReaderSize(in, MaxLineLen)
	if magic, _ := br.Peek(len(gzipMagic)); bytes.Equal(magic, gzipMagic) {
		zr, err := gzip.NewReader(br)
		if err != nil {
			return fmt.Errorf("reading %s: %w", name, err)
		}
		defer zr.Close()
		br = bufio.NewReaderSize(zr, MaxLineLen)
	}
	var r Record
	for {
		line, err := br.ReadSlice('\n')
		if errors.Is(err, bufio.ErrBufferFull) {
			rep.counts.Lines++
			rep.counts.Malformed++
			if err := skipLine(br); err != nil {
				return readErr(name, err)
			}
			continue
		}
		if len(bytes.TrimSpace(line)) > 0 {
			rep.AddLine(line, &r)
		}
		if err != nil {
			return readErr(name, err)
		}
	}
}

// skipLine discards the rest of an overlong line.
func skipLine(br *bufio.Reader) error {
	for {
		_, err := br.ReadSlice('\n')
		if !errors.Is(err, bufio.ErrBufferFull) {
			return err
		}
	}
}

func readErr(name string, err error) error {
	if err == io.EOF {
		return nil
	}
	return fmt.Errorf("reading %s: %w", name, err)
}
