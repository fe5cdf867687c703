package examples

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

var (
	// markdownLink is a link's target: [text](target).
	markdownLink = regexp.MustCompile(`\]\(([^)\s]+)\)`)
	// codePath is a path in backticks that names a Markdown file.
	codePath = regexp.MustCompile("`([^`\\s]+\\.md)`")
)

// TestDocumentsPointOnlyIntoTheRepository checks that every relative link
// and every Markdown file named in backticks, in the README and examples/,
// exists inside the repository: a reader of a clone cannot follow a
// pointer to a file that is not in it.
func TestDocumentsPointOnlyIntoTheRepository(t *testing.T) {
	root, err := filepath.Abs(filepath.Join("..", ".."))
	if err != nil {
		t.Fatal(err)
	}
	for _, file := range markdownFiles(t) {
		doc, err := os.ReadFile(file)
		if err != nil {
			t.Fatal(err)
		}
		var targets []string
		for _, m := range markdownLink.FindAllStringSubmatch(string(doc), -1) {
			targets = append(targets, m[1])
		}
		for _, m := range codePath.FindAllStringSubmatch(string(doc), -1) {
			targets = append(targets, m[1])
		}
		for _, target := range targets {
			if strings.Contains(target, "://") || strings.HasPrefix(target, "#") || strings.HasPrefix(target, "mailto:") {
				continue
			}
			path, _, _ := strings.Cut(target, "#")
			abs, err := filepath.Abs(filepath.Join(filepath.Dir(file), path))
			if err != nil {
				t.Fatal(err)
			}
			rel, err := filepath.Rel(root, abs)
			if err != nil || rel == ".." || strings.HasPrefix(rel, ".."+string(filepath.Separator)) {
				t.Errorf("%s points to %s, outside the repository", file, target)
				continue
			}
			if _, err := os.Stat(abs); err != nil {
				t.Errorf("%s points to %s, which does not exist in the repository", file, target)
			}
		}
	}
}
