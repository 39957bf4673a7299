package emulator

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"reflect"
	"strings"
	"sync"
	"time"

	"github.com/spcloud/spcloud/api"
)

// Options configure a Server. The zero value is a usable, well-behaved cloud.
type Options struct {
	// StepDelay is the delay between two provisioning events; 300ms when 0.
	StepDelay time.Duration
	// TokenTTL is the lifetime of the tokens the emulator signs; 24h when 0.
	TokenTTL time.Duration
	// AutoApprove makes the consent and payment pages redirect at once, as if
	// Approve or Pay were pressed.
	AutoApprove bool
	// Heartbeat is the interval of heartbeats on idle event streams; 15s when 0.
	Heartbeat time.Duration

	// DropStreamEvery closes each event stream connection after it has sent
	// this many events (0 = never). Clients are expected to reconnect with
	// Last-Event-ID.
	DropStreamEvery int
	// FailFirst answers the first N GET calls to each exact path under /api/
	// with 503, Retry-After: 1 and the error envelope (0 = never).
	FailFirst int
	// Latency is added before every answer.
	Latency time.Duration
	// StallStreamAfter makes an event stream connection go silent (no events,
	// no heartbeats) after it has sent this many events, while keeping the
	// connection open until the client goes away or Close is called
	// (0 = never).
	StallStreamAfter int
	// FailProvisioning, when not empty, makes the first provisioning of every
	// new tenant fail after database_created with this message. A later
	// retry-provision succeeds.
	FailProvisioning string

	// Registry, when set, serves everything under /v2/ (an OCI registry the
	// emulator itself does not implement). It can check the bearer or basic
	// credentials it receives with Server.VerifyRegistryToken.
	Registry http.Handler

	// Logf, when set, receives one line per request: method, path, status and
	// duration. Queries, headers and bodies (tokens) are never logged.
	Logf func(format string, args ...any)

	// OnEmit, when set, is told each tenant event just before it is
	// appended to the tenant's log, that is, the instant before any open
	// stream can see it (benchmarks measure from here). It is called
	// synchronously with the server's lock held: it must return quickly and
	// must not call the Server.
	OnEmit func(tenantID string, ev api.ProvisioningEvent)
}

// Defaults applied when an Options field is zero.
const (
	DefaultStepDelay = 300 * time.Millisecond
	DefaultTokenTTL  = 24 * time.Hour
	DefaultHeartbeat = 15 * time.Second
)

// Server is the emulated cloud. It implements http.Handler; create it with
// New and stop it with Close.
type Server struct {
	opts   Options
	key    []byte // HS256 signing key, random per instance
	routes []route

	closeOnce sync.Once
	closing   chan struct{} // closed by Close
	// base is cancelled by Close; detached streams derive from it.
	base       context.Context
	cancelBase context.CancelFunc
	wg         sync.WaitGroup

	mu        sync.Mutex
	closed    bool
	users     map[string]*user // by id
	byEmail   map[string]*user
	consents  map[string]*consent
	checkouts map[string]*checkoutSession // by checkout session id
	payments  map[string]*checkoutSession // by transaction id
	tenants   map[string]*tenant
	getCounts map[string]int // FailFirst: GET calls seen per path
	order     int            // tenants created so far
}

// New returns a Server with empty state (apart from the demo user).
func New(opts Options) *Server {
	if opts.StepDelay <= 0 {
		opts.StepDelay = DefaultStepDelay
	}
	if opts.TokenTTL <= 0 {
		opts.TokenTTL = DefaultTokenTTL
	}
	if opts.Heartbeat <= 0 {
		opts.Heartbeat = DefaultHeartbeat
	}
	s := &Server{
		opts:      opts,
		key:       make([]byte, 32),
		closing:   make(chan struct{}),
		users:     map[string]*user{},
		byEmail:   map[string]*user{},
		consents:  map[string]*consent{},
		checkouts: map[string]*checkoutSession{},
		payments:  map[string]*checkoutSession{},
		tenants:   map[string]*tenant{},
		getCounts: map[string]int{},
	}
	s.base, s.cancelBase = context.WithCancel(context.Background())
	rand.Read(s.key)
	s.mu.Lock()
	s.userFor(DemoUserEmail, DemoUserName)
	s.mu.Unlock()
	s.routes = s.buildRoutes()
	return s
}

// Close stops the provisioning goroutines and ends every open event stream.
// Requests that arrive later are answered 503. Close may be called more than
// once.
func (s *Server) Close() {
	s.closeOnce.Do(func() {
		s.mu.Lock()
		s.closed = true
		s.mu.Unlock()
		close(s.closing)
		s.cancelBase()
	})
	s.wg.Wait()
}

