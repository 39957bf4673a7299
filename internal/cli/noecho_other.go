//go:build !linux

package cli

// withoutEcho runs read; hiding typed input is only implemented on Linux.
func withoutEcho(in any, read func() (string, error)) (string, bool, error) {
	s, err := read()
	return s, false, err
}
