package registryreq

import "testing"

func BenchmarkClassify(b *testing.B) {
	benchmarks := []struct {
		name string
		in   Input
	}{
		{"manifest GET", Input{Method: "GET", Path: "/v2/acme/team/app/manifests/v1.2.3"}},
		{"blob upload PATCH", Input{
			Method:      "PATCH",
			Path:        "/v2/acme/team/app/blobs/uploads/" + uuid,
			RawQuery:    "_state=ZXlKT1lXMWxJam9pWVdOdFpTOTBaV0Z0TDJGd2NDSXNJbFZWU1VRaU9pSTJaakprTVdGaU5pSXNJazltWm5ObGRDSTZNSDA9",
			ContentType: "application/octet-stream",
		}},
		{"cross-repository mount", Input{
			Method:   "POST",
			Path:     "/v2/acme/team/app/blobs/uploads/",
			RawQuery: "mount=" + sha + "&from=acme%2Fteam%2Fbase",
		}},
	}
	for _, bm := range benchmarks {
		b.Run(bm.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				r, err := Classify(bm.in)
				if err != nil || len(r.Needs()) == 0 {
					b.Fatalf("Classify(%s %s) = %+v, %v", bm.in.Method, bm.in.Path, r, err)
				}
			}
		})
	}
}
