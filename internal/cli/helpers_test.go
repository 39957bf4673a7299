package cli

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/spcloud/spcloud/emulator"
	"github.com/spcloud/spcloud/internal/person"
	"github.com/spcloud/spcloud/internal/testkit"
)

const fixtures = "../../../shared/spec/fixtures"

// testEnv is a project folder, an environment and, optionally, an emulator.
type testEnv struct {
	t      *testing.T
	dir    string
	env    map[string]string
	emu    *emulator.Server
	url    string
	person *person.Person
	stdin  string
}

func newTestEnv(t *testing.T, withEmulator bool) *testEnv {
	t.Helper()
	te := &testEnv{t: t, dir: t.TempDir(), env: map[string]string{}}
	if withEmulator {
		te.serve(emulator.Options{StepDelay: 5 * time.Millisecond, Heartbeat: time.Second})
	}
	return te
}

// serve starts an emulator (with its OCI registry) built from opts for the
// rest of the test, and points the environment and the person at it.
func (te *testEnv) serve(opts emulator.Options) {
	te.emu = newEmulator(opts)
	te.url = testkit.Serve(te.t, te.emu).URL
	te.env["SYSTEMPROMPT_API_URL"] = te.url
	te.person = &person.Person{Clicks: []string{"approve", "pay"}}
}

// run runs the command tree in-process and returns the exit code and output.
func (te *testEnv) run(args ...string) (int, string, string) {
	te.t.Helper()
	return te.runCtx(context.Background(), args...)
}

// runCtx is run under ctx, which a test may cancel as Ctrl-C would.
func (te *testEnv) runCtx(ctx context.Context, args ...string) (int, string, string) {
	te.t.Helper()
	var out, errOut testkit.SyncBuffer
	f := &Factory{
		IO:     IOStreams{In: strings.NewReader(te.stdin), Out: &out, Err: &errOut},
		Getenv: func(k string) string { return te.env[k] },
		Cwd:    te.dir,
	}
	if te.person != nil {
		f.OpenBrowser = te.person.Open
	}
	ctx, cancel := context.WithTimeout(ctx, 60*time.Second)
	defer cancel()
	code := Run(ctx, f, args)
	if te.person != nil {
		te.person.Wait()
	}
	return code, out.String(), errOut.String()
}
