package store

import (
	"errors"
	"fmt"
)

// Sentinel errors a Store returns (possibly wrapped); handlers map them to
// HTTP statuses with errors.Is.
var (
	// ErrNotFound: the org or token does not exist.
	ErrNotFound = errors.New("not found")
	// ErrConflict: the change collides with existing state (duplicate
	// label, reactivating a revoked token).
	ErrConflict = errors.New("conflict")
	// ErrLimit: the org already has as many tokens as it may.
	ErrLimit = errors.New("token limit reached")
	// ErrTooMany: the org already has as many active federated tokens as
	// it may (see TooManyError); the server answers 429.
	ErrTooMany = errors.New("too many active federated tokens")
	// ErrIDTokenSpent: the ID token was already exchanged
	// MaxExchangesPerIDToken times; the server refuses it (invalid_grant).
	ErrIDTokenSpent = errors.New("the ID token was exchanged as often as it may be")
	// ErrInvalid: the change breaks a rule that needs stored state to check
	// (extending an expiry, exceeding the org's maximum expiry).
	ErrInvalid = errors.New("invalid")
)

// LimitError says how many tokens an org has and may have. It matches
// ErrLimit with errors.Is.
type LimitError struct {
	Org   string
	Count int
	Max   int
}

func (e *LimitError) Error() string {
	return fmt.Sprintf("org %q has %d of %d tokens allowed; delete one or raise max_tokens", e.Org, e.Count, e.Max)
}

// Is makes errors.Is(err, ErrLimit) true.
func (e *LimitError) Is(target error) bool { return target == ErrLimit }

// Invalidf returns an error that matches ErrInvalid and whose message is
// meant for the client as is.
func Invalidf(format string, args ...any) error {
	return &messageError{kind: ErrInvalid, msg: fmt.Sprintf(format, args...)}
}

// Conflictf returns an error that matches ErrConflict and whose message is
// meant for the client as is.
func Conflictf(format string, args ...any) error {
	return &messageError{kind: ErrConflict, msg: fmt.Sprintf(format, args...)}
}

// messageError carries a client-facing message and the sentinel it matches.
type messageError struct {
	kind error
	msg  string
}

func (e *messageError) Error() string        { return e.msg }
func (e *messageError) Is(target error) bool { return target == e.kind }
