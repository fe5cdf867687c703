package bench

import (
	"context"
	"fmt"
	"net/http"
	"sync"

	"github.com/oatgate/oatgate/caddymodule/oat"
	"github.com/oatgate/oatgate/testenv"
)

// HerdResult is what the token store saw while a herd of requests hit a
// gateway with a cold cache.
type HerdResult struct {
	// Requests is how many requests were sent, Tokens how many distinct
	// tokens they carried.
	Requests, Tokens int
	// Introspections is how many introspection calls reached the store.
	Introspections int64
	// Statuses counts the answers by HTTP status.
	Statuses map[int]int
}

// FreshTokenHerd creates a token the gateway has never seen and sends n
// requests carrying it at once (GET /v2/, released together from n
// goroutines on n connections).
func FreshTokenHerd(ctx context.Context, env *testenv.Env, org string, n int) (HerdResult, error) {
	tok, err := env.Admin.CreateToken(ctx, org, testenv.TokenRequest{
		Label:  testenv.UniqueLabel("herd"),
		Scopes: []string{"repository:" + org + "/**:pull"},
	})
	if err != nil {
		return HerdResult{}, fmt.Errorf("creating the herd's token: %w", err)
	}
	auth := BasicAuth(org, tok.Secret)
	client := newClient(n)
	defer client.CloseIdleConnections()
	res := HerdResult{Requests: n, Tokens: 1, Statuses: map[int]int{}}
	before := env.Store.Introspections()

	var (
		start = make(chan struct{})
		wg    sync.WaitGroup
		mu    sync.Mutex
		errs  []error
	)
	for range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			status, _, err := send(ctx, client, http.MethodGet, env.GatewayURL+"/v2/", auth)
			mu.Lock()
			defer mu.Unlock()
			if err != nil {
				errs = append(errs, err)
				return
			}
			res.Statuses[status]++
		}()
	}
	close(start)
	wg.Wait()
	res.Introspections = env.Store.Introspections() - before
	if len(errs) > 0 {
		return res, fmt.Errorf("%d of %d requests failed, first: %w", len(errs), n, errs[0])
	}
	return res, nil
}

// GarbageHerd sends n requests, conc at a time, whose passwords are not
// tokens: a wrong prefix, a wrong checksum, wrong length or characters. None
// may reach the store.
func GarbageHerd(ctx context.Context, env *testenv.Env, org string, n, conc int) (HerdResult, error) {
	valid, err := oat.Generate()
	if err != nil {
		return HerdResult{}, err
	}
	good := valid.Reveal()
	garbage := func(i int) string {
		s := []byte(good)
		switch i % 4 {
		case 0: // another prefix
			copy(s, "tok_")
		case 1: // a typo in the secret: the checksum no longer matches
			j := len(oat.Prefix) + i%40
			s[j] = "ab"[i%2]
			if string(s) == good {
				s[j] = 'c'
			}
		case 2: // truncated
			s = s[:len(s)-1-i%10]
		default: // not base62
			s[len(oat.Prefix)+i%40] = '-'
		}
		return string(s)
	}
	return herdOf(ctx, env, org, n, conc, n, garbage)
}

// UnknownHerd sends tokens well-formed tokens the store has never issued,
// each repeats times (all of them, then all again), conc requests at a time.
// Within negative_ttl each may cost at most one introspection.
func UnknownHerd(ctx context.Context, env *testenv.Env, org string, tokens, repeats, conc int) (HerdResult, error) {
	secrets := make([]string, tokens)
	for i := range secrets {
		t, err := oat.Generate()
		if err != nil {
			return HerdResult{}, err
		}
		secrets[i] = t.Reveal()
	}
	return herdOf(ctx, env, org, tokens*repeats, conc, tokens, func(i int) string { return secrets[i%tokens] })
}

// herdOf sends n requests (GET /v2/), conc at a time, request i carrying
// the password secretOf(i), and counts the introspections they cause.
func herdOf(ctx context.Context, env *testenv.Env, org string, n, conc, tokens int, secretOf func(i int) string) (HerdResult, error) {
	client := newClient(conc)
	defer client.CloseIdleConnections()
	res := HerdResult{Requests: n, Tokens: tokens, Statuses: map[int]int{}}
	var mu sync.Mutex
	before := env.Store.Introspections()
	err := forEach(n, conc, func(i int) error {
		status, _, err := send(ctx, client, http.MethodGet, env.GatewayURL+"/v2/", BasicAuth(org, secretOf(i)))
		if err != nil {
			return err
		}
		mu.Lock()
		res.Statuses[status]++
		mu.Unlock()
		return nil
	})
	res.Introspections = env.Store.Introspections() - before
	return res, err
}
