// Package testenv starts the real oatgate stack in-process on loopback ports —
// a distribution v3 registry with filesystem storage, oatstore with a SQLite
// database, and Caddy with the registry_auth module in front of the registry —
// for tests, benchmarks and `make run`.
//
// It also holds the one set of helpers every suite uses, so that no suite
// grows its own copy: Env.MintToken (an org and a token with a unique
// label), Env.Call (one raw request to the gateway; Env.CallAt to a replica
// of Options.GatewayReplicas), Eventually and Poll
// (wait for a condition, never sleep for it), Context (a bounded context
// per test), UniqueLabel, Token.Mistyped, Env.WaitForFeed and Admin, the
// typed client of oatstore's management API (Admin.Usage and
// Admin.Activity read what the gateways reported). Options.StoreDSN puts
// oatstore on PostgreSQL.
package testenv

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"sync"
	"time"

	"go.uber.org/zap"

	"github.com/oatgate/oatgate/cmd/oatstore/webhook"
)

// Options configures an environment. The zero value is a complete stack on
// free loopback ports in a temporary folder.
type Options struct {
	// Dir holds the registry's storage, the database and the logs. Default: a
	// new temporary folder, removed on Close.
	Dir string
	// RegistryAddr, StoreAddr, GatewayAddr and BareAddr are listen addresses;
	// default 127.0.0.1:0 (a free port).
	RegistryAddr, StoreAddr, GatewayAddr, BareAddr string
	// Bare adds a plain reverse_proxy server in front of the same registry.
	Bare bool
	// Gateway holds extra registry_auth options, in its JSON form
	// (e.g. {"cache_ttl": "1h"}).
	Gateway map[string]any
	// UpstreamHeaders are set on every request the gateway forwards.
	UpstreamHeaders map[string]string
	// RegistryWrapper, when set, wraps the registry's handler (e.g. with
	// basic auth for an authenticated upstream).
	RegistryWrapper func(http.Handler) http.Handler
	// AdminKey and GatewayKey default to random keys.
	AdminKey, GatewayKey string
	// LogsToStderr sends Caddy's and oatstore's logs (not usage events) to
	// stderr instead of files.
	LogsToStderr bool
	// LogLevel is Caddy's default log level. Default: INFO.
	LogLevel string
	// Metrics adds a server with Caddy's metrics handler at Env.MetricsURL.
	Metrics bool
	// GatewayReplicas adds this many gateway replicas beside the gateway,
	// at Env.ReplicaURLs, all in front of the same registry and store.
	GatewayReplicas int
	// StoreDSN, a postgres:// URL, puts oatstore on PostgreSQL instead of
	// a SQLite file.
	StoreDSN string
	// StoreWebhooks configures oatstore's webhook delivery (loopback
	// receivers, quick rounds); zero fields take webhook.Options' defaults.
	StoreWebhooks webhook.Options
}

// Env is a running stack.
type Env struct {
	Dir      string
	Registry *Registry
	Store    *Store
	Admin    *Admin

	// GatewayURL is http://host:port of the gateway; GatewayHost is host:port,
	// as docker login takes it. BareURL is set with Options.Bare.
	GatewayURL, GatewayHost, BareURL string
	// MetricsURL is Caddy's /metrics, set with Options.Metrics.
	MetricsURL string
	// ReplicaURLs are the gateway replicas' http://host:port, with
	// Options.GatewayReplicas.
	ReplicaURLs          []string
	AdminKey, GatewayKey string

	// UsageLog is the file usage events go to; CaddyLog and StoreLog hold
	// every other log line (unless Options.LogsToStderr).
	UsageLog, CaddyLog, StoreLog string

	opts    Options
	tempDir bool
	logger  *zap.Logger
	closed  sync.Once
}

// running guards the process-wide Caddy instance.
var running sync.Mutex

