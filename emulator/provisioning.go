package emulator

import (
	"encoding/json"
	"strings"
	"time"

	"github.com/spcloud/spcloud/api"
)

// runKind is what a run of events does to a tenant.
type runKind int

const (
	runProvision runKind = iota // full provisioning (after payment, retry-provision)
	runDeploy                   // rolling out a new image
	runRestart                  // restarting the machine
)

// phase is the tenant status while a run of this kind is in progress.
func (k runKind) phase() string {
	switch k {
	case runDeploy:
		return "deploying"
	case runRestart:
		return "restarting"
	}
	return "provisioning"
}

// run is a sequence of events emitted one per StepDelay.
type run struct {
	kind     runKind
	n        int // run number of the tenant, from 1
	steps    []step
	next     int
	checkout bool // the checkout stream carries this run (the first provisioning)
}

func (r *run) queuedMessage() string {
	return "Waiting for the current operation to finish before " + r.kind.phase()
}

// step is one event of a run.
type step struct {
	event, status, message string
}

func inProgress(event, message string) step { return step{event, "in_progress", message} }

func provisionSteps(failure string) []step {
	steps := []step{
		inProgress(api.EventSubscriptionCreated, "Subscription active"),
		inProgress(api.EventTenantCreated, "Tenant record created"),
		inProgress(api.EventDatabaseCreated, "Database created"),
	}
	if failure != "" {
		return append(steps, step{api.EventProvisioningFailed, api.StatusFailed, failure})
	}
	return append(steps,
		inProgress(api.EventSecretsStored, "Secrets stored"),
		inProgress(api.EventVMProvisioningStarted, "Creating virtual machine"),
		inProgress(api.EventVMProvisioningProgress, "Machine 25% started"),
		inProgress(api.EventVMProvisioningProgress, "Machine 50% started"),
		inProgress(api.EventVMProvisioningProgress, "Machine 75% started"),
		inProgress(api.EventVMProvisioned, "Virtual machine running"),
		inProgress(api.EventSecretsConfigured, "Secrets configured on the machine"),
		step{api.EventInfrastructureReady, api.StatusReady, "Infrastructure ready, deploy your code"},
		step{api.EventTenantReady, api.StatusReady, "Tenant is ready"},
	)
}

func deploySteps(image string) []step {
	steps := []step{
		inProgress(api.EventVMProvisioningStarted, "Deploying "+image),
		inProgress(api.EventVMProvisioningProgress, "Machine 33% updated"),
	}
	if strings.Contains(image, "fail") {
		return append(steps, step{api.EventProvisioningFailed, api.StatusFailed,
			"Deployment of " + image + " failed: the health check did not pass"})
	}
	return append(steps,
		inProgress(api.EventVMProvisioningProgress, "Machine 66% updated"),
		inProgress(api.EventVMProvisioned, "Machine running the new image"),
		step{api.EventTenantReady, api.StatusReady, "Tenant is ready"},
	)
}

func restartSteps() []step {
	return []step{
		inProgress(api.EventVMProvisioningStarted, "Restarting machine"),
		inProgress(api.EventVMProvisioned, "Machine restarted"),
		step{api.EventTenantReady, api.StatusReady, "Tenant is ready"},
	}
}

// deploying reports whether a deploy of the tenant is running or queued.
// s.mu must be held.
func (t *tenant) deploying() bool {
	if t.running != nil && t.running.kind == runDeploy {
		return true
	}
	for _, r := range t.pending {
		if r.kind == runDeploy {
			return true
		}
	}
	return false
}

func isTerminal(event string) bool {
	return event == api.EventTenantReady || event == api.EventProvisioningFailed
}

// startRun starts a run of that kind now, or queues it behind the run in
// progress (queued runs start in the order they were asked for). s.mu must
// be held.
func (s *Server) startRun(t *tenant, r *run) {
	if t.running != nil || len(t.pending) > 0 {
		t.pending = append(t.pending, r)
		return
	}
	s.begin(t, r)
	if t.running != nil && !t.runnerActive && !s.closed {
		t.runnerActive = true
		s.wg.Add(1)
		go s.runner(t)
	}
}

// begin makes r the tenant's current run and emits its first event at once.
// s.mu must be held.
func (s *Server) begin(t *tenant, r *run) {
	t.runs++
	r.n = t.runs
	t.running = r
	t.phase = r.kind.phase()
	s.emitNext(t)
}

// runner emits a tenant's events, one per StepDelay, until no run is in
// progress or queued.
func (s *Server) runner(t *tenant) {
	defer s.wg.Done()
	timer := time.NewTimer(s.opts.StepDelay)
	defer timer.Stop()
	for {
		select {
		case <-timer.C:
		case <-s.closing:
			return
		case <-t.stop:
			return
		}
		s.mu.Lock()
		if t.gone || s.closed {
			s.mu.Unlock()
			return
		}
		switch {
		case t.running != nil:
			s.emitNext(t)
		case len(t.pending) > 0:
			r := t.pending[0]
			t.pending = t.pending[1:]
			s.begin(t, r)
		}
		if t.running == nil && len(t.pending) == 0 {
			t.runnerActive = false
			s.mu.Unlock()
			return
		}
		s.mu.Unlock()
		timer.Reset(s.opts.StepDelay)
	}
}

// emitNext applies the next step of the current run to the tenant's state
// and then appends its event, so that whoever sees the event also sees the
// state it announces. s.mu must be held.
func (s *Server) emitNext(t *tenant) {
	r := t.running
	st := r.steps[r.next]
	r.next++
	t.message = st.message
	switch st.event {
	case api.EventInfrastructureReady:
		t.provisioned = true
		t.phase = api.StatusReady
	case api.EventTenantReady:
		t.provisioned = true
		t.phase = api.StatusReady
	case api.EventProvisioningFailed:
		t.phase = api.StatusFailed
	}
	terminal := isTerminal(st.event)
	if terminal || r.next == len(r.steps) {
		t.running = nil
	}

	pe := api.ProvisioningEvent{TenantID: t.id, EventType: st.event, Status: st.status, Message: api.Ptr(st.message)}
	if st.event == api.EventInfrastructureReady || st.event == api.EventTenantReady {
		pe.FlyAppName = api.Ptr(t.appID)
	}
	if st.event == api.EventTenantReady {
		pe.AppURL = api.Ptr(t.appURL())
	}
	tj, _ := json.Marshal(pe)
	var cj []byte
	if r.checkout {
		cj, _ = json.Marshal(api.CheckoutEvent{
			CheckoutSessionID: t.checkoutID, TenantID: t.id, TenantName: t.name,
			EventType: pe.EventType, Status: pe.Status, Message: pe.Message,
			AppURL: pe.AppURL, FlyAppName: pe.FlyAppName,
		})
	}
	if s.opts.OnEmit != nil {
		s.opts.OnEmit(t.id, pe)
	}
	t.log.append(r.n, terminal, terminal && len(t.pending) == 0, tj, cj)
}
