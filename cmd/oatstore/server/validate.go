package server

import (
	"fmt"
	"net/http"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/oatgate/oatgate/caddymodule/scope"
)

const (
	// maxLabel bounds a token label; labels show up in every usage event.
	maxLabel = 64
	// maxDescription bounds a token description (DESIGN.md: 200 characters).
	maxDescription = 200
	// tokenIDPrefix starts every token id. It differs from the secret's
	// "oat_" so that a secret scanner never flags an id.
	tokenIDPrefix = "tok_"
)

// orgParam returns the {org} path value, or answers 400 and returns "".
func orgParam(w http.ResponseWriter, r *http.Request) string {
	org := r.PathValue("org")
	if !scope.ValidOrg(org) {
		badRequest(w, "invalid org name %q: want a lowercase repository path component (a-z, 0-9, separators . _ -)", org)
		return ""
	}
	return org
}

// validTokenID reports whether id could be one we issued; anything else is
// a 404 without a database round trip.
func validTokenID(id string) bool {
	if len(id) != len(tokenIDPrefix)+26 || !strings.HasPrefix(id, tokenIDPrefix) {
		return false
	}
	for _, c := range id[len(tokenIDPrefix):] {
		if !(c >= 'a' && c <= 'z' || c >= '2' && c <= '7') {
			return false
		}
	}
	return true
}

func checkLabel(label string) error {
	switch {
	case label == "":
		return fmt.Errorf("label is required")
	case !utf8.ValidString(label):
		return fmt.Errorf("label is not valid UTF-8")
	case utf8.RuneCountInString(label) > maxLabel:
		return fmt.Errorf("label is longer than %d characters", maxLabel)
	case strings.TrimSpace(label) != label:
		return fmt.Errorf("label has leading or trailing spaces")
	}
	return plainText("label", label)
}

func checkDescription(d string) error {
	switch {
	case !utf8.ValidString(d):
		return fmt.Errorf("description is not valid UTF-8")
	case utf8.RuneCountInString(d) > maxDescription:
		return fmt.Errorf("description is longer than %d characters", maxDescription)
	}
	return plainText("description", d)
}

// notPlain are the characters a label or description may not hold: they
// make text read differently from what it is, in a terminal, a log or a
// review. Cc are controls (newlines, escapes); Cf are format characters:
// bidi overrides and embeddings (U+202A-202E), isolates (U+2066-2069),
// marks (U+200E, U+200F), zero-width ones and the soft hyphen; Zl and Zp
// are the line and paragraph separators (U+2028, U+2029).
var notPlain = []*unicode.RangeTable{unicode.Cc, unicode.Cf, unicode.Zl, unicode.Zp}

// plainText refuses a control, format or separator character in field,
// naming the field, the character and where it is.
func plainText(field, s string) error {
	for i, r := range []rune(s) {
		if unicode.In(r, notPlain...) {
			return fmt.Errorf("%s contains the control or invisible formatting character %U at character %d; use plain text", field, r, i+1)
		}
	}
	return nil
}

// canonicalScopes validates scopes for org, repository and org scopes
// alike, and returns their canonical strings in the order given;
// scope.ValidateSplit's error names the offending entry.
func canonicalScopes(org string, scopes []string) ([]string, error) {
	if len(scopes) == 0 {
		return nil, fmt.Errorf("at least one scope is required, e.g. \"repository:%s/app:pull\"", org)
	}
	repo, orgScopes, err := scope.ValidateSplit(org, scopes)
	if err != nil {
		return nil, fmt.Errorf("invalid scopes: %w", err)
	}
	out := make([]string, 0, len(scopes))
	for _, s := range scopes {
		if scope.IsOrg(s) {
			out = append(out, orgScopes[0].String())
			orgScopes = orgScopes[1:]
		} else {
			out = append(out, repo[0].String())
			repo = repo[1:]
		}
	}
	return out, nil
}
