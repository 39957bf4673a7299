//go:build !linux

package cli

import "os"

// isTerminal reports whether f is a character device other than the null
// device; only Linux asks the terminal itself.
func isTerminal(f *os.File) bool {
	st, err := f.Stat()
	return err == nil && st.Mode()&os.ModeCharDevice != 0 && f.Name() != os.DevNull
}

// withoutEcho runs read; hiding typed input is only implemented on Linux.
func withoutEcho(in any, read func() (string, error)) (string, bool, error) {
	s, err := read()
	return s, false, err
}
