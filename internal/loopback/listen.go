package loopback

import (
	"errors"
	"fmt"
	"net"
	"strconv"
	"syscall"
)

// Host is the only address the server listens on.
const Host = "127.0.0.1"

// ErrPortInUse is wrapped by the error of a pinned port that is taken.
var ErrPortInUse = errors.New("port in use")

// listen opens the listener: port when it is free (or when pin is set, port
// or nothing), else any free port.
func listen(port int, pin bool) (net.Listener, error) {
	if port < 0 || port > 65535 {
		return nil, fmt.Errorf("invalid callback port %d (want 1-65535)", port)
	}
	if port != 0 {
		ln, err := net.Listen("tcp", net.JoinHostPort(Host, strconv.Itoa(port)))
		if err == nil {
			return ln, nil
		}
		if pin {
			if errors.Is(err, syscall.EADDRINUSE) {
				return nil, fmt.Errorf("cannot listen on %s:%d: %w by another program; stop it or choose another --callback-port", Host, port, ErrPortInUse)
			}
			return nil, fmt.Errorf("cannot listen on %s:%d: %w", Host, port, err)
		}
	}
	ln, err := net.Listen("tcp", net.JoinHostPort(Host, "0"))
	if err != nil {
		return nil, fmt.Errorf("cannot listen on %s: %w", Host, err)
	}
	return ln, nil
}
