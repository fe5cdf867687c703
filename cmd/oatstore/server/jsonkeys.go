package server

import (
	"bytes"
	"encoding/json"
	"fmt"
	"reflect"
	"strings"
)

// checkKeys refuses what encoding/json accepts silently and a reviewer of
// the body would read otherwise: a key given twice in one object (the last
// one wins) and a key that names a field of v only when case is ignored
// ("SCOPES" fills scopes). It reads the body token by token, so a key
// spelled with escapes ("l\u0061bel") counts as what it decodes to.
//
// A body that is not JSON is left to the decoder, whose errors say where
// it breaks; checkKeys returns nil for it.
func checkKeys(body []byte, v any) error {
	fields := jsonFields(v)
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	// stack holds one entry per open object or array: the keys seen so far
	// for an object, nil for an array.
	var stack []map[string]bool
	// key is true when the next token of the innermost object is a key.
	key := false
	for {
		tok, err := dec.Token()
		if err != nil {
			return nil // the end, or a syntax error the decoder reports
		}
		if key {
			if tok == json.Delim('}') {
				stack = stack[:len(stack)-1]
				key = len(stack) > 0 && stack[len(stack)-1] != nil
				continue
			}
			name, _ := tok.(string)
			seen := stack[len(stack)-1]
			if seen[name] {
				return fmt.Errorf("key %q appears twice; give each field once", name)
			}
			seen[name] = true
			if len(stack) == 1 {
				if err := exactField(name, fields); err != nil {
					return err
				}
			}
			key = false
			continue
		}
		switch tok {
		case json.Delim('{'):
			stack = append(stack, map[string]bool{})
			key = true
		case json.Delim('['):
			stack = append(stack, nil)
		case json.Delim(']'):
			stack = stack[:len(stack)-1]
			key = len(stack) > 0 && stack[len(stack)-1] != nil
		default:
			// A scalar value: back to a key when inside an object.
			key = len(stack) > 0 && stack[len(stack)-1] != nil
		}
	}
}

// exactField refuses a top-level key that matches one of fields only when
// case is ignored. Keys that match none are the decoder's to refuse as
// unknown.
func exactField(name string, fields []string) error {
	for _, f := range fields {
		if f == name {
			return nil
		}
	}
	for _, f := range fields {
		if strings.EqualFold(f, name) {
			return fmt.Errorf("key %q: field names are lowercase, write %q", name, f)
		}
	}
	return nil
}

// jsonFields lists the JSON names of the fields of the struct v points to,
// embedded structs' fields included.
func jsonFields(v any) []string {
	t := reflect.TypeOf(v)
	for t != nil && t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if t == nil || t.Kind() != reflect.Struct {
		return nil
	}
	var out []string
	for _, f := range reflect.VisibleFields(t) {
		if !f.IsExported() || f.Anonymous {
			continue
		}
		name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
		switch name {
		case "-":
			continue
		case "":
			name = f.Name
		}
		out = append(out, name)
	}
	return out
}
