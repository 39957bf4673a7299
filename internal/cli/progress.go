package cli

import (
	"fmt"
	"io"
	"strings"
	"sync"
	"time"
)

// progress prints one line per provisioning event to stderr, with the time
// since the wait began, so a person (or a log) sees the tenant come up.
type progress struct {
	mu    sync.Mutex
	w     io.Writer
	now   func() time.Time
	start time.Time
	n     int
}

func newProgress(w io.Writer, now func() time.Time) *progress {
	return &progress{w: w, now: now, start: now()}
}

// labels are the human names of the event types; unknown types show as they are.
var labels = map[string]string{
	"subscription_created":     "Subscription created",
	"tenant_created":           "Tenant created",
	"database_created":         "Database created",
	"secrets_stored":           "Secrets stored",
	"vm_provisioning_started":  "Machine starting",
	"vm_provisioning_progress": "Machine starting",
	"vm_provisioned":           "Machine running",
	"secrets_configured":       "Secrets configured",
	"infrastructure_ready":     "Infrastructure ready",
	"tenant_ready":             "Tenant ready",
	"provisioning_failed":      "Provisioning failed",
	"deploy_started":           "Deploy started",
}

func (p *progress) event(eventType, message string) {
	label, ok := labels[eventType]
	if !ok {
		label = strings.ReplaceAll(eventType, "_", " ")
	}
	mark := "✓"
	if eventType == "provisioning_failed" {
		mark = "✗"
	}
	p.line(mark, label, message)
}

// status shows a status seen while polling: a step still under way, or a
// failure.
func (p *progress) status(status, message string) {
	mark := "…"
	if status == "failed" {
		mark = "✗"
	}
	p.line(mark, "status: "+status, message)
}

func (p *progress) line(mark, label, message string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.n++
	line := fmt.Sprintf("  %s %-22s", mark, label)
	if message != "" {
		line += "  " + message
	}
	fmt.Fprintf(p.w, "%s  [%s]\n", strings.TrimRight(line, " "), p.elapsedLocked())
}

func (p *progress) elapsedLocked() string {
	return p.now().Sub(p.start).Round(100 * time.Millisecond).String()
}

func (p *progress) elapsed() string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.elapsedLocked()
}
