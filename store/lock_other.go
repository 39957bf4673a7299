//go:build !unix

package store

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"time"
)

// lockFile takes a lock by creating path exclusively, waiting at most
// timeout. Where flock is missing a crashed writer may leave the file; it is
// taken over once older than the timeout.
func lockFile(path string, timeout time.Duration) (func(), error) {
	deadline := time.Now().Add(timeout)
	for {
		f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, FileMode)
		if err == nil {
			f.Close()
			return func() { os.Remove(path) }, nil
		}
		if !errors.Is(err, fs.ErrExist) {
			return nil, err
		}
		if st, serr := os.Stat(path); serr == nil && time.Since(st.ModTime()) > timeout {
			os.Remove(path)
			continue
		}
		if time.Now().After(deadline) {
			return nil, fmt.Errorf("another spcloud process holds %s for more than %s", path, timeout)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func syncDir(string) {}
