package caddymodule

import (
	"bytes"
	"encoding/json"
	"fmt"
)

// StoreURLs is the `store` option: the base URL of the token store, or of
// several oatstore replicas sharing one database. In JSON one URL is a
// string, as it always was, and several are an array; Caddyfile's
// `store <url>...` adapts to the same.
type StoreURLs []string

// MarshalJSON writes one URL as a string, several as an array.
func (s StoreURLs) MarshalJSON() ([]byte, error) {
	if len(s) == 1 {
		return json.Marshal(s[0])
	}
	return json.Marshal([]string(s))
}

// UnmarshalJSON reads a string or an array of strings.
func (s *StoreURLs) UnmarshalJSON(b []byte) error {
	b = bytes.TrimSpace(b)
	switch {
	case bytes.Equal(b, []byte("null")):
		*s = nil
		return nil
	case len(b) > 0 && b[0] == '"':
		var one string
		if err := json.Unmarshal(b, &one); err != nil {
			return fmt.Errorf("store: %w", err)
		}
		*s = StoreURLs{one}
		return nil
	}
	var many []string
	if err := json.Unmarshal(b, &many); err != nil {
		return fmt.Errorf("store: want a URL or an array of URLs: %w", err)
	}
	*s = many
	return nil
}
