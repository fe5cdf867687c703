package bench

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"hash"
	"io"
	"math/rand/v2"
	"net/http"
	"net/url"
	"time"
)

// blobSource is the content of a generated blob: size pseudo-random bytes
// from a fixed seed, so that a blob of any size exists without being stored.
func blobSource(size int64, seed byte) io.Reader {
	var s [32]byte
	s[0] = seed
	return io.LimitReader(rand.NewChaCha8(s), size)
}

// PushBlob uploads a generated blob of size bytes to repository through
// base (the gateway) in chunked PATCHes of chunk bytes, then commits it with
// its SHA-256, which the registry checks. It returns the digest.
func PushBlob(ctx context.Context, c *http.Client, base, repository, auth string, size, chunk int64, seed byte) (string, error) {
	location, err := uploadStep(ctx, c, http.MethodPost, base+"/v2/"+repository+"/blobs/uploads/", auth, nil, -1, "", http.StatusAccepted)
	if err != nil {
		return "", err
	}
	h := sha256.New()
	src := io.TeeReader(blobSource(size, seed), h)
	for start := int64(0); start < size; start += chunk {
		n := min(chunk, size-start)
		loc, err := resolve(base, location)
		if err != nil {
			return "", err
		}
		location, err = uploadStep(ctx, c, http.MethodPatch, loc, auth, io.LimitReader(src, n), n,
			fmt.Sprintf("%d-%d", start, start+n-1), http.StatusAccepted)
		if err != nil {
			return "", err
		}
	}
	digest := "sha256:" + hex.EncodeToString(h.Sum(nil))
	loc, err := resolve(base, location)
	if err != nil {
		return "", err
	}
	u, err := url.Parse(loc)
	if err != nil {
		return "", err
	}
	q := u.Query()
	q.Set("digest", digest)
	u.RawQuery = q.Encode()
	if _, err := uploadStep(ctx, c, http.MethodPut, u.String(), auth, nil, 0, "", http.StatusCreated); err != nil {
		return "", fmt.Errorf("committing %s: %w", digest, err)
	}
	return digest, nil
}

// uploadStep sends one request of an upload and returns the Location of the
// next step.
func uploadStep(ctx context.Context, c *http.Client, method, u, auth string, body io.Reader, n int64, contentRange string, want int) (string, error) {
	req, err := http.NewRequestWithContext(ctx, method, u, body)
	if err != nil {
		return "", err
	}
	req.Header.Set("Authorization", auth)
	if n >= 0 {
		req.ContentLength = n
		req.Header.Set("Content-Type", "application/octet-stream")
	}
	if contentRange != "" {
		req.Header.Set("Content-Range", contentRange)
	}
	resp, err := c.Do(req)
	if err != nil {
		return "", fmt.Errorf("%s upload: %w", method, err)
	}
	defer resp.Body.Close()
	msg, _ := io.ReadAll(io.LimitReader(resp.Body, 4096))
	if resp.StatusCode != want {
		return "", fmt.Errorf("%s upload: got %s %s, want %d", method, resp.Status, msg, want)
	}
	return resp.Header.Get("Location"), nil
}

func resolve(base, location string) (string, error) {
	b, err := url.Parse(base)
	if err != nil {
		return "", err
	}
	l, err := url.Parse(location)
	if err != nil {
		return "", fmt.Errorf("upload location %q: %w", location, err)
	}
	// The registry names itself in Location; the next step must go through
	// the same front as this one.
	l.Scheme, l.Host = b.Scheme, b.Host
	return l.String(), nil
}

// Pull is one download of a blob.
type Pull struct {
	Bytes   int64
	Elapsed time.Duration
	// Digest is set when the pull was hashed.
	Digest string
}

// MBps is the pull's throughput in MiB/s.
func (p Pull) MBps() float64 { return float64(p.Bytes) / (1 << 20) / p.Elapsed.Seconds() }

