// Command oatgate-dev is `make run`: the whole stack (registry, oatstore,
// gateway) on fixed local ports with its data in one folder, an org and a
// token ready, and the client lines that work against it. Ctrl-C stops it.
package main

import (
	"context"
	"flag"
	"fmt"
	"log"
	"os"
	"os/signal"
	"path/filepath"
	"syscall"
	"time"

	"github.com/oatgate/oatgate/testenv"
)

func main() {
	dir := flag.String("dir", ".oatgate", "folder for the registry's storage, the database and the logs")
	gateway := flag.String("gateway", "127.0.0.1:5080", "gateway listen address")
	registry := flag.String("registry", "127.0.0.1:5000", "registry listen address")
	store := flag.String("store", "127.0.0.1:8081", "oatstore listen address")
	org := flag.String("org", "acme", "organization to create")
	flag.Parse()

	abs, err := filepath.Abs(*dir)
	if err != nil {
		log.Fatal(err)
	}
	env, err := testenv.Start(testenv.Options{
		Dir:          abs,
		GatewayAddr:  *gateway,
		RegistryAddr: *registry,
		StoreAddr:    *store,
		LogsToStderr: false,
		AdminKey:     os.Getenv("OATSTORE_ADMIN_KEY"),
	})
	if err != nil {
		log.Fatalf("starting the stack: %v", err)
	}
	defer env.Close()

	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	tok, err := testenv.QuickStart(ctx, env, *org)
	cancel()
	if err != nil {
		log.Fatalf("creating the quick-start token: %v", err)
	}
	fmt.Print(testenv.Instructions(env, *org, tok))

	stop := make(chan os.Signal, 1)
	signal.Notify(stop, os.Interrupt, syscall.SIGTERM)
	<-stop
	fmt.Println("\nstopping...")
}
