package cli

import (
	"flag"
	"regexp"
	"strings"
)

// The API's messages name its JSON fields (expires_in, max_expiry_days);
// someone at the command line knows flags. flagNames rewrites the first
// into the second, so an error says what to type.

// apiField matches a snake_case identifier, the shape of every API field
// with more than one word.
var apiField = regexp.MustCompile(`\b[a-z]+(?:_[a-z]+)+\b`)

// fieldFlags maps API fields to the flag that sets them where the names
// differ beyond snake_case versus kebab-case.
var fieldFlags = map[string]string{
	"expires_in":  "expires",
	"expires_at":  "expires",
	"next_cursor": "cursor",
}

// otherCommands says which command has a flag the current one lacks, for
// messages about org settings that a token command runs into.
var otherCommands = map[string]string{
	"max-tokens":           "org set",
	"max-expiry-days":      "org set",
	"allow-never-expires":  "org set",
	"default-expiry-days":  "org set",
	"max-federated-tokens": "org set",
}

// repeatedExpires collapses what "give expires_in (at most 90d) or
// expires_at" becomes once both fields are one flag.
var repeatedExpires = regexp.MustCompile(`--expires( \([^)]*\))? or --expires`)

// flagNames rewrites the API field names in msg into the flags of fs (or
// of the command that has them).
func flagNames(msg string, fs *flag.FlagSet) string {
	msg = apiField.ReplaceAllStringFunc(msg, func(field string) string {
		name, ok := fieldFlags[field]
		if !ok {
			name = strings.ReplaceAll(field, "_", "-")
		}
		if fs != nil && fs.Lookup(name) != nil {
			return "--" + name
		}
		if cmd, ok := otherCommands[name]; ok {
			return "oatstore " + cmd + " --" + name
		}
		return field
	})
	return repeatedExpires.ReplaceAllString(msg, "--expires$1")
}
