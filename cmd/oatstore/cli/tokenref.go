package cli

import (
	"fmt"
	"strings"

	"github.com/oatgate/oatgate/cmd/oatstore/store"
)

// tokenIDPrefix and tokenIDLen describe the ids oatstore issues: "tok_"
// and 26 characters of lowercase base32.
const (
	tokenIDPrefix = "tok_"
	tokenIDLen    = len(tokenIDPrefix) + 26
)

// looksLikeTokenID reports whether ref has the shape of a token id. Labels
// are unique in an org but free-form, so anything else is a label.
func looksLikeTokenID(ref string) bool {
	if len(ref) != tokenIDLen || !strings.HasPrefix(ref, tokenIDPrefix) {
		return false
	}
	for _, c := range ref[len(tokenIDPrefix):] {
		if !(c >= 'a' && c <= 'z' || c >= '2' && c <= '7') {
			return false
		}
	}
	return true
}

// resolveToken returns the id a command line names: an id as it is, a
// label by listing the org's tokens (labels are unique in an org, so at
// most one matches). The API addresses tokens by id only.
func resolveToken(c *client, org, base, ref string) (string, error) {
	if looksLikeTokenID(ref) {
		return ref, nil
	}
	var page struct{ Tokens []store.Token }
	if _, err := c.call("GET", base, nil, &page); err != nil {
		return "", fmt.Errorf("looking up the token labelled %q: %w", ref, err)
	}
	for _, t := range page.Tokens {
		if t.Label == ref {
			return t.ID, nil
		}
	}
	return "", fmt.Errorf("org %q has no token labelled %q (ids look like tok_ and 26 letters and digits); `oatstore token list --org %s` shows them", org, ref, org)
}
