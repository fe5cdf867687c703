package caddymodule

import (
	"crypto/sha256"
	"encoding/hex"
	"sync/atomic"

	"github.com/caddyserver/caddy/v2"
	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"

	"github.com/oatgate/oatgate/caddymodule/verify"
)

// verifiers holds the verifier of every store configuration in use, shared
// by the handlers and the configs that use it. A config reload provisions
// the new config before cleaning up the old one, so a verifier whose store
// options did not change is loaded again, not rebuilt: its cache and its
// revocation poller carry on. Rebuilding would turn a reload during a store
// outage into 503s for every token cached a moment before, and a reload with
// the store up into an introspection of every token in use.
var verifiers = caddy.NewUsagePool()

// sharedVerifier is a verifier in the pool, with the relay its log lines go
// through.
type sharedVerifier struct {
	*verify.Verifier
	logs *logRelay
}

// Destruct stops the verifier once no loaded config uses it.
func (s *sharedVerifier) Destruct() error { return s.Close() }

// verifierKey names a verifier in the pool: every option of cfg (the store
// key redacted) and a hash of the key, so that a change of any store option
// or of the key builds a new verifier.
func verifierKey(cfg verify.Config, key string) string {
	sum := sha256.Sum256([]byte(key))
	return cfg.String() + " key-sha256:" + hex.EncodeToString(sum[:])
}

// loadVerifier returns the pooled verifier for cfg and key, building and
// starting it if no loaded config uses one, and points its logs at logger.
// The caller releases it with verifiers.Delete(poolKey).
func loadVerifier(cfg verify.Config, key string, logger *zap.Logger) (v *verify.Verifier, poolKey string, err error) {
	poolKey = verifierKey(cfg, key)
	val, _, err := verifiers.LoadOrNew(poolKey, func() (caddy.Destructor, error) {
		relay := newLogRelay(logger.Core())
		cfg.Logger = zap.New(relay).Named(logger.Name())
		v, err := verify.New(cfg)
		if err != nil {
			return nil, err
		}
		v.Start()
		return &sharedVerifier{Verifier: v, logs: relay}, nil
	})
	if err != nil {
		return nil, "", err
	}
	shared := val.(*sharedVerifier)
	shared.logs.set(logger.Core())
	return shared.Verifier, poolKey, nil
}

// logRelay is a zapcore.Core that writes through the core of the config
// provisioned last, so that a verifier kept across reloads logs where the
// current config's logging says, not into the writers of a config that is
// gone.
type logRelay struct {
	current atomic.Pointer[zapcore.Core]
}

func newLogRelay(core zapcore.Core) *logRelay {
	r := &logRelay{}
	r.set(core)
	return r
}

func (r *logRelay) set(core zapcore.Core) { r.current.Store(&core) }
func (r *logRelay) core() zapcore.Core    { return *r.current.Load() }

// Enabled implements zapcore.LevelEnabler.
func (r *logRelay) Enabled(l zapcore.Level) bool { return r.core().Enabled(l) }

// With implements zapcore.Core; the fields stay with the core current now.
func (r *logRelay) With(fields []zapcore.Field) zapcore.Core { return r.core().With(fields) }

// Check implements zapcore.Core.
func (r *logRelay) Check(e zapcore.Entry, ce *zapcore.CheckedEntry) *zapcore.CheckedEntry {
	return r.core().Check(e, ce)
}

// Write implements zapcore.Core.
func (r *logRelay) Write(e zapcore.Entry, fields []zapcore.Field) error {
	return r.core().Write(e, fields)
}

// Sync implements zapcore.Core.
func (r *logRelay) Sync() error { return r.core().Sync() }

// Interface guards
var (
	_ caddy.Destructor = (*sharedVerifier)(nil)
	_ zapcore.Core     = (*logRelay)(nil)
)
