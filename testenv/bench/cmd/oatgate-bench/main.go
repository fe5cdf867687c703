// Command oatgate-bench runs the gateway's performance measurements on the
// real stack (testenv) and prints them as one table with the machine's core
// count: the micro-benchmarks (from `go test -bench` output files given with
// -micro), the side-by-side load run of a bare reverse_proxy against
// registry_auth + reverse_proxy, the 64 MiB and 1 GiB streaming runs with
// the gateway process's peak RSS, and the cold-cache herds counted at the
// token store. `make bench` runs it.
package main

import (
	"context"
	"flag"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/oatgate/oatgate/testenv"
	"github.com/oatgate/oatgate/testenv/bench"
)

func main() {
	var (
		oatgateBin   = flag.String("oatgate", "bin/oatgate", "the oatgate binary the streaming runs start as a process of its own")
		micro        = flag.String("micro", "", "comma-separated files of `go test -bench -benchmem` output to include")
		conc         = flag.Int("concurrency", 32, "side by side: requests in flight")
		requests     = flag.Int("requests", 2500, "side by side: requests per side per round")
		rounds       = flag.Int("rounds", 8, "side by side: measured rounds per side, alternating which goes first")
		streamRounds = flag.Int("stream-rounds", 3, "streaming: pulls per side per blob size")
		markdown     = flag.String("markdown", "", "also write the table as Markdown to this file")
	)
	flag.Parse()
	loadBefore := bench.LoadAverage()
	rows, err := run(*oatgateBin, *micro, bench.LoadConfig{Concurrency: *conc, Requests: *requests, Rounds: *rounds}, *streamRounds)
	rows = append(rows, bench.Row{Figure: "machine load average (1 min), before / after the end-to-end runs", Value: loadBefore + " / " + bench.LoadAverage()})
	fmt.Printf("\noatgate benchmarks, %s\n%s\n\n", time.Now().UTC().Format("2006-01-02"), bench.Machine())
	_ = bench.WriteTable(os.Stdout, rows)
	if *markdown != "" {
		f, ferr := os.Create(*markdown)
		if ferr == nil {
			ferr = bench.WriteMarkdown(f, time.Now().UTC(), rows)
			if cerr := f.Close(); ferr == nil {
				ferr = cerr
			}
		}
		if ferr != nil {
			fmt.Fprintln(os.Stderr, "writing the Markdown table:", ferr)
		}
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "oatgate-bench:", err)
		os.Exit(1)
	}
}

func run(oatgateBin, microFiles string, load bench.LoadConfig, streamRounds int) ([]bench.Row, error) {
	var rows []bench.Row
	if microFiles != "" {
		all := map[string]bench.Micro{}
		for _, name := range strings.Split(microFiles, ",") {
			f, err := os.Open(name)
			if err != nil {
				return rows, err
			}
			m, err := bench.ParseMicro(f)
			f.Close()
			if err != nil {
				return rows, fmt.Errorf("reading %s: %w", name, err)
			}
			maps.Copy(all, m)
		}
		rows = bench.Micros(all)
	}

	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Minute)
	defer cancel()
	env, err := testenv.Start(testenv.Options{Bare: true, Gateway: map[string]any{
		// Longer than the run, so that a repeated unknown token can only
		// reach the store again through a defect.
		"negative_ttl": "10m",
		// The herds come from one address: the per-address bound on
		// unknown tokens (60 a minute by default) would answer most of
		// the unknown herd 429 before the refusal cache is measured. The
		// bound has tests of its own (TestUnknownTokensAreBoundedPerClientAddress).
		"unknown_tokens_per_minute": -1,
	}})
	if err != nil {
		return rows, err
	}
	defer env.Close()
	const org = "acme"
	if err := env.Admin.SetOrg(ctx, org, testenv.OrgMaxTokens); err != nil {
		return rows, err
	}
	tok, err := env.Admin.CreateToken(ctx, org, testenv.TokenRequest{Label: "bench", Scopes: []string{"repository:acme/**:pull,push"}})
	if err != nil {
		return rows, err
	}
	if err := env.WaitForFeed(10 * time.Second); err != nil {
		return rows, err
	}

	fmt.Fprintln(os.Stderr, "side by side: pushing a small image, then", load.Rounds, "rounds of", load.Requests, "requests per side at concurrency", load.Concurrency)
	mix, err := bench.PushSmallImage(ctx, env.GatewayHost, org+"/app", "v1", org, tok.Secret)
	if err != nil {
		return rows, err
	}
	bare := bench.NewTarget("bare", env.BareURL, load.Concurrency)
	gw := bench.NewTarget("gateway", env.GatewayURL, load.Concurrency)
	a, b, err := bench.SideBySide(ctx, mix, bare, gw, load)
	if err != nil {
		return rows, err
	}
	rows = append(rows, sideBySideRows(a, b, load)...)

	fmt.Fprintln(os.Stderr, "herds: 1,000 concurrent requests with a fresh token, 10,000 garbage tokens, 10,000 unknown tokens twice")
	herdRows, err := herds(ctx, env, org)
	rows = append(rows, herdRows...)
	if err != nil {
		return rows, err
	}

	fmt.Fprintln(os.Stderr, "streaming: starting", oatgateBin, "as a process of its own")
	dir, err := os.MkdirTemp("", "oatgate-bench-")
	if err != nil {
		return rows, err
	}
	defer os.RemoveAll(dir)
	p, err := bench.StartGatewayProcess(oatgateBin, dir, env)
	if err != nil {
		return rows, err
	}
	defer p.Close()
	streamRows, err := streams(ctx, p, org, tok.Secret, streamRounds)
	return append(rows, streamRows...), err
}

