package browser

import (
	"errors"
	"os"
	"runtime"
	"strings"
)

// The environment variables that name the browser command, in order of
// precedence.
const (
	// EnvBrowser names spcloud's own browser command; it wins over BROWSER.
	EnvBrowser = "SPCLOUD_BROWSER"
	// EnvSystemBrowser is the conventional BROWSER variable.
	EnvSystemBrowser = "BROWSER"
)

// ErrNoCommand is returned when no browser command can be found.
var ErrNoCommand = errors.New("no browser command configured")

// Command returns the program and arguments that open url: the first of
// Commands.
func Command(url string, getenv func(string) string, goos string) (name string, args []string, err error) {
	cmds, err := Commands(url, getenv, goos)
	if err != nil {
		return "", nil, err
	}
	return cmds[0][0], cmds[0][1:], nil
}

// Commands returns the commands that may open url, each as program and
// arguments, to be tried in order: from SPCLOUD_BROWSER, then BROWSER (both
// read with getenv, os.Getenv when nil), then the default of the platform
// goos (runtime.GOOS when empty). Outside Windows a variable may list
// several commands separated by ":", as xdg-open and Python's webbrowser
// read BROWSER. A "%s" in an argument is replaced by url; without one, url
// is the last argument.
func Commands(url string, getenv func(string) string, goos string) ([][]string, error) {
	if getenv == nil {
		getenv = os.Getenv
	}
	if goos == "" {
		goos = runtime.GOOS
	}
	var lines []string
	for _, key := range []string{EnvBrowser, EnvSystemBrowser} {
		if v := strings.TrimSpace(getenv(key)); v != "" {
			lines = []string{v}
			if goos != "windows" {
				lines = strings.Split(v, ":")
			}
			break
		}
	}
	var cmds [][]string
	for _, line := range lines {
		if parts := strings.Fields(line); len(parts) > 0 {
			cmds = append(cmds, withURL(parts, url))
		}
	}
	if len(lines) == 0 {
		if parts := DefaultCommand(goos); len(parts) > 0 {
			cmds = append(cmds, withURL(parts, url))
		}
	}
	if len(cmds) == 0 {
		return nil, ErrNoCommand
	}
	return cmds, nil
}

// withURL puts url into a command's arguments.
func withURL(parts []string, url string) []string {
	cmd := append([]string(nil), parts...)
	substituted := false
	for i, a := range cmd[1:] {
		if strings.Contains(a, "%s") {
			cmd[i+1] = strings.ReplaceAll(a, "%s", url)
			substituted = true
		}
	}
	if !substituted {
		cmd = append(cmd, url)
	}
	return cmd
}

// DefaultCommand is the platform's own way to open a URL, without the URL.
func DefaultCommand(goos string) []string {
	switch goos {
	case "darwin", "ios":
		return []string{"open"}
	case "windows":
		return []string{"rundll32", "url.dll,FileProtocolHandler"}
	default:
		return []string{"xdg-open"}
	}
}
