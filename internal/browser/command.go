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

// Command returns the program and arguments that open url: from
// SPCLOUD_BROWSER, then BROWSER (both read with getenv, os.Getenv when nil),
// then the default of the platform goos (runtime.GOOS when empty).
func Command(url string, getenv func(string) string, goos string) (name string, args []string, err error) {
	if getenv == nil {
		getenv = os.Getenv
	}
	if goos == "" {
		goos = runtime.GOOS
	}
	var parts []string
	for _, key := range []string{EnvBrowser, EnvSystemBrowser} {
		if v := strings.TrimSpace(getenv(key)); v != "" {
			parts = strings.Fields(v)
			break
		}
	}
	if parts == nil {
		parts = DefaultCommand(goos)
	}
	if len(parts) == 0 {
		return "", nil, ErrNoCommand
	}
	name, args = parts[0], append([]string(nil), parts[1:]...)
	substituted := false
	for i, a := range args {
		if strings.Contains(a, "%s") {
			args[i] = strings.ReplaceAll(a, "%s", url)
			substituted = true
		}
	}
	if !substituted {
		args = append(args, url)
	}
	return name, args, nil
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
