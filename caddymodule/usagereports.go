package caddymodule

import (
	"crypto/sha256"
	"encoding/hex"
	"slices"
	"strings"
	"time"

	"github.com/caddyserver/caddy/v2"
	"go.uber.org/zap"

	"github.com/oatgate/oatgate/caddymodule/decide"
	"github.com/oatgate/oatgate/caddymodule/registryreq"
	"github.com/oatgate/oatgate/caddymodule/storeapi"
	"github.com/oatgate/oatgate/caddymodule/usagereport"
)

// reporters holds the usage reporter of every store configuration in use,
// as verifiers holds the verifiers: a reload that keeps the store options
// keeps the reporter, its counts and its unsent batches, and the reporter
// is flushed and stopped when the last config using it is cleaned up. A
// reporter rebuilt at every reload would report under a new instance id
// with nothing lost, but flush a partial interval each time.
var reporters = caddy.NewUsagePool()

// sharedReporter is a reporter in the pool, with the relay its log lines
// go through.
type sharedReporter struct {
	*usagereport.Reporter
	logs *logRelay
}

// Destruct flushes and stops the reporter once no loaded config uses it.
func (s *sharedReporter) Destruct() error { return s.Close() }

// reporterConfig is the usage reporter's config, or false when reports
// are off.
func (ra *RegistryAuth) reporterConfig(key string) (usagereport.Config, bool) {
	if ra.UsageReports != nil && !*ra.UsageReports {
		return usagereport.Config{}, false
	}
	return usagereport.Config{
		StoreURLs: slices.Clone(ra.stores),
		StoreKey:  key,
		Interval:  time.Duration(ra.UsageReportInterval),
		Buffer:    ra.UsageReportBuffer,
		Timeout:   time.Duration(ra.Timeout),
	}, true
}

// loadReporter returns the pooled reporter for cfg, building and starting
// it if no loaded config uses one. The caller releases it with
// reporters.Delete(poolKey).
func loadReporter(cfg usagereport.Config, logger *zap.Logger, observer usagereport.Observer) (r *usagereport.Reporter, poolKey string, err error) {
	sum := sha256.Sum256([]byte(cfg.StoreKey))
	poolKey = cfg.String() + " key-sha256:" + hex.EncodeToString(sum[:])
	val, _, err := reporters.LoadOrNew(poolKey, func() (caddy.Destructor, error) {
		relay := newLogRelay(logger.Core())
		cfg.Logger = zap.New(relay).Named(logger.Name())
		cfg.Observer = observer
		r, err := usagereport.New(cfg)
		if err != nil {
			return nil, err
		}
		r.Start()
		return &sharedReporter{Reporter: r, logs: relay}, nil
	})
	if err != nil {
		return nil, "", err
	}
	shared := val.(*sharedReporter)
	shared.logs.set(logger.Core())
	return shared.Reporter, poolKey, nil
}

// report hands x's finished registry request to the usage reporter: its
// event, what the request was on, and for a pushed manifest the digest the
// registry answered with. Token endpoint requests are not registry
// requests: they are in the usage log only.
func (ra *RegistryAuth) report(x *exchange) {
	if ra.reports == nil || x.ev.TokenID == "" || x.event == decide.EventToken {
		return
	}
	req := usagereport.Request{Event: &x.ev, At: x.start}
	switch x.kind {
	case registryreq.Manifest:
		req.Target = usagereport.Manifest
		if x.ev.Method == "PUT" && x.ev.Status < 300 && x.ev.Status >= 200 {
			req.PushedDigest = pushedDigest(x)
		}
	case registryreq.Blob:
		req.Target = usagereport.Blob
	}
	if x.refusal != nil && x.refusal.Known() {
		req.Inactive = x.refusal.Reason
		if req.Inactive == storeapi.ReasonUnknown {
			req.Inactive = storeapi.ReasonRevoked // known but not said why: refused all the same
		}
	}
	ra.reports.Record(req)
}

// pushedDigest is the Docker-Content-Digest the registry answered a
// manifest PUT with, if it looks like a digest.
func pushedDigest(x *exchange) string {
	if x.cw.ResponseWriter == nil {
		return ""
	}
	d := x.cw.Header().Get("Docker-Content-Digest")
	if len(d) > 200 || !strings.Contains(d, ":") {
		return ""
	}
	return d
}
