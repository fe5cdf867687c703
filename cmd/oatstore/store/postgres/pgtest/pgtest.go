// Package pgtest runs a throwaway PostgreSQL server for tests: one per test
// binary, started from TestMain with Main, on 127.0.0.1 and a unix socket
// in a temp dir, with fsync off, stopped with "pg_ctl stop -m immediate".
// It never touches another server. Each test gets its own database from
// NewDatabase.
//
// Without PostgreSQL installed, NewDatabase skips the test with a loud
// message, or fails it when CI=true: CI must not pass by skipping.
package pgtest

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"sort"
	"strconv"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
)

// server is the one running server of this test binary, or nil.
var (
	server *instance
	// unavailable says why there is no server.
	unavailable error
	dbSeq       atomic.Int64
)

type instance struct {
	bin  string // directory of initdb, pg_ctl, postgres
	dir  string // temp dir: data/, the socket, the log
	port int
	as   []string // the runuser prefix when running as root
}

// Main starts the server, runs the tests and stops the server; use it as
// os.Exit(pgtest.Main(m)) in TestMain.
func Main(m *testing.M) int {
	inst, err := start()
	if err != nil {
		unavailable = err
	} else {
		server = inst
		defer inst.stop()
	}
	return m.Run()
}

// NewDatabase creates an empty database on the test server and returns its
// connection URL.
func NewDatabase(t testing.TB) string {
	t.Helper()
	if server == nil {
		msg := fmt.Sprintf("\n\n*** PostgreSQL tests NOT RUN: %v ***\n*** install it: apt-get install -y postgresql ***\n\n", unavailable)
		if os.Getenv("CI") == "true" {
			t.Fatal(msg)
		}
		t.Skip(msg)
	}
	name := fmt.Sprintf("oat_%d_%d", os.Getpid(), dbSeq.Add(1))
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	conn, err := pgx.Connect(ctx, server.url("postgres"))
	if err != nil {
		t.Fatalf("connecting to the test server: %v", err)
	}
	defer conn.Close(ctx)
	// FILE_COPY with fsync off is much faster than WAL-logging template1.
	if _, err := conn.Exec(ctx, `CREATE DATABASE `+name+` STRATEGY FILE_COPY`); err != nil {
		t.Fatalf("creating database %s: %v", name, err)
	}
	return server.url(name)
}

func (i *instance) url(db string) string {
	return fmt.Sprintf("postgres://postgres@127.0.0.1:%d/%s?sslmode=disable", i.port, db)
}

// findBin returns the newest /usr/lib/postgresql/*/bin holding initdb, or
// the directory of initdb on PATH.
func findBin() (string, error) {
	dirs, _ := filepath.Glob("/usr/lib/postgresql/*/bin")
	sort.Slice(dirs, func(a, b int) bool { return version(dirs[a]) > version(dirs[b]) })
	for _, d := range dirs {
		if _, err := os.Stat(filepath.Join(d, "initdb")); err == nil {
			return d, nil
		}
	}
	if p, err := exec.LookPath("initdb"); err == nil {
		return filepath.Dir(p), nil
	}
	return "", errors.New("no initdb under /usr/lib/postgresql/*/bin or on PATH")
}

func version(binDir string) int {
	n, _ := strconv.Atoi(filepath.Base(filepath.Dir(binDir)))
	return n
}

func start() (*instance, error) {
	bin, err := findBin()
	if err != nil {
		return nil, err
	}
	dir, err := os.MkdirTemp("", "oatstore-pg-")
	if err != nil {
		return nil, fmt.Errorf("making temp dir: %w", err)
	}
	inst := &instance{bin: bin, dir: dir}
	// PostgreSQL refuses to run as root; as root, run it as nobody.
	if os.Geteuid() == 0 {
		u, err := user.Lookup("nobody")
		if err != nil {
			os.RemoveAll(dir)
			return nil, fmt.Errorf("running as root and no user nobody: %w", err)
		}
		uid, _ := strconv.Atoi(u.Uid)
		gid, _ := strconv.Atoi(u.Gid)
		if err := os.Chown(dir, uid, gid); err != nil {
			os.RemoveAll(dir)
			return nil, fmt.Errorf("handing %s to nobody: %w", dir, err)
		}
		inst.as = []string{"runuser", "-u", "nobody", "--"}
	}
	data := filepath.Join(dir, "data")
	if out, err := inst.run("initdb", "-D", data, "-U", "postgres", "--auth=trust", "--no-sync", "-E", "UTF8", "--locale=C"); err != nil {
		os.RemoveAll(dir)
		return nil, fmt.Errorf("initdb: %w\n%s", err, out)
	}
	// A port can be taken between choosing and binding it; try a few.
	for attempt := 0; attempt < 3; attempt++ {
		if inst.port, err = freePort(); err != nil {
			break
		}
		opts := fmt.Sprintf("-c listen_addresses=127.0.0.1 -p %d -k %s -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=200", inst.port, dir)
		var out []byte
		out, err = inst.run("pg_ctl", "start", "-w", "-t", "60", "-D", data, "-l", filepath.Join(dir, "log"), "-o", opts)
		if err == nil {
			return inst, nil
		}
		log, _ := os.ReadFile(filepath.Join(dir, "log"))
		err = fmt.Errorf("pg_ctl start: %w\n%s\n%s", err, out, log)
	}
	os.RemoveAll(dir)
	return nil, err
}

func (i *instance) run(tool string, args ...string) ([]byte, error) {
	argv := append(append(append([]string{}, i.as...), filepath.Join(i.bin, tool)), args...)
	cmd := exec.Command(argv[0], argv[1:]...)
	cmd.Dir = i.dir
	return cmd.CombinedOutput()
}

func (i *instance) stop() {
	if out, err := i.run("pg_ctl", "stop", "-D", filepath.Join(i.dir, "data"), "-m", "immediate", "-w"); err != nil {
		fmt.Fprintf(os.Stderr, "pgtest: stopping the test server: %v\n%s", err, out)
	}
	os.RemoveAll(i.dir)
}

func freePort() (int, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, fmt.Errorf("finding a free port: %w", err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port, nil
}
