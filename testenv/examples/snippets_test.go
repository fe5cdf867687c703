package examples

import (
	"bufio"
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/caddyserver/caddy/v2/caddyconfig"
)

// snippet is one fenced code block of a Markdown file.
type snippet struct {
	file string // the Markdown file
	line int    // the line of the opening fence
	lang string // the fence's info string, lowercased ("" when none)
	body string
}

// fencedBlocks returns the fenced code blocks (```) of a Markdown document.
// An unterminated fence is returned as a block with lang "unterminated".
func fencedBlocks(file string, doc []byte) []snippet {
	var (
		out  []snippet
		cur  *snippet
		body strings.Builder
	)
	sc := bufio.NewScanner(bytes.NewReader(doc))
	for n := 1; sc.Scan(); n++ {
		line := sc.Text()
		trimmed := strings.TrimLeft(line, " ")
		if !strings.HasPrefix(trimmed, "```") {
			if cur != nil {
				body.WriteString(line)
				body.WriteByte('\n')
			}
			continue
		}
		if cur == nil {
			cur = &snippet{file: file, line: n, lang: strings.ToLower(strings.TrimSpace(strings.TrimPrefix(trimmed, "```")))}
			body.Reset()
			continue
		}
		cur.body = body.String()
		out = append(out, *cur)
		cur = nil
	}
	if cur != nil {
		cur.lang, cur.body = "unterminated", body.String()
		out = append(out, *cur)
	}
	return out
}

// markdownFiles are the documents whose Caddyfile snippets must adapt: the
// README and every Markdown file under examples/.
func markdownFiles(t *testing.T) []string {
	t.Helper()
	files := []string{filepath.Join("..", "..", "README.md")}
	err := filepath.WalkDir(examplesDir, func(path string, d os.DirEntry, err error) error {
		if err == nil && !d.IsDir() && strings.HasSuffix(path, ".md") {
			files = append(files, path)
		}
		return err
	})
	if err != nil {
		t.Fatalf("walking %s: %v", examplesDir, err)
	}
	return files
}

// isCaddyfile reports whether a fence's info string says Caddyfile.
func isCaddyfile(lang string) bool {
	return lang == "caddyfile" || lang == "caddy"
}

// TestEveryCaddyfileSnippetAdapts adapts every ```caddyfile block of the
// README and of examples/, with registry_auth registered, so that a
// snippet a reader copies cannot rot. Snippets are whole Caddyfiles (a
// site block around a directive), never fragments: what a reader copies
// is what is tested. The root Caddyfile.example and examples/*/Caddyfile
// are adapted here too.
func TestEveryCaddyfileSnippetAdapts(t *testing.T) {
	setExampleEnv(t, map[string]string{})
	var snippets []snippet
	for _, file := range markdownFiles(t) {
		doc, err := os.ReadFile(file)
		if err != nil {
			t.Fatal(err)
		}
		for _, s := range fencedBlocks(file, doc) {
			if isCaddyfile(s.lang) {
				snippets = append(snippets, s)
			}
		}
	}
	whole, err := filepath.Glob(filepath.Join(examplesDir, "*", "Caddyfile"))
	if err != nil {
		t.Fatal(err)
	}
	for _, file := range append(whole, filepath.Join("..", "..", "Caddyfile.example")) {
		doc, err := os.ReadFile(file)
		if err != nil {
			t.Fatal(err)
		}
		snippets = append(snippets, snippet{file: file, line: 1, lang: "caddyfile", body: string(doc)})
	}
	if len(snippets) < 10 {
		t.Fatalf("found %d Caddyfile snippets; want the README's and every example's (at least 10)", len(snippets))
	}
	adapter := caddyconfig.GetAdapter("caddyfile")
	for _, s := range snippets {
		name := strings.TrimPrefix(filepath.ToSlash(s.file), "../../")
		t.Run(name+" line "+strconv.Itoa(s.line)+" adapts", func(t *testing.T) {
			_, warnings, err := adapter.Adapt([]byte(s.body), map[string]any{"filename": fmt.Sprintf("%s (snippet at line %d)", s.file, s.line)})
			if err != nil {
				t.Fatalf("%s:%d: adapting the snippet: %v\n%s", s.file, s.line, err, s.body)
			}
			for _, w := range warnings {
				t.Errorf("%s:%d: adapting the snippet: warning: %s", s.file, s.line, w.String())
			}
		})
	}
}

// TestEveryFenceNamesItsLanguage keeps the snippet test from missing a
// Caddyfile: a fence without a language could hold one.
func TestEveryFenceNamesItsLanguage(t *testing.T) {
	for _, file := range markdownFiles(t) {
		doc, err := os.ReadFile(file)
		if err != nil {
			t.Fatal(err)
		}
		for _, s := range fencedBlocks(file, doc) {
			switch s.lang {
			case "":
				t.Errorf("%s:%d: a fence without a language; write ```caddyfile, ```sh, ```json or ```text so the snippet test knows whether to adapt it", s.file, s.line)
			case "unterminated":
				t.Errorf("%s:%d: a fence that is never closed", s.file, s.line)
			}
		}
	}
}

func TestFencedBlocks(t *testing.T) {
	doc := "intro\n```caddyfile\n:80 {\n}\n```\ntext\n  ```sh\n  echo hi\n  ```\n```\nplain\n```\n```json\n{"
	got := fencedBlocks("doc.md", []byte(doc))
	want := []snippet{
		{"doc.md", 2, "caddyfile", ":80 {\n}\n"},
		{"doc.md", 7, "sh", "  echo hi\n"},
		{"doc.md", 10, "", "plain\n"},
		{"doc.md", 13, "unterminated", "{\n"},
	}
	if len(got) != len(want) {
		t.Fatalf("got %d blocks %+v, want %d", len(got), got, len(want))
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("block %d = %+v, want %+v", i, got[i], want[i])
		}
	}
}
