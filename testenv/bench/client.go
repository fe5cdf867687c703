package bench

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"net/http"
	"sync"
	"sync/atomic"
	"time"
)

// newClient is an HTTP client that keeps up to conns idle connections to one
// host, so that conns workers never dial after warming up.
func newClient(conns int) *http.Client {
	return &http.Client{
		Transport: &http.Transport{
			MaxIdleConns:        conns,
			MaxIdleConnsPerHost: conns,
			IdleConnTimeout:     90 * time.Second,
			DisableCompression:  true,
		},
		Timeout: 10 * time.Minute,
	}
}

// BasicAuth is the Authorization header a registry client sends after
// docker login: org as username, token as password.
func BasicAuth(org, secret string) string {
	return "Basic " + base64.StdEncoding.EncodeToString([]byte(org+":"+secret))
}

// send makes one request, reads the body to its end and returns the status
// and the number of body bytes.
func send(ctx context.Context, c *http.Client, method, url, auth string) (int, int64, error) {
	req, err := http.NewRequestWithContext(ctx, method, url, nil)
	if err != nil {
		return 0, 0, err
	}
	if auth != "" {
		req.Header.Set("Authorization", auth)
	}
	return do(c, req)
}

// do sends req, reads the answer's body to its end and returns the status
// and the number of body bytes.
func do(c *http.Client, req *http.Request) (int, int64, error) {
	resp, err := c.Do(req)
	if err != nil {
		return 0, 0, fmt.Errorf("%s %s: %w", req.Method, req.URL.Path, err)
	}
	defer resp.Body.Close()
	n, err := io.Copy(io.Discard, resp.Body)
	if err != nil {
		return resp.StatusCode, n, fmt.Errorf("%s %s: reading the body: %w", req.Method, req.URL.Path, err)
	}
	return resp.StatusCode, n, nil
}

// forEach calls fn(i) for every i in [0, n) on conc workers and returns the
// first error; after an error the remaining calls are skipped.
func forEach(n, conc int, fn func(i int) error) error {
	var (
		next     atomic.Int64
		mu       sync.Mutex
		firstErr error
		wg       sync.WaitGroup
	)
	failed := func() bool { mu.Lock(); defer mu.Unlock(); return firstErr != nil }
	for range min(conc, n) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := int(next.Add(1) - 1)
				if i >= n || failed() {
					return
				}
				if err := fn(i); err != nil {
					mu.Lock()
					firstErr = errors.Join(firstErr, err)
					mu.Unlock()
					return
				}
			}
		}()
	}
	wg.Wait()
	return firstErr
}
