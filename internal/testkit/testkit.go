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
	"io/fs"
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

// FixturesDir is the contract's fixtures folder: shared/spec/fixtures,
// beside the module's folder.
func FixturesDir(t testing.TB) string {
	t.Helper()
	root, err := moduleRoot()
	if err != nil {
		t.Fatal(err)
	}
	return filepath.Join(root, "..", "shared", "spec", "fixtures")
}

// Fixture returns the golden file name of the API contract (the api folder
// of FixturesDir).
func Fixture(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(FixturesDir(t), "api", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// CopyProject copies the fixture project name (reference-project, say) of
// FixturesDir into a fresh temporary folder and returns the copy's root.
func CopyProject(t testing.TB, name string) string {
	t.Helper()
	dst := filepath.Join(t.TempDir(), name)
	CopyTree(t, filepath.Join(FixturesDir(t), name), dst)
	return dst
}

// CopyTree copies the folder src into dst, making the copies writable by
// their owner only (files 0600, folders 0700) whatever the originals are.
func CopyTree(t testing.TB, src, dst string) {
	t.Helper()
	err := filepath.WalkDir(src, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(src, path)
		target := filepath.Join(dst, rel)
		if d.IsDir() {
			return os.MkdirAll(target, 0o700)
		}
		b, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		return os.WriteFile(target, b, 0o600)
	})
	if err != nil {
		t.Fatal(err)
	}
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
