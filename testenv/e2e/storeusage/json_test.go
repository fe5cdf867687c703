package storeusage

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
)

// jsonBody decodes a 200 answer's JSON body into v.
func jsonBody(res *http.Response, v any) error {
	b, err := io.ReadAll(res.Body)
	if err != nil {
		return err
	}
	if res.StatusCode != http.StatusOK {
		return fmt.Errorf("status %d: %s", res.StatusCode, b)
	}
	return json.Unmarshal(b, v)
}
