package adversarial

import (
	"bufio"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"
)

// wire is a request written byte for byte on a raw connection, so that
// nothing on the client side cleans the path, the method or the headers.
type wire struct {
	method string
	// target is the request-target exactly as sent.
	target string
	// header lines, in order; a name may repeat.
	header [][2]string
	body   string
}

func (w wire) with(name, value string) wire {
	w.header = append(append([][2]string(nil), w.header...), [2]string{name, value})
	return w
}

// get, head, post, ... build a wire with no headers.
func req(method, target string) wire { return wire{method: method, target: target} }

// basic is the value of a Basic Authorization header.
func basic(user, pass string) string {
	return "Basic " + base64.StdEncoding.EncodeToString([]byte(user+":"+pass))
}

// send writes w to addr on a fresh connection and reads the answer.
func send(t *testing.T, addr string, w wire) (*http.Response, []byte) {
	t.Helper()
	conn, err := net.DialTimeout("tcp", addr, 5*time.Second)
	if err != nil {
		t.Fatalf("dialing %s: %v", addr, err)
	}
	defer conn.Close()
	_ = conn.SetDeadline(time.Now().Add(30 * time.Second))
	var b strings.Builder
	fmt.Fprintf(&b, "%s %s HTTP/1.1\r\nHost: %s\r\n", w.method, w.target, addr)
	for _, h := range w.header {
		fmt.Fprintf(&b, "%s: %s\r\n", h[0], h[1])
	}
	if w.body != "" || w.method == http.MethodPost || w.method == http.MethodPut || w.method == http.MethodPatch {
		fmt.Fprintf(&b, "Content-Length: %d\r\n", len(w.body))
	}
	b.WriteString("Connection: close\r\n\r\n")
	b.WriteString(w.body)
	if _, err := io.WriteString(conn, b.String()); err != nil {
		t.Fatalf("writing the request: %v", err)
	}
	resp, err := http.ReadResponse(bufio.NewReader(conn), &http.Request{Method: w.method})
	if err != nil {
		t.Fatalf("reading the answer to %s %q: %v", w.method, w.target, err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	return resp, body
}

// errorCode is the first registry error code of a JSON error envelope, or
// "" when the body is not one.
func errorCode(body []byte) string {
	var env struct {
		Errors []struct {
			Code string `json:"code"`
		} `json:"errors"`
	}
	if json.Unmarshal(body, &env) != nil || len(env.Errors) == 0 {
		return ""
	}
	return env.Errors[0].Code
}
