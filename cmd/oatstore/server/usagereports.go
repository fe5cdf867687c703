package server

import (
	"errors"
	"net/http"
	"strings"

	"go.uber.org/zap"

	"github.com/oatgate/oatgate/caddymodule/storeapi"
)

// usageReport answers POST /v1/usage-reports, a gateway's batch (gateway
// key): 200 with {"duplicate":false} once applied, {"duplicate":true} for
// a batch applied before (the gateway drops it either way), with
// "skipped":n when n items were left out (storeapi.ParseUsageReport: one
// bad item never costs the batch), 400 for a batch the store must not
// apply at all (the gateway would send it again in vain: it logs and
// drops it), 413 past storeapi's bounds, compressed or
// not, 415 for a body that is not JSON or gzip-compressed JSON.
func (s *Server) usageReport(w http.ResponseWriter, r *http.Request) {
	if ct := r.Header.Get("Content-Type"); ct != "" && !strings.HasPrefix(strings.ToLower(ct), "application/json") {
		writeError(w, http.StatusUnsupportedMediaType, codeMediaType, "a usage report is application/json")
		return
	}
	var gzipped bool
	switch enc := strings.ToLower(strings.TrimSpace(r.Header.Get("Content-Encoding"))); enc {
	case "":
	case "gzip":
		gzipped = true
	default:
		writeError(w, http.StatusUnsupportedMediaType, codeMediaType, "Content-Encoding "+enc+" is not accepted; send gzip or none")
		return
	}
	rep, err := storeapi.DecodeUsageReport(http.MaxBytesReader(w, r.Body, storeapi.MaxUsageReportBytes), gzipped)
	var tooBig *http.MaxBytesError
	switch {
	case errors.As(err, &tooBig) || errors.Is(err, storeapi.ErrUsageReportTooLarge):
		writeError(w, http.StatusRequestEntityTooLarge, codeTooLarge, "usage report too large; send smaller batches")
		return
	case err != nil:
		badRequest(w, "%v", err)
		return
	}
	if rep.Skipped > 0 {
		s.log.Warn("usage report items skipped; the rest of the batch is applied",
			zap.String("batch", rep.ID), zap.Int("skipped", rep.Skipped), zap.String("why", rep.Why))
	}
	res, err := s.store.IngestUsage(r.Context(), rep, s.now())
	if err != nil {
		s.fail(w, err, "")
		return
	}
	if ce := s.log.Check(zap.DebugLevel, "usage report"); ce != nil {
		ce.Write(zap.String("batch", rep.ID), zap.Int("counts", len(rep.Counts)), zap.Int("actions", len(rep.Actions)), zap.Bool("duplicate", res.Duplicate))
	}
	writeJSON(w, http.StatusOK, storeapi.UsageReportAnswer{Duplicate: res.Duplicate, Skipped: rep.Skipped})
}
