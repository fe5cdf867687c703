// Package server is oatstore's HTTP API: the management calls an admin key
// or an org management token (or the oatstore CLI holding one) makes, and
// the introspection and revocation feed that gateways poll.
//
// Every error answer has one shape:
//
//	{"error":{"code":"invalid_request","message":"label is required"}}
//
// with these codes: invalid_request (400), unauthorized (401: no, unknown,
// revoked, deactivated or expired credential), forbidden (403: the
// credential may not do this), not_found (404), method_not_allowed (405),
// conflict (409, duplicate label, revoked token reactivated),
// limit_reached (409, org token limit), too_large (413),
// too_many_requests (429, the org's bound on active federated tokens),
// unsupported_media_type (415), internal (500; details go to the log, never
// to the client), unavailable (503: a token could not be checked).
package server

import (
	"errors"
	"net/http"
	"sync"
	"time"

	"go.uber.org/zap"

	"github.com/oatgate/oatgate/caddymodule/storeapi"
	"github.com/oatgate/oatgate/cmd/oatstore/adminkeys"
	"github.com/oatgate/oatgate/cmd/oatstore/store"
	"github.com/oatgate/oatgate/cmd/oatstore/webhook"
)

// ErrNoAdminKey is returned by New when no admin key is configured: the
// management API would be open to anyone, or closed to everyone.
var ErrNoAdminKey = errors.New("no admin key configured")

// maxBody caps every request body; the largest legitimate one (50 scopes
// and a description) is a few KiB.
const maxBody = 64 << 10

// Config configures a Server.
type Config struct {
	// Store holds orgs, tokens and the audit log. Required.
	Store store.Store
	// AdminKeys are the named keys that may manage every org (build them
	// with adminkeys.Load). At least one is required: org management
	// tokens are created with one first.
	AdminKeys *adminkeys.Ring
	// GatewayKeys authorize /v1/introspect, /v1/revocations and
	// /v1/usage-reports; several may
	// be set while rotating, each at least MinKeyLength bytes. Default
	// none: gateways get 401.
	GatewayKeys []string
	// Logger receives request and management logs, never a secret.
	// Default: a no-op logger.
	Logger *zap.Logger
	// Now is the clock. Default time.Now.
	Now func() time.Time
	// Federation configures the exchange of CI jobs' ID tokens. The zero
	// value trusts https issuers only and purges federated tokens a day
	// after they end.
	Federation FederationConfig
	// Webhooks configures webhook delivery and the expiry scan (see
	// webhook.Options for each default).
	Webhooks webhook.Options
	// Retention is how long usage and registry activity are kept; zero
	// fields take store.DefaultUsageRetention (13 months) and
	// store.DefaultActivityRetention (90 days). The management audit is
	// kept for good.
	Retention store.Retention
	// PruneEvery is how often what is past Retention is deleted. Default
	// 1h; negative turns pruning off.
	PruneEvery time.Duration
}

// Server is the oatstore HTTP handler. Close it to stop its background
// writer and release long polls.
type Server struct {
	store    store.Store
	admin    *adminkeys.Ring
	gateway  keyring
	log      *zap.Logger
	now      func() time.Time
	mux      *http.ServeMux
	changes  *notifier
	lastUsed *lastUsed
	fed      *federated
	done     chan struct{}
	// hooks delivers webhook events; webhookOpts are its options.
	hooks       *webhook.Dispatcher
	webhookOpts webhook.Options
	// hookTests limits webhook tests.
	hookTests *testLimiter
	// retention and pruned are the background prune's: its rule, and
	// closed when it has stopped.
	retention store.Retention
	pruned    chan struct{}

	closeOnce sync.Once
}

// New checks cfg and returns a Server ready to serve.
func New(cfg Config) (*Server, error) {
	if cfg.Store == nil {
		return nil, errors.New("server config: no store")
	}
	if cfg.AdminKeys.Len() == 0 {
		return nil, ErrNoAdminKey
	}
	// Admin keys were checked, length included, by adminkeys when the
	// ring was built.
	if err := checkKeyLengths(cfg.GatewayKeys, "gateway", "OATSTORE_GATEWAY_KEY", true); err != nil {
		return nil, err
	}
	s := &Server{
		store:   cfg.Store,
		admin:   cfg.AdminKeys,
		gateway: newKeyring(cfg.GatewayKeys),
		log:     cfg.Logger,
		now:     cfg.Now,
		mux:     http.NewServeMux(),
		changes: newNotifier(),
		done:    make(chan struct{}),
		pruned:  make(chan struct{}),

		retention: cfg.Retention,
	}
	if s.log == nil {
		s.log = zap.NewNop()
	}
	if s.now == nil {
		s.now = time.Now
	}
	// Names only: the audit says which key acted, and the operator can
	// check at startup that the ring is the one intended.
	s.log.Info("admin keys loaded", zap.Strings("names", s.admin.Names()))
	if s.gateway.empty() {
		s.log.Warn("no gateway key configured: introspection and the revocation feed answer 401; set OATSTORE_GATEWAY_KEY")
	}
	s.lastUsed = newLastUsed(s.store, s.now, s.log)
	s.fed = newFederated(cfg.Federation, s.now, s.log)
	go s.purgeLoop()
	s.webhookOpts = cfg.Webhooks.WithDefaults()
	s.hookTests = newTestLimiter()
	s.hooks = webhook.Start(s.store, s.now, s.log.Named("webhook"), s.webhookOpts)
	s.routes()
	switch every := cfg.PruneEvery; {
	case every < 0:
		close(s.pruned)
	case every == 0:
		go s.prune(DefaultPruneEvery)
	default:
		go s.prune(every)
	}
	return s, nil
}

