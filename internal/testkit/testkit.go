// Package testkit holds the test helpers that the tests of several packages
// share: the contract's golden files, loopback ports, a server for a handler,
// a buffer safe for concurrent writes, and a small fake browser.
//
// Only _test.go files import it; nothing in the spcloud library or command
// does. It imports the standard library only, so the tests of any package
// (the emulator's included) can use it without an import cycle.
package testkit

import (
	"bytes"
	"errors"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"testing"
)

// Fixture returns the golden file name of the API contract
// (shared/spec/fixtures/api, beside the module's folder).
func Fixture(t testing.TB, name string) []byte {
	t.Helper()
	root, err := moduleRoot()
	if err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(filepath.Join(root, "..", "shared", "spec", "fixtures", "api", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// moduleRoot is the folder of go.mod above the working directory, which
// `go test` sets to the package's folder.
func moduleRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir, nil
		}
		up := filepath.Dir(dir)
		if up == dir {
			return "", errors.New("testkit: no go.mod above the working directory")
		}
		dir = up
	}
}

// FreePort returns a port on 127.0.0.1 that nothing listens on (it was free
// a moment ago).
func FreePort(t testing.TB) int {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}

// PortOf returns the port of a URL, such as a redirect URI.
func PortOf(t testing.TB, rawURL string) int {
	t.Helper()
	u, err := url.Parse(rawURL)
	if err != nil {
		t.Fatal(err)
	}
	p, err := strconv.Atoi(u.Port())
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// AssertFreed checks that the callback server's port can be listened on
// again.
func AssertFreed(t testing.TB, port int) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:"+strconv.Itoa(port))
	if err != nil {
		t.Fatalf("callback port %d not freed: %v", port, err)
	}
	ln.Close()
}

// Serve serves h (an emulator, say) over real HTTP on loopback until the
// test ends; then it closes h first, which ends its open streams, and the
// server after.
func Serve(t testing.TB, h interface {
	http.Handler
	Close()
}) *httptest.Server {
	t.Helper()
	srv := httptest.NewServer(h)
	t.Cleanup(func() {
		h.Close()
		srv.Close()
	})
	return srv
}

// SyncBuffer is a bytes.Buffer safe for the writes of several goroutines.
type SyncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (s *SyncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.buf.Write(p)
}

// String returns what was written so far.
func (s *SyncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.buf.String()
}
