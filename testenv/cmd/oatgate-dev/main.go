// Command oatgate-dev is `make run`: the whole stack (registry, oatstore,
// gateway) on fixed local ports with its data in one folder, an org and a
// token ready, and the client lines that work against it. Ctrl-C stops it.
//
// A restart keeps what the last run printed: the admin and gateway keys
// and the quick-start token live in the run folder (mode 0600), and the
// token is reused while the store still says it is active, so an exported
// key or a `docker login` survives, and restarts do not pile tokens up
// toward the org's limit.
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"log"
	"os"
	"os/signal"
	"path/filepath"
	"syscall"
	"time"

	"github.com/oatgate/oatgate/testenv"
)

// config is the command line (and environment) of one run.
type config struct {
	dir                        string
	gateway, registry, store   string
	org                        string
	adminKeyEnv, gatewayKeyEnv string // OATSTORE_ADMIN_KEY, OATSTORE_GATEWAY_KEY; override the kept keys
}

// Files in the run folder that hold secrets, all mode 0600.
const (
	adminKeyFile   = "admin.key"
	gatewayKeyFile = "gateway.key"
	tokenFile      = "quickstart.token"
)

func main() {
	var cfg config
	flag.StringVar(&cfg.dir, "dir", ".oatgate", "folder for the registry's storage, the database, the logs, the keys and the quick-start token")
	flag.StringVar(&cfg.gateway, "gateway", "127.0.0.1:5080", "gateway listen address")
	flag.StringVar(&cfg.registry, "registry", "127.0.0.1:5000", "registry listen address")
	flag.StringVar(&cfg.store, "store", "127.0.0.1:8081", "oatstore listen address")
	flag.StringVar(&cfg.org, "org", "acme", "organization to create")
	flag.Parse()
	cfg.adminKeyEnv = os.Getenv("OATSTORE_ADMIN_KEY")
	cfg.gatewayKeyEnv = os.Getenv("OATSTORE_GATEWAY_KEY")

	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	env, err := start(ctx, cfg, os.Stdout)
	cancel()
	if err != nil {
		log.Fatalf("make run: %v", err)
	}
	defer env.Close()

	stop := make(chan os.Signal, 1)
	signal.Notify(stop, os.Interrupt, syscall.SIGTERM)
	<-stop
	fmt.Println("\nstopping...")
}

// start brings the stack up with the kept keys and token and prints the
// instructions to out. The caller closes the environment.
func start(ctx context.Context, cfg config, out io.Writer) (*testenv.Env, error) {
	dir, err := filepath.Abs(cfg.dir)
	if err != nil {
		return nil, err
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, err
	}
	adminKey, err := keyOrFile(cfg.adminKeyEnv, filepath.Join(dir, adminKeyFile))
	if err != nil {
		return nil, err
	}
	gatewayKey, err := keyOrFile(cfg.gatewayKeyEnv, filepath.Join(dir, gatewayKeyFile))
	if err != nil {
		return nil, err
	}
	env, err := testenv.Start(testenv.Options{
		Dir:          dir,
		GatewayAddr:  cfg.gateway,
		RegistryAddr: cfg.registry,
		StoreAddr:    cfg.store,
		AdminKey:     adminKey,
		GatewayKey:   gatewayKey,
		Metrics:      true,
	})
	if err != nil {
		return nil, fmt.Errorf("starting the stack: %w", err)
	}
	tok, reused, err := keptToken(ctx, env, cfg.org, filepath.Join(dir, tokenFile))
	if err != nil {
		env.Close()
		return nil, fmt.Errorf("the quick-start token: %w", err)
	}
	fmt.Fprint(out, testenv.Instructions(env, cfg.org, tok))
	if reused {
		fmt.Fprintf(out, "The token is the one the last run printed; it is still active.\n")
	}
	fmt.Fprintf(out, "Keys and token are kept for the next run in %s: %s, %s, %s (mode 0600;\ndelete one to get a new one).\n\n",
		dir, adminKeyFile, gatewayKeyFile, tokenFile)
	fmt.Fprintf(out, "Ctrl-C stops everything; data stays in %s\n", dir)
	return env, nil
}

// keyOrFile is the key from the environment when set, else the one kept in
// path (made on the first run).
func keyOrFile(fromEnv, path string) (string, error) {
	if fromEnv != "" {
		return fromEnv, nil
	}
	return keyFile(path)
}
