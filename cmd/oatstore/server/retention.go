package server

import (
	"context"
	"time"

	"go.uber.org/zap"
)

// DefaultPruneEvery is how often usage and registry activity past their
// retention are deleted unless Config.PruneEvery says otherwise.
const DefaultPruneEvery = time.Hour

// prune deletes usage and registry activity past s's retention every
// interval, at the store's clock, until Close. Replicas sharing a database
// each prune: deleting what is already gone costs a scan of an index.
func (s *Server) prune(every time.Duration) {
	defer close(s.pruned)
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-s.done:
			return
		case <-t.C:
			s.pruneOnce()
		}
	}
}

func (s *Server) pruneOnce() {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	n, err := s.store.Prune(ctx, s.retention, s.now())
	if err != nil {
		s.log.Warn("pruning usage and registry activity; retrying at the next interval", zap.Error(err))
		return
	}
	if n.Usage+n.Activity+n.Batches > 0 {
		s.log.Info("pruned usage and registry activity past retention",
			zap.Int64("usage_hours", n.Usage), zap.Int64("registry_actions", n.Activity), zap.Int64("batch_ids", n.Batches))
	}
}