// PullBlob downloads a blob through base; with verify it hashes what it
// reads, which costs CPU the timed pulls should not pay.
func PullBlob(ctx context.Context, c *http.Client, base, repository, digest, auth string, verify bool) (Pull, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, base+"/v2/"+repository+"/blobs/"+digest, nil)
	if err != nil {
		return Pull{}, err
	}
	req.Header.Set("Authorization", auth)
	start := time.Now()
	resp, err := c.Do(req)
	if err != nil {
		return Pull{}, fmt.Errorf("pulling %s: %w", digest, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return Pull{}, fmt.Errorf("pulling %s through %s: got %s, want 200", digest, base, resp.Status)
	}
	var h hash.Hash
	w := io.Discard
	if verify {
		h = sha256.New()
		w = h
	}
	n, err := io.Copy(w, resp.Body)
	p := Pull{Bytes: n, Elapsed: time.Since(start)}
	if err != nil {
		return p, fmt.Errorf("pulling %s: %w", digest, err)
	}
	if h != nil {
		p.Digest = "sha256:" + hex.EncodeToString(h.Sum(nil))
	}
	return p, nil
}

// StreamResult is a blob pulled through both sides, and the gateway
// process's peak memory while it was.
type StreamResult struct {
	Size int64
	// BareMBps and GatewayMBps are the mean throughputs over the rounds.
	BareMBps, GatewayMBps float64
	// Ratio is the median over rounds of the gateway's throughput over the
	// bare proxy's in the same round.
	Ratio float64
	// PeakRSS is the gateway process's highest peak resident set size
	// during a pull through the gateway.
	PeakRSS int64
}

// Stream pushes a generated blob of size bytes through the gateway in
// chunked PATCHes, checks a pull of it through the gateway against its
// digest, then pulls it rounds times through each side, alternating, and
// records the process's peak RSS during the gateway's pulls.
func Stream(ctx context.Context, p *GatewayProcess, repository, auth string, size int64, rounds int, seed byte) (StreamResult, error) {
	c := newClient(2)
	defer c.CloseIdleConnections()
	res := StreamResult{Size: size}
	digest, err := PushBlob(ctx, c, p.GatewayURL, repository, auth, size, 64<<20, seed)
	if err != nil {
		return res, err
	}
	check, err := PullBlob(ctx, c, p.GatewayURL, repository, digest, auth, true)
	if err != nil {
		return res, err
	}
	if check.Digest != digest || check.Bytes != size {
		return res, fmt.Errorf("pulled %d bytes with digest %s, want %d bytes with %s", check.Bytes, check.Digest, size, digest)
	}
	var bareBytes, gatewayBytes int64
	var bareTime, gatewayTime time.Duration
	var bareRounds, gatewayRounds []float64
	for round := range 2 * rounds {
		gateway := round%2 == 1
		if round/2%2 == 1 {
			gateway = !gateway // ABBA: neither side always goes first
		}
		base := p.BareURL
		if gateway {
			base = p.GatewayURL
			if err := p.ResetPeakRSS(); err != nil {
				return res, fmt.Errorf("resetting the peak RSS: %w", err)
			}
		}
		pull, err := PullBlob(ctx, c, base, repository, digest, auth, false)
		if err != nil {
			return res, err
		}
		if pull.Bytes != size {
			return res, fmt.Errorf("pulled %d bytes through %s, want %d", pull.Bytes, base, size)
		}
		if !gateway {
			bareBytes, bareTime = bareBytes+pull.Bytes, bareTime+pull.Elapsed
			bareRounds = append(bareRounds, pull.MBps())
			continue
		}
		gatewayBytes, gatewayTime = gatewayBytes+pull.Bytes, gatewayTime+pull.Elapsed
		gatewayRounds = append(gatewayRounds, pull.MBps())
		peak, err := p.PeakRSS()
		if err != nil {
			return res, err
		}
		res.PeakRSS = max(res.PeakRSS, peak)
	}
	res.BareMBps = float64(bareBytes) / (1 << 20) / bareTime.Seconds()
	res.GatewayMBps = float64(gatewayBytes) / (1 << 20) / gatewayTime.Seconds()
	res.Ratio = median(rounds, func(i int) float64 { return gatewayRounds[i] / bareRounds[i] })
	return res, nil
}
