package federation

import (
	"errors"
	"fmt"
)

// The outcomes other than acceptance. Both are wrapped with a reason for
// oatstore's own log; neither reason is ever sent to the client, which
// learns only that its token was refused, so that probing a policy claim
// by claim teaches nothing.
var (
	// ErrRefused: the token is not good — malformed, badly signed, an
	// algorithm outside RS256/ES256/EdDSA, expired or not yet valid, the
	// wrong issuer or audience, or no policy's claims match.
	ErrRefused = errors.New("id token refused")
	// ErrUnavailable: the token could not be checked, because the issuer's
	// discovery document or keys could not be fetched and none are
	// cached. The caller answers 503 and the client retries.
	ErrUnavailable = errors.New("issuer unavailable")
	// ErrBusy: as many signature checks as VerifierConfig.MaxConcurrent
	// allows ran for longer than VerifierConfig.BusyWait. The caller
	// answers 429 (or 503) and the client retries.
	ErrBusy = errors.New("too many ID tokens being verified")
)

func refused(format string, args ...any) error {
	return fmt.Errorf("%w: %s", ErrRefused, fmt.Sprintf(format, args...))
}

func unavailable(issuer string, err error) error {
	return fmt.Errorf("%w: %s: %v", ErrUnavailable, issuer, err)
}
