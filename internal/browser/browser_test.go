package browser

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"
)

const testURL = "https://example.invalid/authorize?state=abc&x=1"

func TestCommand(t *testing.T) {
	tests := []struct {
		name     string
		env      map[string]string
		goos     string
		wantName string
		wantArgs []string
	}{
		{"linux default", nil, "linux", "xdg-open", []string{testURL}},
		{"freebsd default", nil, "freebsd", "xdg-open", []string{testURL}},
		{"macOS default", nil, "darwin", "open", []string{testURL}},
		{"windows default", nil, "windows", "rundll32", []string{"url.dll,FileProtocolHandler", testURL}},
		{"BROWSER", map[string]string{"BROWSER": "firefox"}, "linux", "firefox", []string{testURL}},
		{"SPCLOUD_BROWSER wins", map[string]string{"BROWSER": "firefox", "SPCLOUD_BROWSER": "chromium"}, "linux", "chromium", []string{testURL}},
		{"blank SPCLOUD_BROWSER ignored", map[string]string{"BROWSER": "firefox", "SPCLOUD_BROWSER": "  "}, "linux", "firefox", []string{testURL}},
		{"arguments appended", map[string]string{"SPCLOUD_BROWSER": "firefox  --new-window"}, "linux", "firefox", []string{"--new-window", testURL}},
		{"%s substituted", map[string]string{"BROWSER": "chromium --app=%s --incognito"}, "darwin", "chromium", []string{"--app=" + testURL, "--incognito"}},
		{"a list: the first", map[string]string{"BROWSER": "w3m -N:firefox"}, "linux", "w3m", []string{"-N", testURL}},
		{"no list on Windows", map[string]string{"BROWSER": `C:\b\b.exe`}, "windows", `C:\b\b.exe`, []string{testURL}},
		{"empty entries skipped", map[string]string{"BROWSER": ":firefox"}, "linux", "firefox", []string{testURL}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			getenv := func(k string) string { return tt.env[k] }
			name, args, err := Command(testURL, getenv, tt.goos)
			if err != nil {
				t.Fatal(err)
			}
			if name != tt.wantName || !reflect.DeepEqual(args, tt.wantArgs) {
				t.Errorf("Command = %q %q, want %q %q", name, args, tt.wantName, tt.wantArgs)
			}
		})
	}
}

// recorder writes a launcher script that records its arguments, one per
// line, in a file, and returns the script and the file.
func recorder(t *testing.T, name string) (script, out string) {
	t.Helper()
	if runtime.GOOS == "windows" {
		t.Skip("shell scripts")
	}
	dir := t.TempDir()
	out = filepath.Join(dir, name+".args")
	script = filepath.Join(dir, name)
	body := "#!/bin/sh\nfor a in \"$@\"; do printf '%s\\n' \"$a\"; done > '" + out + "'\n"
	if err := os.WriteFile(script, []byte(body), 0o755); err != nil {
		t.Fatal(err)
	}
	return script, out
}

func waitFile(t *testing.T, path string) string {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for {
		b, err := os.ReadFile(path)
		if err == nil && len(b) > 0 {
			return string(b)
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s was not written", path)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func TestOpenEnvPrecedence(t *testing.T) {
	mine, mineOut := recorder(t, "mine")
	sys, sysOut := recorder(t, "system")
	t.Setenv(EnvBrowser, mine+" --flag")
	t.Setenv(EnvSystemBrowser, sys)
	var stderr bytes.Buffer
	if err := Open(context.Background(), testURL, &stderr); err != nil {
		t.Fatal(err)
	}
	if got := waitFile(t, mineOut); got != "--flag\n"+testURL+"\n" {
		t.Errorf("SPCLOUD_BROWSER got arguments %q", got)
	}
	if _, err := os.Stat(sysOut); !os.IsNotExist(err) {
		t.Errorf("BROWSER was run although SPCLOUD_BROWSER is set")
	}
	want := "Opening " + testURL + " in your browser. If it does not open, visit the URL yourself.\n"
	if stderr.String() != want {
		t.Errorf("stderr = %q, want %q", stderr.String(), want)
	}

	// Without SPCLOUD_BROWSER, BROWSER is used.
	t.Setenv(EnvBrowser, "")
	if err := Open(context.Background(), testURL, &stderr); err != nil {
		t.Fatal(err)
	}
	if got := waitFile(t, sysOut); got != testURL+"\n" {
		t.Errorf("BROWSER got arguments %q", got)
	}
}

// A BROWSER list is tried in order: a command that fails gives way to the
// next, and the ones after a success are not run.
func TestOpenTriesTheList(t *testing.T) {
	if _, err := os.Stat("/bin/false"); err != nil {
		t.Skip("no /bin/false")
	}
	second, secondOut := recorder(t, "second")
	third, thirdOut := recorder(t, "third")
	t.Setenv(EnvBrowser, "")
	t.Setenv(EnvSystemBrowser, "/bin/false:"+filepath.Join(t.TempDir(), "missing")+":"+second+" --new:"+third)
	var stderr bytes.Buffer
	if err := Open(context.Background(), testURL, &stderr); err != nil {
		t.Fatal(err)
	}
	if got := waitFile(t, secondOut); got != "--new\n"+testURL+"\n" {
		t.Errorf("the second command got %q", got)
	}
	if strings.Contains(stderr.String(), "Could not open") {
		t.Errorf("a launch that worked was reported as failed: %q", stderr.String())
	}
	if _, err := os.Stat(thirdOut); !os.IsNotExist(err) {
		t.Error("the command after the one that worked was run too")
	}

	// All failing: one report naming each.
	t.Setenv(EnvSystemBrowser, "/bin/false:/bin/false --x")
	stderr.Reset()
	if err := Open(context.Background(), testURL, &stderr); err != nil {
		t.Fatal(err)
	}
	if out := stderr.String(); strings.Count(out, "/bin/false") != 2 || !strings.Contains(out, "Could not open a browser") {
		t.Errorf("stderr = %q", out)
	}
}

func TestOpenFailedLaunchIsNotAnError(t *testing.T) {
	if _, err := os.Stat("/bin/false"); err != nil {
		t.Skip("no /bin/false")
	}
	tests := []struct{ name, cmd string }{
		{"exits non-zero", "/bin/false"},
		{"does not exist", filepath.Join(t.TempDir(), "no-such-browser")},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Setenv(EnvBrowser, tt.cmd)
			var stderr bytes.Buffer
			start := time.Now()
			if err := Open(context.Background(), testURL, &stderr); err != nil {
				t.Fatalf("Open = %v, want nil", err)
			}
			if d := time.Since(start); d > 900*time.Millisecond {
				t.Errorf("Open took %s to notice a failed launch", d)
			}
			out := stderr.String()
			if !strings.HasPrefix(out, "Opening "+testURL+" in your browser.") {
				t.Errorf("URL not printed first: %q", out)
			}
			if !strings.Contains(out, "Could not open a browser") {
				t.Errorf("failure not reported: %q", out)
			}
			// Launch itself reports the failure.
			err := (&Opener{}).Launch(context.Background(), testURL)
			var le *LaunchError
			if !errors.As(err, &le) {
				t.Errorf("Launch = %v, want *LaunchError", err)
			}
		})
	}
}

