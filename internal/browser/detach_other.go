//go:build !unix

package browser

import "os/exec"

// detach does nothing on platforms without process groups.
func detach(cmd *exec.Cmd) {}
