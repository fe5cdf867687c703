package main

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"strings"
)

// keyFile returns the key kept in path, creating it (32 random bytes, hex,
// mode 0600) the first time. A restart of `make run` thereby keeps the
// keys it printed, so an exported OATSTORE_ADMIN_KEY or
// OATSTORE_GATEWAY_KEY keeps working.
func keyFile(path string) (string, error) {
	key, err := readSecretFile(path)
	if err == nil {
		if key == "" {
			return "", fmt.Errorf("%s is empty: delete it and a new key is made", path)
		}
		return key, nil
	}
	if !errors.Is(err, fs.ErrNotExist) {
		return "", err
	}
	b := make([]byte, 32)
	_, _ = rand.Read(b) // crypto/rand.Read never fails on supported platforms
	key = hex.EncodeToString(b)
	if err := writeSecretFile(path, []byte(key+"\n")); err != nil {
		return "", err
	}
	return key, nil
}

// readSecretFile reads a file that holds a secret, refusing one that others
// may read: a key or token in a world-readable file is as good as leaked.
func readSecretFile(path string) (string, error) {
	info, err := os.Stat(path)
	if err != nil {
		return "", err
	}
	if info.Mode().Perm()&0o077 != 0 {
		return "", fmt.Errorf("%s holds a secret but is readable by others (mode %v): chmod 600 %s", path, info.Mode().Perm(), path)
	}
	b, err := os.ReadFile(path)
	if err != nil {
		return "", err
	}
	return strings.TrimSpace(string(b)), nil
}

// writeSecretFile writes data to path with mode 0600, replacing it
// atomically so that a crash never leaves half a secret.
func writeSecretFile(path string, data []byte) error {
	tmp := path + ".tmp"
	f, err := os.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o600)
	if err != nil {
		return fmt.Errorf("writing %s: %w", path, err)
	}
	_, werr := f.Write(data)
	if cerr := f.Close(); werr == nil {
		werr = cerr
	}
	if werr == nil {
		werr = os.Rename(tmp, path)
	}
	if werr != nil {
		_ = os.Remove(tmp)
		return fmt.Errorf("writing %s: %w", path, werr)
	}
	return nil
}
