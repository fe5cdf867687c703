package cli

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"

	"github.com/oatgate/oatgate/cmd/oatstore/adminkeys"
	"github.com/oatgate/oatgate/cmd/oatstore/server"
	"github.com/oatgate/oatgate/cmd/oatstore/store"
)

// errNoAdminKey explains how to configure the one thing serve cannot
// default.
var errNoAdminKey = errors.New("no admin key: name one per person or job with\n\n\texport OATSTORE_ADMIN_KEYS=\"alice=$(openssl rand -hex 32)\"\n\nor give --admin-keys-file (one name=key per line, mode 0600), or OATSTORE_ADMIN_KEY (the key named admin), or run with --dev to generate one for this run")

func serve(args []string, env Env, stderr io.Writer) error {
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	fs.SetOutput(stderr)
	listen := fs.String("listen", "127.0.0.1:8081", "address to listen on")
	dbPath := fs.String("db", "./oatstore.db", "SQLite database file (created if missing), or a postgres:// or postgresql:// URL for PostgreSQL shared by several replicas")
	dev := fs.Bool("dev", false, "generate and print missing admin and gateway keys (never in production)")
	// Not the env value as default: usage output would print it.
	adminKey := fs.String("admin-key", "", "the admin key named admin (default $OATSTORE_ADMIN_KEY)")
	adminKeysFile := fs.String("admin-keys-file", "", "file of named admin keys, one name=key per line, readable by its owner only (OATSTORE_ADMIN_KEYS=\"alice=KEY,bob=KEY\" adds more)")
	var gatewayKeys multi
	fs.Var(&gatewayKeys, "gateway-key", "gateway key; repeat while rotating (env OATSTORE_GATEWAY_KEY, comma-separated)")
	insecureIssuers := fs.Bool("insecure-loopback-issuers", env("OATSTORE_INSECURE_LOOPBACK_ISSUERS") == "true", "let trust policies name http:// OIDC issuers on loopback addresses, for tests and development only (env OATSTORE_INSECURE_LOOPBACK_ISSUERS=true)")
	privateIssuers := fs.Bool("allow-private-issuers", env("OATSTORE_ALLOW_PRIVATE_ISSUERS") == "true", "let discovery and key fetches of trust policies' issuers connect to private addresses (10/8, 172.16/12, 192.168/16, fc00::/7), e.g. a Kubernetes cluster's service-account issuer; link-local addresses such as cloud metadata stay refused (env OATSTORE_ALLOW_PRIVATE_ISSUERS=true)")
	federatedRetention := fs.String("federated-retention", or(env("OATSTORE_FEDERATED_RETENTION"), "24h"), "how long after a federated token expires or is revoked it is purged from the store; its audit entries stay (env OATSTORE_FEDERATED_RETENTION)")
	level := zapcore.InfoLevel
	fs.Var(&level, "log-level", "log level: debug, info, warn, error")
	hookOpts := webhookFlags(fs)
	usageRetention := fs.String("usage-retention", or(env("OATSTORE_USAGE_RETENTION"), "395d"), "how long hourly usage is kept, e.g. 395d (13 months) (env OATSTORE_USAGE_RETENTION)")
	activityRetention := fs.String("activity-retention", or(env("OATSTORE_ACTIVITY_RETENTION"), "90d"), "how long registry activity (pushes, deletes, inactive tokens presented) is kept; the management audit is kept for good (env OATSTORE_ACTIVITY_RETENTION)")
	pos, err := parse(fs, args)
	if err != nil {
		return err
	}
	if len(pos) != 0 {
		return usageErrorf("serve: unexpected argument %q", pos[0])
	}
	fedRetention, ok := parseDuration(*federatedRetention)
	if !ok || fedRetention < server.MinRetention {
		return usageErrorf("--federated-retention %q: want a duration of at least %s, e.g. 24h", *federatedRetention, server.MinRetention)
	}
	hooks := hookOpts(*dev)
	if err := webhookFlagsValid(hooks); err != nil {
		return err
	}
	var retention store.Retention
	for _, r := range []struct {
		flag, value string
		dst         *time.Duration
	}{{"usage-retention", *usageRetention, &retention.Usage}, {"activity-retention", *activityRetention, &retention.Activity}} {
		d, ok := parseDuration(r.value)
		if !ok || d < 24*time.Hour {
			return usageErrorf("--%s %q: want a duration of a day or more, e.g. 90d", r.flag, r.value)
		}
		*r.dst = d
	}
	if *adminKey == "" {
		*adminKey = env("OATSTORE_ADMIN_KEY")
	}
	if len(gatewayKeys) == 0 {
		for _, k := range strings.Split(env("OATSTORE_GATEWAY_KEY"), ",") {
			if k = strings.TrimSpace(k); k != "" {
				gatewayKeys = append(gatewayKeys, k)
			}
		}
	}
	if *dev {
		// Printed to stderr directly, not logged: a log pipeline must never
		// carry a key, and in dev mode the operator needs to see it once.
		if *adminKey == "" && *adminKeysFile == "" && env("OATSTORE_ADMIN_KEYS") == "" {
			*adminKey = randomKey()
			fmt.Fprintf(stderr, "dev mode: generated admin key (this run only):\n\texport OATSTORE_ADMIN_KEY=%s\n", *adminKey)
		}
		if len(gatewayKeys) == 0 {
			gatewayKeys = multi{randomKey()}
			fmt.Fprintf(stderr, "dev mode: generated gateway key (this run only):\n\texport OATSTORE_GATEWAY_KEY=%s\n", gatewayKeys[0])
		}
	}
	if *adminKey == "" && *adminKeysFile == "" && env("OATSTORE_ADMIN_KEYS") == "" {
		return errNoAdminKey
	}
	keys, err := adminkeys.Load(adminkeys.Sources{List: env("OATSTORE_ADMIN_KEYS"), File: *adminKeysFile, Single: *adminKey})
	if err != nil {
		return fmt.Errorf("loading admin keys: %w", err)
	}

	logger := newLogger(stderr, level)
	defer logger.Sync()

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()

	st, err := openStore(ctx, *dbPath)
	if err != nil {
		return err
	}
	defer st.Close()
	srv, err := server.New(server.Config{
		Store: st, AdminKeys: keys, GatewayKeys: gatewayKeys, Logger: logger, Retention: retention, Webhooks: hooks,
		Federation: server.FederationConfig{AllowLoopbackHTTP: *insecureIssuers, AllowPrivateIssuers: *privateIssuers, Retention: fedRetention},
	})
	if err != nil {
		return fmt.Errorf("starting server: %w", err)
	}
	ln, err := net.Listen("tcp", *listen)
	if err != nil {
		srv.Close()
		return fmt.Errorf("listening on %s: %w", *listen, err)
	}
	hs := &http.Server{
		Handler:           srv,
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       30 * time.Second,
		// Long polls of the revocation feed last up to a minute.
		WriteTimeout: 90 * time.Second,
		IdleTimeout:  2 * time.Minute,
		ErrorLog:     zap.NewStdLog(logger.Named("http")),
	}
	logger.Info("oatstore listening", zap.String("addr", ln.Addr().String()), zap.String("db", logSafe(*dbPath)), zap.Int("gateway_keys", len(gatewayKeys)))
	errc := make(chan error, 1)
	go func() { errc <- hs.Serve(ln) }()

	select {
	case err := <-errc:
		srv.Close()
		return fmt.Errorf("serving: %w", err)
	case <-ctx.Done():
	}
	logger.Info("oatstore shutting down")
	srv.Close() // ends long polls so Shutdown does not wait for them
	shutCtx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := hs.Shutdown(shutCtx); err != nil {
		return fmt.Errorf("shutting down: %w", err)
	}
	return nil
}

func randomKey() string {
	b := make([]byte, 32)
	_, _ = rand.Read(b) // crypto/rand.Read never fails on supported platforms
	return hex.EncodeToString(b)
}

func newLogger(w io.Writer, level zapcore.Level) *zap.Logger {
	enc := zap.NewProductionEncoderConfig()
	enc.EncodeTime = zapcore.ISO8601TimeEncoder
	core := zapcore.NewCore(zapcore.NewJSONEncoder(enc), zapcore.Lock(zapcore.AddSync(w)), level)
	return zap.New(core).Named("oatstore")
}
