package conformance

import (
	"bufio"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"sort"
	"strings"
)

// writeLeaves are the suite's steps that push, mount, cancel or delete:
// with a pull-only token none of them may pass.
var writeLeaves = map[string]bool{
	"blob-post-put": true, "blob-post-only": true, "blob-patch-chunked": true, "blob-patch-stream": true,
	"blob-mount": true, "blob-mount-anonymous": true, "blob-post-cancel": true, "blob-delete": true,
	"manifest-put": true, "manifest-delete": true, "tag-delete": true,
}

// refusalExpected are write steps that pass when the registry refuses the
// write (the suite checks that an invalid digest is not accepted), so a
// denial passes them too.
var refusalExpected = map[string]bool{
	"OCI Conformance Test/invalid-digest-format/manifest-put": true,
}

// isWriteStep reports whether a test name is a step that changes the
// registry. Manifest steps are writes only under a "push" parent: the same
// leaf names are used for reads under "pull".
func isWriteStep(name string) bool {
	if refusalExpected[name] {
		return false
	}
	parts := strings.Split(name, "/")
	leaf := parts[len(parts)-1]
	if writeLeaves[leaf] {
		return true
	}
	if len(parts) >= 2 && parts[len(parts)-2] == "push" {
		return strings.HasPrefix(leaf, "manifest-")
	}
	return false
}

// passedWrites lists, sorted, the write steps that passed in r.
func passedWrites(r *report) []string {
	var out []string
	for name, verdicts := range r.tests {
		if isWriteStep(name) && verdicts[verdictPassed] > 0 {
			out = append(out, name)
		}
	}
	sort.Strings(out)
	return out
}

// writeCount counts the write steps in r.
func writeCount(r *report) int {
	n := 0
	for name, verdicts := range r.tests {
		if isWriteStep(name) {
			n += total(verdicts)
		}
	}
	return n
}

// usageLine is the part of a usage event these checks read.
type usageLine struct {
	TokenID  string `json:"token_id"`
	Method   string `json:"method"`
	Path     string `json:"path"`
	Status   int    `json:"status"`
	Decision string `json:"decision"`
	Reason   string `json:"reason"`
}

func isWriteMethod(m string) bool {
	switch m {
	case http.MethodPost, http.MethodPut, http.MethodPatch, http.MethodDelete:
		return true
	}
	return false
}

// tokenWrites reads the usage log and returns the write requests made with
// tokenID, and those of them not answered 403.
func tokenWrites(path, tokenID string) (writes int, notDenied []string, err error) {
	f, err := os.Open(path)
	if err != nil {
		return 0, nil, err
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 0, 64<<10), 1<<20)
	for sc.Scan() {
		var ev usageLine
		if err := json.Unmarshal(sc.Bytes(), &ev); err != nil {
			return 0, nil, fmt.Errorf("usage log line %q: %w", sc.Text(), err)
		}
		if ev.TokenID != tokenID || !isWriteMethod(ev.Method) {
			continue
		}
		writes++
		if ev.Status != http.StatusForbidden || ev.Decision != "deny" {
			notDenied = append(notDenied, fmt.Sprintf("%s %s: %d %s %s", ev.Method, ev.Path, ev.Status, ev.Decision, ev.Reason))
		}
	}
	return writes, notDenied, sc.Err()
}