func sideBySideRows(a, b bench.LoadResult, load bench.LoadConfig) []bench.Row {
	ratio := bench.MedianRatio(&a, &b)
	added := bench.MedianAddedP99(&a, &b)
	mix := fmt.Sprintf("manifest HEAD+GET, blob GET, tags list; concurrency %d, %d rounds × %d requests", load.Concurrency, load.Rounds, load.Requests)
	return []bench.Row{
		{Figure: "side by side: " + mix},
		{Figure: "  A bare reverse_proxy", Value: fmt.Sprintf("%.0f req/s, p50 %s, p99 %s", a.RPS(), bench.Duration(a.Quantile(0.5)), bench.Duration(a.Quantile(0.99)))},
		{Figure: "  B registry_auth + reverse_proxy", Value: fmt.Sprintf("%.0f req/s, p50 %s, p99 %s", b.RPS(), bench.Duration(b.Quantile(0.5)), bench.Duration(b.Quantile(0.99)))},
		{Figure: "  throughput ratio B/A, median of rounds (of totals)", Value: fmt.Sprintf("%.3f (%.3f)", ratio, b.RPS()/a.RPS()), Goal: "≥ 0.95", Met: bench.Verdict(ratio >= 0.95)},
		{Figure: "  added p99 B - A, median of rounds (of totals)", Value: fmt.Sprintf("%s (%s)", bench.Duration(added), bench.Duration(b.Quantile(0.99)-a.Quantile(0.99))), Goal: "≤ 200 µs", Met: bench.Verdict(added <= 200*time.Microsecond)},
	}
}

func herds(ctx context.Context, env *testenv.Env, org string) ([]bench.Row, error) {
	var rows []bench.Row
	row := func(figure string, res bench.HerdResult, want int64, goal string) {
		rows = append(rows, bench.Row{Figure: figure, Value: fmt.Sprintf("%d introspections (answers %v)", res.Introspections, res.Statuses), Goal: goal, Met: bench.Verdict(res.Introspections == want)})
	}
	res, err := bench.FreshTokenHerd(ctx, env, org, 1000)
	if err != nil {
		return rows, err
	}
	row("herd: 1,000 concurrent requests, one fresh token", res, 1, "exactly 1")
	if res, err = bench.GarbageHerd(ctx, env, org, 10_000, 32); err != nil {
		return rows, err
	}
	row("herd: 10,000 garbage tokens", res, 0, "0")
	if res, err = bench.UnknownHerd(ctx, env, org, 10_000, 2, 32); err != nil {
		return rows, err
	}
	row("herd: 10,000 unknown tokens, each sent twice", res, 10_000, "≤ 1 each per negative_ttl (10,000)")
	return rows, nil
}

func streams(ctx context.Context, p *bench.GatewayProcess, org, secret string, rounds int) ([]bench.Row, error) {
	var rows []bench.Row
	auth := bench.BasicAuth(org, secret)
	var peaks []int64
	for i, size := range []int64{64 << 20, 1 << 30} {
		fmt.Fprintf(os.Stderr, "streaming: pushing %s in 64 MiB PATCHes through the gateway, then %d pulls per side\n", bench.Size(size), rounds)
		res, err := bench.Stream(ctx, p, filepath.Join(org, "big"), auth, size, rounds, byte(i+1))
		if err != nil {
			return rows, err
		}
		ratio := res.Ratio
		rows = append(rows,
			bench.Row{Figure: fmt.Sprintf("stream %s: A bare / B gateway", bench.Size(size)), Value: fmt.Sprintf("%.0f / %.0f MiB/s", res.BareMBps, res.GatewayMBps)},
			bench.Row{Figure: fmt.Sprintf("stream %s: throughput ratio B/A, median of rounds", bench.Size(size)), Value: fmt.Sprintf("%.3f", ratio), Goal: "≥ 0.97", Met: bench.Verdict(ratio >= 0.97)},
			bench.Row{Figure: fmt.Sprintf("stream %s: gateway process peak RSS", bench.Size(size)), Value: bench.MiB(res.PeakRSS)},
		)
		peaks = append(peaks, res.PeakRSS)
	}
	growth := peaks[1] - peaks[0]
	rows = append(rows, bench.Row{Figure: "stream: peak RSS growth, 64 MiB -> 1 GiB", Value: bench.MiB(growth), Goal: "≤ 20 MiB", Met: bench.Verdict(growth <= 20<<20)})
	rows = append(rows, bench.Row{Figure: "stream: 1 GiB pushed in 64 MiB PATCHes through the gateway, digest checked on a pull", Value: "ok"})
	return rows, nil
}
