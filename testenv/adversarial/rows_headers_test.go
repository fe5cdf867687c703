package adversarial

import (
	"net/http"
	"testing"

	"github.com/oatgate/oatgate/testenv"
)

// forged adds every forged identity header to w.
func forged(w wire) wire {
	for _, h := range forgedHeaders {
		w = w.with(h, "admin")
	}
	return w
}

func headerRows() []row {
	return []row{
		{reason: "an allowed pull reaches the registry without Authorization or forged identity", build: func(t *testing.T) wire {
			return forged(fx.as(acmeAll, pull()))
		}, status: 200, reaches: true, check: func(t *testing.T, seen []testenv.SeenRequest) {
			if len(seen) != 1 {
				t.Errorf("the registry saw %v, want one request", describeSeen(seen))
			}
		}},
		{reason: "an allowed upload start reaches the registry without Authorization or forged identity", build: func(t *testing.T) wire {
			return forged(fx.as(acmeAll, req(http.MethodPost, "/v2/acme/app/blobs/uploads/")))
		}, status: 202, reaches: true},
		{reason: "an allowed catalog read reaches the registry without Authorization or forged identity", build: func(t *testing.T) wire {
			return forged(fx.as(acmeAll, req(http.MethodGet, "/v2/_catalog?n=3")))
		}, status: 200, reaches: true},
		{reason: "forged identity without credentials is challenged", build: fixed(func() wire { return forged(pull()) }),
			status: 401, code: "UNAUTHORIZED"},
		{reason: "a request that declares trailers is refused: a trailer could carry Authorization or identity to the registry", build: func(t *testing.T) wire {
			return fx.as(acmeAll, req(http.MethodPost, "/v2/acme/app/blobs/uploads/")).with("Trailer", "X-Forwarded-User, Authorization")
		}, status: 400, code: "UNSUPPORTED"},
		{reason: "a token in Proxy-Authorization is not credentials", build: fixed(func() wire {
			return pull().with("Proxy-Authorization", fx.auth(acmeAll))
		}), status: 401, code: "UNAUTHORIZED"},
	}
}