// ServeHTTP answers one request of the emulated cloud.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	start := time.Now()
	lw := &logWriter{ResponseWriter: w, status: http.StatusOK}
	if s.opts.Logf != nil {
		lw.logDone = func() {
			s.opts.Logf("%s %s %d %s", r.Method, r.URL.Path, lw.status, time.Since(start).Round(time.Microsecond))
		}
	}
	s.serve(lw, r)
	if lw.logDone != nil && !lw.detached {
		lw.logDone() // a detached stream logs when it ends
	}
}

func (s *Server) serve(w http.ResponseWriter, r *http.Request) {
	if s.opts.Latency > 0 {
		t := time.NewTimer(s.opts.Latency)
		select {
		case <-t.C:
		case <-r.Context().Done():
			t.Stop()
			return
		case <-s.closing:
			t.Stop()
		}
	}
	select {
	case <-s.closing:
		writeError(w, http.StatusServiceUnavailable, "shutting_down", "The emulator is shutting down")
		return
	default:
	}
	if s.injectFailure(w, r) {
		return
	}
	if s.opts.Registry != nil && (r.URL.Path == "/v2" || strings.HasPrefix(r.URL.Path, "/v2/")) {
		s.opts.Registry.ServeHTTP(w, r)
		return
	}
	s.route(w, r)
}

// logWriter remembers the status for the request log. It unwraps to the
// underlying writer so that http.ResponseController can flush streams.
type logWriter struct {
	http.ResponseWriter
	status      int
	wroteHeader bool
	// logDone writes the request's log line (nil without Logf); detached
	// is set by a stream that took the connection over and calls logDone
	// itself when it ends.
	logDone  func()
	detached bool
}

func (l *logWriter) WriteHeader(code int) {
	if !l.wroteHeader {
		l.status, l.wroteHeader = code, true
	}
	l.ResponseWriter.WriteHeader(code)
}

func (l *logWriter) Write(p []byte) (int, error) {
	l.wroteHeader = true
	return l.ResponseWriter.Write(p)
}

func (l *logWriter) Unwrap() http.ResponseWriter { return l.ResponseWriter }

// Flush lets code that type-asserts http.Flusher flush through the wrapper.
func (l *logWriter) Flush() { _ = http.NewResponseController(l.ResponseWriter).Flush() }

// writeJSON answers v as JSON with the given status.
func writeJSON(w http.ResponseWriter, status int, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		writeError(w, http.StatusInternalServerError, "internal", "Could not encode the answer")
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	w.Write(append(b, '\n'))
}

// writeData answers v inside the {"data": ...} envelope.
func writeData(w http.ResponseWriter, status int, v any) {
	writeJSON(w, status, map[string]any{"data": v})
}

// writeError answers the error envelope of CONTRACT §2.
func writeError(w http.ResponseWriter, status int, code, message string) {
	b, _ := json.Marshal(map[string]any{"error": map[string]string{"code": code, "message": message}})
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	w.Write(append(b, '\n'))
}

// decodeBody reads a JSON request body into v; it answers 400 and returns
// false when the body is missing or malformed.
func decodeBody(w http.ResponseWriter, r *http.Request, v any) bool {
	dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, 1<<20))
	if err := dec.Decode(v); err != nil {
		writeError(w, http.StatusBadRequest, "invalid_request", bodyProblem(err))
		return false
	}
	if dec.More() {
		writeError(w, http.StatusBadRequest, "invalid_request", "The request body holds more than one JSON value")
		return false
	}
	return true
}

// bodyProblem says what is wrong with a request body in the API's terms,
// without the Go type names a decoding error carries.
func bodyProblem(err error) string {
	var te *json.UnmarshalTypeError
	var se *json.SyntaxError
	var mb *http.MaxBytesError
	switch {
	case errors.As(err, &te) && te.Field != "":
		return fmt.Sprintf("The field %q must be a JSON %s, not %s", te.Field, jsonKind(te.Type), te.Value)
	case errors.As(err, &te):
		return fmt.Sprintf("The request body must be a JSON %s, not %s", jsonKind(te.Type), te.Value)
	case errors.As(err, &se):
		return fmt.Sprintf("The request body is not valid JSON (at byte %d)", se.Offset)
	case errors.As(err, &mb):
		return fmt.Sprintf("The request body is larger than %d bytes", mb.Limit)
	case errors.Is(err, io.EOF):
		return "The request body is empty; a JSON object is expected"
	}
	return "The request body is not valid JSON"
}

// jsonKind names the JSON kind that decodes into t.
func jsonKind(t reflect.Type) string {
	switch t.Kind() {
	case reflect.Bool:
		return "boolean (true or false)"
	case reflect.String:
		return "string"
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Float32, reflect.Float64:
		return "number"
	case reflect.Slice, reflect.Array:
		return "array"
	case reflect.Pointer:
		return jsonKind(t.Elem())
	}
	return "object"
}

// baseURL is the emulator's own address as the client reached it.
func baseURL(r *http.Request) string {
	return "http://" + r.Host
}
