// Package clients pushes and pulls a small multi-layer image through the
// gateway with real registry clients — Debian's skopeo, go-containerregistry
// (crane's library) and oras-go — and checks that a pull-only token's push
// fails with the denial visible to the client. Findings about how the
// clients differ are in COMPATIBILITY.md. It holds no library code.
package clients
