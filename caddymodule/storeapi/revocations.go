package storeapi

import (
	"encoding/json"
	"fmt"
)

// RevocationPage is one answer of the revocation feed: the ids of tokens
// changed (revoked, deactivated, narrowed, deleted, ...) after the cursor the
// gateway sent, and the cursor to send next. An empty Cursor is never valid.
type RevocationPage struct {
	// Cursor is where the next poll continues from; opaque to the gateway.
	Cursor string `json:"cursor"`
	// TokenIDs are the tokens changed since the previous cursor; never null
	// on the wire, so that readers need not tell null from empty.
	TokenIDs []string `json:"token_ids"`
}

// ParseRevocationPage reads a revocation feed answer body. It returns an
// error wrapping ErrMalformed when the body is not a page or its cursor is
// empty.
func ParseRevocationPage(body []byte) (RevocationPage, error) {
	var p RevocationPage
	if err := json.Unmarshal(body, &p); err != nil {
		return RevocationPage{}, fmt.Errorf("%w: %w", ErrMalformed, err)
	}
	if p.Cursor == "" {
		return RevocationPage{}, fmt.Errorf("%w: empty cursor", ErrMalformed)
	}
	return p, nil
}
