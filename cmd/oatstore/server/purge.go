package server

import (
	"context"
	"time"

	"go.uber.org/zap"
)

// purgeLoop deletes federated tokens some time after they end, every
// purge interval until Close: a CI system exchanging a token per job
// would otherwise grow the tokens table without bound. The audit keeps
// every exchange and revocation.
func (s *Server) purgeLoop() {
	tick := time.NewTicker(s.fed.interval)
	defer tick.Stop()
	for {
		select {
		case <-s.done:
			return
		case <-tick.C:
			s.purgeOnce()
		}
	}
}

// purgeOnce runs one purge of tokens ended before now minus the retention.
func (s *Server) purgeOnce() {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	n, err := s.store.PurgeFederated(ctx, s.now().Add(-s.fed.retention))
	if err != nil {
		s.log.Error("purging federated tokens", zap.Error(err))
		return
	}
	if n > 0 {
		s.log.Info("purged federated tokens", zap.Int("count", n), zap.Duration("retention", s.fed.retention))
	}
}