func (s *Server) routes() {
	s.mux.HandleFunc("GET /healthz", s.healthz)

	s.mux.Handle("GET /v1/orgs", s.authenticated(s.listOrgs))
	s.mux.Handle("PUT /v1/orgs/{org}", s.authenticated(s.putOrg))
	s.mux.Handle("GET /v1/orgs/{org}", s.authenticated(s.getOrg))
	s.mux.Handle("POST /v1/orgs/{org}/tokens", s.authenticated(s.createToken))
	s.mux.Handle("GET /v1/orgs/{org}/tokens", s.authenticated(s.listTokens))
	s.mux.Handle("GET /v1/orgs/{org}/tokens/{id}", s.authenticated(s.getToken))
	s.mux.Handle("PATCH /v1/orgs/{org}/tokens/{id}", s.authenticated(s.patchToken))
	s.mux.Handle("DELETE /v1/orgs/{org}/tokens/{id}", s.authenticated(s.deleteToken))
	s.mux.Handle("POST /v1/orgs/{org}/tokens/{id}/deactivate", s.authenticated(s.deactivateToken))
	s.mux.Handle("POST /v1/orgs/{org}/tokens/{id}/activate", s.authenticated(s.activateToken))
	s.mux.Handle("POST /v1/orgs/{org}/tokens/{id}/revoke", s.authenticated(s.revokeToken))
	s.mux.Handle("GET /v1/orgs/{org}/audit", s.authenticated(s.audit))
	s.mux.Handle("GET /v1/orgs/{org}/usage", s.authenticated(s.usage))
	s.mux.Handle("GET /v1/orgs/{org}/activity", s.authenticated(s.activity))
	s.mux.Handle("GET /v1/whoami", s.authenticated(s.whoami))
	s.mux.Handle("GET /v1/orgs/{org}/webhooks", s.authenticated(s.listWebhooks))
	s.mux.Handle("PUT /v1/orgs/{org}/webhooks/{name}", s.authenticated(s.putWebhook))
	s.mux.Handle("GET /v1/orgs/{org}/webhooks/{name}", s.authenticated(s.getWebhook))
	s.mux.Handle("DELETE /v1/orgs/{org}/webhooks/{name}", s.authenticated(s.deleteWebhook))
	s.mux.Handle("POST /v1/orgs/{org}/webhooks/{name}/test", s.authenticated(s.testWebhook))
	s.mux.Handle("GET /v1/orgs/{org}/webhooks/{name}/deliveries", s.authenticated(s.webhookDeliveries))

	s.federationRoutes()

	s.mux.Handle("POST /v1/introspect", s.asGateway(s.introspect))
	s.mux.Handle("GET /v1/revocations", s.asGateway(s.revocations))
	s.mux.Handle("POST "+storeapi.UsageReportsPath, s.asGateway(s.usageReport))
}

// ServeHTTP routes r, answering unknown routes and methods in the JSON
// error shape rather than the mux's plain text.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	start := s.now()
	rec := &statusRecorder{ResponseWriter: w, status: http.StatusOK}
	// Handler finds the pattern without setting path values; ServeHTTP
	// routes again and does.
	h, pattern := s.mux.Handler(r)
	if pattern == "" {
		s.unrouted(rec, r, h)
	} else {
		s.mux.ServeHTTP(rec, r)
	}
	s.logRequest(r, pattern, rec.status, s.now().Sub(start))
}

// Close stops the background last-used writer (after flushing it) and
// ends pending long polls. The caller shuts its http.Server down after.
func (s *Server) Close() error {
	var err error
	s.closeOnce.Do(func() {
		close(s.done)
		s.hooks.Close()
		<-s.pruned
		err = s.lastUsed.close()
	})
	return err
}

func (s *Server) healthz(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, http.StatusOK, map[string]string{"status": "ok"})
}