func TestNoBrowserOnlyPrints(t *testing.T) {
	script, out := recorder(t, "never")
	t.Setenv(EnvBrowser, script)
	var stderr bytes.Buffer
	o := &Opener{Stderr: &stderr, NoBrowser: true}
	if err := o.Open(context.Background(), testURL); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(stderr.String(), testURL) {
		t.Errorf("URL not printed: %q", stderr.String())
	}
	time.Sleep(50 * time.Millisecond)
	if _, err := os.Stat(out); !os.IsNotExist(err) {
		t.Error("the browser was started in no-browser mode")
	}
}

func TestLaunchDoesNotWaitAndReaps(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("reads /proc")
	}
	dir := t.TempDir()
	pidFile := filepath.Join(dir, "pid")
	script := filepath.Join(dir, "slow")
	body := "#!/bin/sh\necho $$ > '" + pidFile + "'\nsleep 0.4\n"
	if err := os.WriteFile(script, []byte(body), 0o755); err != nil {
		t.Fatal(err)
	}
	o := &Opener{Getenv: func(k string) string {
		if k == EnvBrowser {
			return script
		}
		return ""
	}, Settle: 100 * time.Millisecond}
	start := time.Now()
	if err := o.Launch(context.Background(), testURL); err != nil {
		t.Fatalf("Launch = %v", err)
	}
	if d := time.Since(start); d > 350*time.Millisecond {
		t.Errorf("Launch waited %s for a running browser", d)
	}
	pid, err := strconv.Atoi(strings.TrimSpace(waitFile(t, pidFile)))
	if err != nil {
		t.Fatal(err)
	}
	// Once the launcher exits it must be reaped: no zombie left in /proc.
	deadline := time.Now().Add(5 * time.Second)
	for {
		if _, err := os.Stat("/proc/" + strconv.Itoa(pid)); os.IsNotExist(err) {
			return
		}
		if time.Now().After(deadline) {
			stat, _ := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
			t.Fatalf("launcher %d not reaped: %s", pid, stat)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func TestLaunchRefusesUnsafeURLs(t *testing.T) {
	for _, u := range []string{"file:///etc/passwd", "javascript:alert(1)", "--help", "https://a.example/x y", ""} {
		if err := (&Opener{}).Launch(context.Background(), u); !errors.Is(err, ErrUnsafeURL) {
			t.Errorf("Launch(%q) = %v, want ErrUnsafeURL", u, err)
		}
	}
}

func TestPresent(t *testing.T) {
	var stderr bytes.Buffer
	called := 0
	failing := func(context.Context, string) error { called++; return errors.New("boom") }
	if err := Present(context.Background(), &stderr, testURL, false, failing); err != nil {
		t.Fatal(err)
	}
	out := stderr.String()
	if called != 1 || !strings.HasPrefix(out, "Opening "+testURL) || !strings.Contains(out, "Could not open a browser (boom)") {
		t.Errorf("called %d, stderr %q", called, out)
	}
	stderr.Reset()
	if err := Present(context.Background(), &stderr, testURL, true, failing); err != nil || called != 1 {
		t.Errorf("no-browser mode opened the browser (err %v)", err)
	}
	if !strings.Contains(stderr.String(), testURL) {
		t.Errorf("no-browser mode did not print the URL: %q", stderr.String())
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := Present(ctx, nil, testURL, false, func(ctx context.Context, _ string) error { return ctx.Err() }); !errors.Is(err, context.Canceled) {
		t.Errorf("Present after cancel = %v", err)
	}
}
