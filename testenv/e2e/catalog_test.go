package e2e

import (
	"encoding/json"
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-containerregistry/pkg/v1/remote"
)

func TestTheCatalogShowsOnlyTheTokensRepositories(t *testing.T) {
	for _, org := range []string{"cata", "catb"} {
		tok := env.MintToken(t, org, "repository:"+org+"/**:pull,push")
		for _, repo := range []string{"one", "two", "three"} {
			if err := remote.Write(ref(t, org+"/"+repo+":v1"), randomImage(t, 1), auth(org, tok.Secret)); err != nil {
				t.Fatal(err)
			}
		}
	}
	tok := env.MintToken(t, "cata", "repository:cata/**:pull")
	want := []string{"cata/one", "cata/three", "cata/two"}

	t.Run("one page holds every allowed name and no other", func(t *testing.T) {
		names, next := catalogPage(t, "/v2/_catalog", tok.Secret)
		if !slices.Equal(names, want) || next != "" {
			t.Errorf("catalog = %v (next %q), want %v", names, next, want)
		}
	})
	t.Run("following Link pages through the same names", func(t *testing.T) {
		var got []string
		path := "/v2/_catalog?n=1"
		for range 10 {
			names, next := catalogPage(t, path, tok.Secret)
			got = append(got, names...)
			if next == "" {
				break
			}
			path = next
		}
		if !slices.Equal(got, want) {
			t.Errorf("paged catalog = %v, want %v", got, want)
		}
	})
}

func catalogPage(t *testing.T, path, secret string) ([]string, string) {
	t.Helper()
	resp := env.Call(t, "GET", path, "cata", secret, nil)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET %s: status %d", path, resp.StatusCode)
	}
	var body struct{ Repositories []string }
	if err := json.NewDecoder(resp.Body).Decode(&body); err != nil {
		t.Fatal(err)
	}
	next := ""
	if link := resp.Header.Get("Link"); link != "" {
		start, end := strings.Index(link, "<"), strings.Index(link, ">")
		next = link[start+1 : end]
	}
	return body.Repositories, next
}
