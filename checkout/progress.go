package checkout

import (
	"context"
	"encoding/json"
	"net/http"
	"sync"
	"time"

	"github.com/spcloud/spcloud/api"
	"github.com/spcloud/spcloud/internal/loopback"
)

// tracker keeps the progress the waiting page shows, and the tenant id the
// /status route answers for.
type tracker struct {
	mu       sync.Mutex
	tenantID string
	progress loopback.Progress
	polled   bool

	finalOnce sync.Once
	finalSeen chan struct{} // closed once /progress served a final state
}

func newTracker() *tracker {
	return &tracker{
		progress:  loopback.Progress{State: loopback.StateWaiting},
		finalSeen: make(chan struct{}),
	}
}

// setTenant records the tenant id once known.
func (t *tracker) setTenant(id string) {
	if id == "" {
		return
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	t.tenantID = id
}

func (t *tracker) tenant() string {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.tenantID
}

// step adds a line to the steps shown and makes it the message.
func (t *tracker) step(line string) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if n := len(t.progress.Steps); n > 0 && t.progress.Steps[n-1] == line {
		return // a repeated progress line, e.g. from polling
	}
	t.progress.Steps = append(t.progress.Steps, line)
	t.progress.Message = line
}

// end sets the final state.
func (t *tracker) end(state, heading, message string) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.progress.State, t.progress.Heading, t.progress.Message = state, heading, message
}

// ServeHTTP answers the waiting page's poll with the progress as JSON.
func (t *tracker) ServeHTTP(w http.ResponseWriter, _ *http.Request) {
	t.mu.Lock()
	t.polled = true
	p := t.progress
	p.Steps = append([]string(nil), p.Steps...)
	t.mu.Unlock()
	writeJSON(w, http.StatusOK, p)
	if p.State != loopback.StateWaiting {
		t.finalOnce.Do(func() { close(t.finalSeen) })
	}
}

// linger gives a waiting page that has been polling up to max to fetch the
// final state before the server goes away.
func (t *tracker) linger(ctx context.Context, max time.Duration) {
	t.mu.Lock()
	polled := t.polled
	t.mu.Unlock()
	if !polled {
		return
	}
	timer := time.NewTimer(max)
	defer timer.Stop()
	select {
	case <-t.finalSeen:
	case <-timer.C:
	case <-ctx.Done():
	}
}

// statusAnswer is the JSON of GET /status/{tenant_id} on the callback
// server; absent values are null, as in the reference client.
type statusAnswer struct {
	Status  string  `json:"status"`
	Message *string `json:"message"`
	AppURL  *string `json:"app_url"`
}

// statusError is its JSON when the status cannot be given.
type statusError struct {
	Status  string `json:"status"` // always "error"
	Message string `json:"message"`
}

// statusHandler answers GET /status/{tenant_id} from the tenant status
// endpoint, for the tenant of this checkout only.
func statusHandler(client *api.Client, t *tracker) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		id := r.PathValue("tenant_id")
		known := t.tenant()
		if known == "" || id != known {
			writeJSON(w, http.StatusNotFound, statusError{"error", "unknown tenant: this checkout has not created it"})
			return
		}
		st, err := client.TenantStatus(r.Context(), id)
		if err != nil {
			writeJSON(w, http.StatusBadGateway, statusError{"error", api.RedactText(err.Error())})
			return
		}
		writeJSON(w, http.StatusOK, statusAnswer{st.Status, st.Message, st.AppURL})
	}
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_, _ = w.Write(append(b, '\n'))
}
