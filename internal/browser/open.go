package browser

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os/exec"
	"strings"
	"time"
)

// DefaultSettle is how long Launch watches a started launcher for a quick
// failure before it assumes the browser is opening.
const DefaultSettle = time.Second

// LaunchError reports a browser command that could not be started or that
// exited with an error within the settle time.
type LaunchError struct {
	Command string // the program, e.g. "xdg-open"
	Err     error
}

// Error names the command and why it failed.
func (e *LaunchError) Error() string { return fmt.Sprintf("%s: %v", e.Command, e.Err) }

// Unwrap returns the cause.
func (e *LaunchError) Unwrap() error { return e.Err }

// ErrUnsafeURL is returned for a URL that is not an absolute http or https
// URL; such a URL is never handed to a command.
var ErrUnsafeURL = errors.New("refusing to open a URL that is not http or https")

// Opener opens URLs in a browser. The zero value prints to nowhere, reads the
// process environment and uses the running platform's default.
type Opener struct {
	// Stderr receives the URL and notes about failed launches (nil: discarded).
	Stderr io.Writer
	// NoBrowser only prints the URL.
	NoBrowser bool
	// Getenv reads the environment; os.Getenv when nil.
	Getenv func(string) string
	// GOOS picks the platform default; runtime.GOOS when empty.
	GOOS string
	// Settle is how long to watch for a launcher failing; DefaultSettle when 0.
	Settle time.Duration
}

// Open prints url to stderr and opens it in the browser (see Opener.Open).
func Open(ctx context.Context, url string, stderr io.Writer) error {
	return (&Opener{Stderr: stderr}).Open(ctx, url)
}

// Open prints url, then, unless NoBrowser is set, launches the browser. A
// failed launch is printed as a note and is not an error: the person can
// still open the printed URL. Open returns an error only when ctx ends.
func (o *Opener) Open(ctx context.Context, url string) error {
	w := o.stderr()
	Announce(w, url, o.NoBrowser)
	if o.NoBrowser {
		return nil
	}
	if err := o.Launch(ctx, url); err != nil {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		ReportFailure(w, err)
	}
	return nil
}

// Launch starts the browser command on url without printing anything,
// trying each of Commands in turn until one starts. It returns a
// *LaunchError when none can start or all exit non-zero within the settle
// time; a command still running by then is left alone and reaped when it
// exits. The browser is not stopped when ctx ends.
func (o *Opener) Launch(ctx context.Context, rawURL string) error {
	if err := checkURL(rawURL); err != nil {
		return err
	}
	cmds, err := Commands(rawURL, o.Getenv, o.GOOS)
	if err != nil {
		return err
	}
	var failures []error
	for _, c := range cmds {
		err := o.launch(ctx, c[0], c[1:])
		if err == nil || ctx.Err() != nil {
			return err
		}
		failures = append(failures, err)
	}
	if len(failures) == 1 {
		return failures[0]
	}
	return launchErrors(failures)
}

// launchErrors are the failures of every command of a BROWSER list, shown
// on one line.
type launchErrors []error

func (e launchErrors) Error() string {
	msgs := make([]string, len(e))
	for i, err := range e {
		msgs[i] = err.Error()
	}
	return strings.Join(msgs, "; ")
}

func (e launchErrors) Unwrap() []error { return e }

// launch starts one command and watches it for the settle time.
func (o *Opener) launch(ctx context.Context, name string, args []string) error {
	cmd := exec.Command(name, args...)
	// Stdin, Stdout and Stderr stay nil (the null device): a browser's chatter
	// must not mix with the command's output.
	detach(cmd)
	if err := cmd.Start(); err != nil {
		return &LaunchError{Command: name, Err: err}
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }() // always reaps the child
	settle := o.Settle
	if settle <= 0 {
		settle = DefaultSettle
	}
	timer := time.NewTimer(settle)
	defer timer.Stop()
	select {
	case err := <-exited:
		if err != nil {
			return &LaunchError{Command: name, Err: err}
		}
		return nil
	case <-timer.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

func (o *Opener) stderr() io.Writer {
	if o.Stderr == nil {
		return io.Discard
	}
	return o.Stderr
}

// Announce prints the line that comes before every attempt to open url, so
// the URL is on screen whatever happens next.
func Announce(w io.Writer, url string, noBrowser bool) {
	if noBrowser {
		fmt.Fprintf(w, "Open this URL in your browser to continue:\n\n  %s\n\n", url)
		return
	}
	fmt.Fprintf(w, "Opening %s in your browser. If it does not open, visit the URL yourself.\n", url)
}

// ReportFailure prints the note for a browser that could not be opened.
func ReportFailure(w io.Writer, err error) {
	fmt.Fprintf(w, "Could not open a browser (%v). Visit the URL above yourself; still waiting.\n", err)
}

func checkURL(raw string) error {
	if !IsWebURL(raw) || strings.ContainsAny(raw, " \t\r\n") {
		return ErrUnsafeURL
	}
	return nil
}
