package federation

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/oatgate/oatgate/testenv/oidcissuer"
)

// With every slot for signature checks taken, a token waits BusyWait and
// is refused with ErrBusy (never accepted, never ErrRefused); a slot freed
// lets the next one through.
func TestATokenFindingEveryCheckBusyIsErrBusy(t *testing.T) {
	iss, err := oidcissuer.New(oidcissuer.Options{Algorithm: oidcissuer.ES256})
	if err != nil {
		t.Fatal(err)
	}
	defer iss.Close()
	v := NewVerifier(VerifierConfig{Options: Options{AllowLoopbackHTTP: true}, MaxConcurrent: 1, BusyWait: 20 * time.Millisecond})
	jwt, err := iss.Mint(oidcissuer.GitHub("acme", "app", "refs/heads/main"))
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	if _, err := v.Verify(ctx, iss.URL(), jwt); err != nil {
		t.Fatalf("warming: %v", err)
	}
	v.checks <- struct{}{} // another token's check, running
	if _, err := v.Verify(ctx, iss.URL(), jwt); !errors.Is(err, ErrBusy) {
		t.Errorf("Verify with every check busy = %v, want ErrBusy", err)
	}
	<-v.checks
	if _, err := v.Verify(ctx, iss.URL(), jwt); err != nil {
		t.Errorf("Verify once a check is free = %v, want accepted", err)
	}
}
