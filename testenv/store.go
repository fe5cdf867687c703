package testenv

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"path/filepath"
	"sync/atomic"

	"go.uber.org/zap"

	"github.com/oatgate/oatgate/cmd/oatstore/adminkeys"
	"github.com/oatgate/oatgate/cmd/oatstore/server"
	"github.com/oatgate/oatgate/cmd/oatstore/store"
	"github.com/oatgate/oatgate/cmd/oatstore/store/postgres"
	"github.com/oatgate/oatgate/cmd/oatstore/store/sqlite"
	"github.com/oatgate/oatgate/cmd/oatstore/webhook"
)

// Store is an oatstore serving on loopback with a database under the
// environment's folder.
type Store struct {
	URL  string
	Addr string
	// DBPath is the SQLite database file; DSN the PostgreSQL database's
	// URL instead, with Options.StoreDSN.
	DBPath string
	DSN    string

	db     store.Store
	srv    *server.Server
	server *http.Server
	ln     net.Listener
	// calls counts introspections and feed reads; it survives Restart.
	calls *storeCalls
	// hooks are the webhook options, kept for Restart.
	hooks webhook.Options
}

type storeCalls struct{ introspections, feedReads atomic.Int64 }

// Introspections is how many introspection calls the store has answered
// since the environment started.
func (st *Store) Introspections() int64 { return st.calls.introspections.Load() }

// FeedReads is how many revocation feed reads the store has answered since
// the environment started.
func (st *Store) FeedReads() int64 { return st.calls.feedReads.Load() }

func (c *storeCalls) count(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		next.ServeHTTP(w, r)
		switch r.URL.Path {
		case "/v1/introspect":
			c.introspections.Add(1)
		case "/v1/revocations":
			c.feedReads.Add(1)
		}
	})
}

func startStore(ln net.Listener, dir, dsn string, hooks webhook.Options, adminKey, gatewayKey string, logger *zap.Logger, calls *storeCalls) (*Store, error) {
	st := &Store{URL: "http://" + ln.Addr().String(), Addr: ln.Addr().String(), DBPath: filepath.Join(dir, "oatstore.db"), DSN: dsn, ln: ln, calls: calls, hooks: hooks}
	var (
		db  store.Store
		err error
	)
	if dsn != "" {
		db, err = postgres.Open(context.Background(), dsn)
	} else {
		db, err = sqlite.Open(context.Background(), st.DBPath)
	}
	if err != nil {
		return nil, fmt.Errorf("opening oatstore database: %w", err)
	}
	keys, err := adminkeys.Load(adminkeys.Sources{Single: adminKey})
	if err != nil {
		_ = db.Close()
		return nil, fmt.Errorf("loading the admin key: %w", err)
	}
	srv, err := server.New(server.Config{
		Store:       db,
		AdminKeys:   keys,
		GatewayKeys: []string{gatewayKey},
		Logger:      logger,
		Webhooks:    hooks,
		// The environment's OIDC issuers (testenv/oidcissuer) serve http
		// on 127.0.0.1; everything here is loopback.
		Federation: server.FederationConfig{AllowLoopbackHTTP: true},
	})
	if err != nil {
		_ = db.Close()
		return nil, fmt.Errorf("starting oatstore: %w", err)
	}
	st.db, st.srv = db, srv
	st.server = &http.Server{Handler: calls.count(srv), ErrorLog: discardLog()}
	go func() { _ = st.server.Serve(ln) }()
	return st, nil
}

func (st *Store) close(ctx context.Context) error {
	if st.server == nil {
		return nil
	}
	// Close first: it ends pending revocation long-polls, which Shutdown
	// would otherwise wait for.
	err := st.srv.Close()
	if serr := st.server.Shutdown(ctx); err == nil {
		err = serr
	}
	if cerr := st.db.Close(); err == nil {
		err = cerr
	}
	st.server = nil
	return err
}

// Stop takes the store off the network, as an outage would; Restart brings it
// back on the same address with the same database.
func (st *Store) Stop() error { return st.close(context.Background()) }

// Restart brings a stopped store back on its address.
func (st *Store) Restart(adminKey, gatewayKey string, logger *zap.Logger) error {
	ln, err := net.Listen("tcp", st.Addr)
	if err != nil {
		return fmt.Errorf("listening again on %s: %w", st.Addr, err)
	}
	again, err := startStore(ln, filepath.Dir(st.DBPath), st.DSN, st.hooks, adminKey, gatewayKey, logger, st.calls)
	if err != nil {
		_ = ln.Close()
		return err
	}
	*st = *again
	return nil
}
