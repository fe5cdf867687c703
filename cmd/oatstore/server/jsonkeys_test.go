package server

import (
	"strings"
	"testing"
)

func TestCheckKeys(t *testing.T) {
	type inner struct {
		Deep string `json:"deep"`
	}
	type request struct {
		inner
		Label  string   `json:"label"`
		Scopes []string `json:"scopes,omitempty"`
		Bare   int
		Hidden string `json:"-"`
	}
	for _, tc := range []struct {
		name, body, want string
	}{
		{"distinct exact keys pass", `{"label":"a","scopes":["x"],"Bare":1,"deep":"d"}`, ""},
		{"an unknown key is left to the decoder", `{"secret":1}`, ""},
		{"a key given twice is refused", `{"label":"a","label":"b"}`, `key "label" appears twice`},
		{"a key escaped into a duplicate is refused", `{"label":"a","\u006cabel":"b"}`, `key "label" appears twice`},
		{"a key in capitals is refused", `{"SCOPES":["x"]}`, `key "SCOPES": field names are lowercase, write "scopes"`},
		{"a field without a tag matches only its own case", `{"bare":1}`, `write "Bare"`},
		{"a field of an embedded struct counts", `{"DEEP":"d"}`, `write "deep"`},
		{"a json:\"-\" field is no field", `{"Hidden":"x"}`, ""},
		{"a key twice inside a nested object is refused", `{"scopes":[{"a":1,"a":2}]}`, `key "a" appears twice`},
		{"keys of nested objects may repeat across objects", `{"scopes":[{"a":1},{"a":2}]}`, ""},
		{"nested keys are not held to the field names", `{"scopes":[{"LABEL":1}]}`, ""},
		{"the same key in an object after a nested one is still a duplicate", `{"label":{"x":[1,{"y":2}]},"label":"b"}`, `"label" appears twice`},
		{"broken JSON is left to the decoder", `{"label" "a"}`, ""},
		{"an empty body is left to the decoder", ``, ""},
		{"a top-level array is left to the decoder", `[{"a":1}]`, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := checkKeys([]byte(tc.body), &request{})
			switch {
			case tc.want == "" && err != nil:
				t.Errorf("checkKeys(%s) = %v, want nil", tc.body, err)
			case tc.want != "" && (err == nil || !strings.Contains(err.Error(), tc.want)):
				t.Errorf("checkKeys(%s) = %v, want an error containing %q", tc.body, err, tc.want)
			}
		})
	}
}

func FuzzCheckKeys(f *testing.F) {
	for _, s := range []string{`{"label":"a","label":"b"}`, `{"SCOPES":[]}`, `{"a":{"b":[{"c":1,"c":2}]}}`, `[1,[2,{"x":{}}]]`, `{`, `}`, `"x"`} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, body string) {
		err := checkKeys([]byte(body), &createRequest{})
		if err != nil && !strings.HasPrefix(err.Error(), "key ") {
			t.Errorf("checkKeys(%q) = %v, want nil or an error naming the key", body, err)
		}
	})
}