// Start brings up the stack and waits until every part answers.
func Start(opts Options) (env *Env, err error) {
	if !running.TryLock() {
		return nil, errors.New("testenv: another environment is running in this process (Caddy is one per process)")
	}
	e := &Env{opts: opts, AdminKey: opts.AdminKey, GatewayKey: opts.GatewayKey}
	defer func() {
		if err != nil {
			e.shutdown()
		}
	}()
	if e.AdminKey == "" {
		e.AdminKey = randomKey()
	}
	if e.GatewayKey == "" {
		e.GatewayKey = randomKey()
	}
	e.Dir = opts.Dir
	if e.Dir == "" {
		if e.Dir, err = os.MkdirTemp("", "oatgate-testenv-"); err != nil {
			return nil, err
		}
		e.tempDir = true
	}
	for _, sub := range []string{"registry", "store", "caddy", "logs"} {
		if err := os.MkdirAll(filepath.Join(e.Dir, sub), 0o700); err != nil {
			return nil, err
		}
	}
	e.UsageLog = filepath.Join(e.Dir, "logs", "usage.log")
	e.CaddyLog = filepath.Join(e.Dir, "logs", "caddy.log")
	e.StoreLog = filepath.Join(e.Dir, "logs", "oatstore.log")
	if opts.LogsToStderr {
		e.CaddyLog, e.StoreLog = "stderr", "stderr"
	}
	if e.logger, err = fileLogger(e.StoreLog); err != nil {
		return nil, err
	}

	regLn, err := listen(opts.RegistryAddr)
	if err != nil {
		return nil, fmt.Errorf("registry: %w", err)
	}
	if e.Registry, err = startRegistry(regLn, filepath.Join(e.Dir, "registry"), opts.RegistryWrapper); err != nil {
		return nil, err
	}

	storeLn, err := listen(opts.StoreAddr)
	if err != nil {
		return nil, fmt.Errorf("oatstore: %w", err)
	}
	if e.Store, err = startStore(storeLn, filepath.Join(e.Dir, "store"), opts.StoreDSN, opts.StoreWebhooks, e.AdminKey, e.GatewayKey, e.logger, &storeCalls{}); err != nil {
		return nil, err
	}
	e.Admin = &Admin{URL: e.Store.URL, Key: e.AdminKey}

	gw := GatewayConfig{
		RegistryAddr: e.Registry.Addr, StoreURL: e.Store.URL, GatewayKey: e.GatewayKey,
		RegistryAuth: opts.Gateway, UpstreamHeaders: opts.UpstreamHeaders,
		UsageLog: e.UsageLog, CaddyLog: e.CaddyLog, StorageDir: filepath.Join(e.Dir, "caddy"), LogLevel: opts.LogLevel,
	}
	if gw.GatewayAddr, err = FreeAddr(opts.GatewayAddr); err != nil {
		return nil, fmt.Errorf("gateway: %w", err)
	}
	if opts.Bare {
		if gw.BareAddr, err = FreeAddr(opts.BareAddr); err != nil {
			return nil, fmt.Errorf("bare proxy: %w", err)
		}
		e.BareURL = "http://" + gw.BareAddr
	}
	for range opts.GatewayReplicas {
		addr, err := FreeAddr("")
		if err != nil {
			return nil, fmt.Errorf("gateway replica: %w", err)
		}
		gw.ReplicaAddrs = append(gw.ReplicaAddrs, addr)
		e.ReplicaURLs = append(e.ReplicaURLs, "http://"+addr)
	}
	if opts.Metrics {
		if gw.MetricsAddr, err = FreeAddr(""); err != nil {
			return nil, fmt.Errorf("metrics: %w", err)
		}
		e.MetricsURL = "http://" + gw.MetricsAddr + "/metrics"
	}
	cfg, err := gw.JSON()
	if err != nil {
		return nil, err
	}
	if err := loadGateway(cfg); err != nil {
		return nil, err
	}
	e.GatewayHost = gw.GatewayAddr
	e.GatewayURL = "http://" + gw.GatewayAddr
	for _, u := range append([]string{e.GatewayURL}, e.ReplicaURLs...) {
		if err := waitHTTP(u+"/v2/", 10*time.Second); err != nil {
			return nil, err
		}
	}
	return e, nil
}

// Close stops every part and removes a temporary folder.
func (e *Env) Close() error {
	var err error
	e.closed.Do(func() { err = e.shutdown() })
	return err
}

func (e *Env) shutdown() error {
	defer running.Unlock()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	errs := []error{stopGateway()}
	if e.Store != nil {
		errs = append(errs, e.Store.close(ctx))
	}
	if e.Registry != nil {
		errs = append(errs, e.Registry.close(ctx))
	}
	if e.logger != nil {
		_ = e.logger.Sync()
	}
	if e.tempDir {
		errs = append(errs, os.RemoveAll(e.Dir))
	}
	return errors.Join(errs...)
}

// StopStore takes oatstore off the network, as an outage would.
func (e *Env) StopStore() error { return e.Store.Stop() }

// RestartStore brings oatstore back on the same address and database.
func (e *Env) RestartStore() error { return e.Store.Restart(e.AdminKey, e.GatewayKey, e.logger) }

func listen(addr string) (net.Listener, error) {
	if addr == "" {
		addr = "127.0.0.1:0"
	}
	return net.Listen("tcp", addr)
}

// FreeAddr returns addr, or a free loopback port's address when addr is empty
// or ends in :0. Caddy listens itself, so the port is found and released.
func FreeAddr(addr string) (string, error) {
	if addr != "" {
		if _, port, err := net.SplitHostPort(addr); err == nil && port != "0" {
			return addr, nil
		}
	}
	ln, err := listen(addr)
	if err != nil {
		return "", err
	}
	defer ln.Close()
	return ln.Addr().String(), nil
}

// waitHTTP waits until url answers at all (any status).
func waitHTTP(url string, limit time.Duration) error {
	var getErr error
	_, err := Poll(limit, func() bool {
		resp, err := http.Get(url)
		if err == nil {
			resp.Body.Close()
		}
		getErr = err
		return err == nil
	})
	if err != nil {
		return fmt.Errorf("%s did not answer: %w (last try: %w)", url, err, getErr)
	}
	return nil
}

func randomKey() string {
	b := make([]byte, 24)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

func fileLogger(path string) (*zap.Logger, error) {
	cfg := zap.NewProductionConfig()
	cfg.OutputPaths = []string{path}
	cfg.ErrorOutputPaths = []string{path}
	cfg.Sampling = nil
	return cfg.Build()
}

func discardLog() *log.Logger { return log.New(io.Discard, "", 0) }
