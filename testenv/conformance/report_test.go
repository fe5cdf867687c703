package conformance

import (
	"encoding/xml"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/goccy/go-yaml"
)

// Verdicts as the suite's junit.xml spells them.
const (
	verdictPassed  = "passed"
	verdictSkipped = "skipped"
	verdictFailure = "failure"
	verdictError   = "error"
)

// report is one run's results: every leaf test by its full name, and every
// API category's status.
type report struct {
	// tests maps a test's full name ("OCI Conformance Test/.../...") to how
	// many times it got each junit verdict. The suite gives some steps the
	// same name under one parent (one per manifest or repository), in an
	// order that varies between runs, so a name is a bag of verdicts, not
	// one verdict.
	tests map[string]map[string]int
	// apis maps an API category ("Blob push", "Referrers", ...) to the
	// suite's status for it (Pass, FAIL, Skip, Disabled, Error).
	apis map[string]string
}

type junitSuites struct {
	Suites []struct {
		Cases []struct {
			Name   string `xml:"name,attr"`
			Status string `xml:"status,attr"`
		} `xml:"testcase"`
	} `xml:"testsuite"`
}

type resultsYAML struct {
	APIs map[string]string `yaml:"apis"`
}

// loadReport reads junit.xml and results.yaml from dir.
func loadReport(dir string) (*report, error) {
	data, err := os.ReadFile(filepath.Join(dir, "junit.xml"))
	if err != nil {
		return nil, err
	}
	rep, err := parseJUnit(data)
	if err != nil {
		return nil, err
	}
	data, err = os.ReadFile(filepath.Join(dir, "results.yaml"))
	if err != nil {
		return nil, err
	}
	var res resultsYAML
	if err := yaml.Unmarshal(data, &res); err != nil {
		return nil, fmt.Errorf("parsing results.yaml: %w", err)
	}
	rep.apis = res.APIs
	return rep, nil
}

// parseJUnit reads the suite's junit.xml.
func parseJUnit(data []byte) (*report, error) {
	var js junitSuites
	if err := xml.Unmarshal(data, &js); err != nil {
		return nil, fmt.Errorf("parsing junit.xml: %w", err)
	}
	rep := &report{tests: map[string]map[string]int{}}
	cases := 0
	for _, s := range js.Suites {
		for _, c := range s.Cases {
			if rep.tests[c.Name] == nil {
				rep.tests[c.Name] = map[string]int{}
			}
			rep.tests[c.Name][c.Status]++
			cases++
		}
	}
	if cases == 0 {
		return nil, fmt.Errorf("parsing junit.xml: no test cases")
	}
	return rep, nil
}

// count returns how many test cases have each verdict, and the total.
func (r *report) count() (map[string]int, int) {
	c, total := map[string]int{}, 0
	for _, verdicts := range r.tests {
		for v, n := range verdicts {
			c[v] += n
			total += n
		}
	}
	return c, total
}

// summary is a one-line count, worded so that CI does not read it as the
// project's own pass/fail line.
func (r *report) summary() string {
	c, total := r.count()
	return fmt.Sprintf("%d test cases: %d ok, %d not ok (failure or error), %d skipped",
		total, c[verdictPassed], c[verdictFailure]+c[verdictError], c[verdictSkipped])
}

// regressions lists, sorted, the test names that pass fewer times in other
// than in base: a step that passes against the bare registry but fails
// through the gateway.
func regressions(base, other *report) []string {
	var out []string
	for name, verdicts := range base.tests {
		if other.tests[name][verdictPassed] < verdicts[verdictPassed] {
			out = append(out, name)
		}
	}
	sort.Strings(out)
	return out
}

// describe says how a test name fared in both runs.
func describe(base, other *report, name string) string {
	return fmt.Sprintf("%s: bare %v, gateway %v", name, base.tests[name], other.tests[name])
}

func total(verdicts map[string]int) int {
	n := 0
	for _, c := range verdicts {
		n += c
	}
	return n
}

// categoryTable is a per-category comparison of runs, one line per API
// category: the suite's status, and how many of the category's test cases
// passed.
func categoryTable(names []string, runs ...*report) string {
	cats := map[string]bool{}
	for _, r := range runs {
		for c := range r.apis {
			cats[c] = true
		}
	}
	sorted := make([]string, 0, len(cats))
	for c := range cats {
		sorted = append(sorted, c)
	}
	sort.Strings(sorted)
	var b strings.Builder
	fmt.Fprintf(&b, "%-30s", "API category")
	for _, n := range names {
		fmt.Fprintf(&b, " %-18s", n)
	}
	b.WriteByte('\n')
	for _, c := range sorted {
		fmt.Fprintf(&b, "%-30s", c)
		for _, r := range runs {
			s := r.apis[c]
			if s == "" {
				s = "not run"
			}
			fmt.Fprintf(&b, " %-18s", s)
		}
		b.WriteByte('\n')
	}
	return b.String()
}

// groupTable compares runs per top-level group of the suite ("sha256 blobs",
// "image", "referrers", ...): passed/total test cases in each.
func groupTable(names []string, runs ...*report) string {
	type tally struct{ passed, total int }
	groups := map[string]bool{}
	per := make([]map[string]tally, len(runs))
	for i, r := range runs {
		per[i] = map[string]tally{}
		for name, verdicts := range r.tests {
			g := group(name)
			groups[g] = true
			t := per[i][g]
			t.passed += verdicts[verdictPassed]
			t.total += total(verdicts)
			per[i][g] = t
		}
	}
	sorted := make([]string, 0, len(groups))
	for g := range groups {
		sorted = append(sorted, g)
	}
	sort.Strings(sorted)
	var b strings.Builder
	fmt.Fprintf(&b, "%-32s", "group (ok/cases)")
	for _, n := range names {
		fmt.Fprintf(&b, " %-18s", n)
	}
	b.WriteByte('\n')
	for _, g := range sorted {
		fmt.Fprintf(&b, "%-32s", g)
		for i := range runs {
			t := per[i][g]
			fmt.Fprintf(&b, " %-18s", fmt.Sprintf("%d/%d", t.passed, t.total))
		}
		b.WriteByte('\n')
	}
	return b.String()
}

// group is the component after the suite's root in a test name.
func group(name string) string {
	parts := strings.SplitN(name, "/", 3)
	if len(parts) < 2 {
		return name
	}
	return parts[1]
}
