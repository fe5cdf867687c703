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
	// by holds, for each event, the logger of the allowed outcome at
	// ReasonNone and of the denial for every other reason.
	by [decide.NumEvents][decide.NumReasons]*zap.Logger
}

func newUsageLog(base *zap.Logger) *usageLog {
	u := &usageLog{base: base}
	var buf [3]zap.Field
	for e := range decide.NumEvents {
		for r := range decide.NumReasons {
			outcome := decide.Deny
			if r == decide.ReasonNone {
				outcome = decide.Allow
			}
			ev := usage.Event{Event: e.String(), Decision: outcome.String(), Reason: r.String()}
			u.by[e][r] = base.With(ev.OutcomeFields(buf[:0])...)
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
	logger, fields := u.base, x.fields[:0]
	if x.event < decide.NumEvents && x.reason < decide.NumReasons && (x.outcome == decide.Allow) == (x.reason == decide.ReasonNone) {
		logger = u.by[x.event][x.reason]
	} else {
		fields = x.ev.OutcomeFields(fields)
	}
	ce := logger.Check(zapcore.InfoLevel, usage.Message)
	if ce == nil {
		return
	}
	fields = x.ev.RequestFields(fields)
	ce.Write(fields...)
	clear(fields)
}
