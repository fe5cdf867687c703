package testenv

import (
	"context"
	"io"
	"net"
	"net/http"
	"sync"
	"sync/atomic"

	"github.com/distribution/distribution/v3/configuration"
	"github.com/distribution/distribution/v3/registry/handlers"
	_ "github.com/distribution/distribution/v3/registry/storage/driver/filesystem" // the registry's storage
	"github.com/sirupsen/logrus"
)

// SeenRequest is what the registry received: enough to prove what the
// gateway forwarded and what it stripped.
type SeenRequest struct {
	Method   string
	Path     string
	RawQuery string
	Header   http.Header
}

// Registry is a distribution v3 registry serving on loopback, counting every
// request it receives.
type Registry struct {
	URL  string
	Addr string

	server *http.Server
	count  atomic.Int64

	mu   sync.Mutex
	seen []SeenRequest
}

// maxSeen bounds the requests a Registry remembers.
const maxSeen = 10000

func startRegistry(ln net.Listener, root string, wrapper func(http.Handler) http.Handler) (*Registry, error) {
	logrus.SetOutput(io.Discard)
	cfg := &configuration.Configuration{
		Storage: configuration.Storage{
			"filesystem": configuration.Parameters{"rootdirectory": root},
			"delete":     configuration.Parameters{"enabled": true},
			"maintenance": configuration.Parameters{"uploadpurging": map[any]any{
				"enabled": false,
			}},
		},
		Catalog: configuration.Catalog{MaxEntries: 1000},
	}
	cfg.HTTP.Secret = "oatgate-testenv-upload-state-secret"
	cfg.Log.Level = "error"
	app := handlers.NewApp(context.Background(), cfg)

	reg := &Registry{URL: "http://" + ln.Addr().String(), Addr: ln.Addr().String()}
	var h http.Handler = app
	if wrapper != nil {
		h = wrapper(app)
	}
	reg.server = &http.Server{Handler: reg.record(h), ErrorLog: discardLog()}
	go func() { _ = reg.server.Serve(ln) }()
	return reg, nil
}

func (reg *Registry) record(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		reg.count.Add(1)
		reg.mu.Lock()
		if len(reg.seen) < maxSeen {
			reg.seen = append(reg.seen, SeenRequest{Method: r.Method, Path: r.URL.Path, RawQuery: r.URL.RawQuery, Header: r.Header.Clone()})
		}
		reg.mu.Unlock()
		next.ServeHTTP(w, r)
	})
}

// Count is how many requests the registry has received.
func (reg *Registry) Count() int64 { return reg.count.Load() }

// Seen returns a copy of the requests received so far (up to 10,000).
func (reg *Registry) Seen() []SeenRequest {
	reg.mu.Lock()
	defer reg.mu.Unlock()
	return append([]SeenRequest(nil), reg.seen...)
}

// Reset forgets the requests seen so far and zeroes the count.
func (reg *Registry) Reset() {
	reg.mu.Lock()
	reg.seen = nil
	reg.count.Store(0)
	reg.mu.Unlock()
}

func (reg *Registry) close(ctx context.Context) error { return reg.server.Shutdown(ctx) }
