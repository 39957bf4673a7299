//go:build unix

package browser

import (
	"os/exec"
	"syscall"
)

// detach puts the launcher in its own process group, so a Ctrl-C meant for
// spcloud does not also close the browser it started.
func detach(cmd *exec.Cmd) {
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
}
