package caddymodule

import (
	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"

	"github.com/oatgate/oatgate/caddymodule/decide"
	"github.com/oatgate/oatgate/caddymodule/usage"
)

// usageLog writes usage events. Every event starts with its outcome fields
// (event, decision, reason), which take few combinations: a child logger per
// combination carries them already encoded, so that a request encodes only
// the rest. The lines are those usage.Write writes, field for field and in
// the same order: zap puts a logger's own fields right after the message.
type usageLog struct {
	base *zap.Logger
	// by holds the logger of each (event, outcome, reason) a decision can
	// have: allowed and challenged at ReasonNone, denied at every other
	// reason. The other slots are nil.
	by [decide.NumEvents][decide.NumOutcomes][decide.NumReasons]*zap.Logger
}

func newUsageLog(base *zap.Logger) *usageLog {
	u := &usageLog{base: base}
	var buf [3]zap.Field
	for e := range decide.NumEvents {
		for o := range decide.NumOutcomes {
			for r := range decide.NumReasons {
				if (o == decide.Deny) != (r != decide.ReasonNone) {
					continue
				}
				ev := usage.Event{Event: e.String(), Decision: o.String(), Reason: r.String()}
				u.by[e][o][r] = base.With(ev.OutcomeFields(buf[:0])...)
			}
		}
	}
	return u
}

// write logs x's usage event, building its fields in x instead of in a
// buffer that escapes to the heap through zap's variadic Write.
func (u *usageLog) write(x *exchange) {
	if u == nil {
		return
	}
	var logger *zap.Logger
	if x.event < decide.NumEvents && x.outcome < decide.NumOutcomes && x.reason < decide.NumReasons {
		logger = u.by[x.event][x.outcome][x.reason]
	}
	fields := x.fields[:0]
	if logger == nil {
		logger, fields = u.base, x.ev.OutcomeFields(fields)
	}
	ce := logger.Check(zapcore.InfoLevel, usage.Message)
	if ce == nil {
		return
	}
	fields = x.ev.RequestFields(fields)
	ce.Write(fields...)
	clear(fields)
}
