package loopback

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/spcloud/spcloud"
	"github.com/spcloud/spcloud/api"
)

// CallbackPrefix starts the path of the callback; the secret follows it.
const CallbackPrefix = "/callback/"

// Errors of Wait.
var (
	// ErrTimeout is wrapped by the error of a Wait that ran out of time.
	ErrTimeout = errors.New("no answer from the browser")
	// ErrClosed is returned by Wait when the server was closed first.
	ErrClosed = errors.New("callback server closed")
)

// Config configures a Server.
type Config struct {
	// Port is the preferred port; 0 means any free port.
	Port int
	// Pin makes Port mandatory: when it is taken, Listen fails instead of
	// falling back to any free port.
	Pin bool
	// Timeout bounds Wait; spcloud.CallbackTimeout (300 s) when 0.
	Timeout time.Duration
	// OnCallback answers the one real callback: it gets the query and
	// returns the page the browser shows. It is called at most once. Values
	// it stores are safe to read after Wait returns.
	OnCallback func(query url.Values) Page
	// Logger receives debug lines (never the secret); nil logs nothing.
	Logger *slog.Logger
}

// Server is a running callback server. Build it with Listen; always Close it.
type Server struct {
	ln         net.Listener
	srv        *http.Server
	mux        *http.ServeMux
	secret     string
	port       int
	timeout    time.Duration
	onCallback func(url.Values) Page
	log        *slog.Logger
	listenCtx  context.Context

	used  atomic.Bool
	done  chan struct{} // closed once the callback has been answered
	query url.Values    // written before done is closed

	baseCtx    context.Context // request contexts; cancelled by Close
	cancelBase context.CancelFunc
	closeOnce  sync.Once
	closed     chan struct{}
	served     chan struct{} // closed when Serve has returned
}

// Listen starts a callback server on 127.0.0.1. When ctx ends, the server
// is closed and its port freed.
func Listen(ctx context.Context, cfg Config) (*Server, error) {
	if cfg.OnCallback == nil {
		return nil, errors.New("loopback: Config.OnCallback is required")
	}
	secret, err := newSecret()
	if err != nil {
		return nil, fmt.Errorf("make the callback secret: %w", err)
	}
	ln, err := listen(cfg.Port, cfg.Pin)
	if err != nil {
		return nil, err
	}
	s := &Server{
		ln:         ln,
		mux:        http.NewServeMux(),
		secret:     secret,
		port:       ln.Addr().(*net.TCPAddr).Port,
		timeout:    cfg.Timeout,
		onCallback: cfg.OnCallback,
		log:        cfg.Logger,
		listenCtx:  ctx,
		done:       make(chan struct{}),
		closed:     make(chan struct{}),
		served:     make(chan struct{}),
	}
	if s.timeout <= 0 {
		s.timeout = spcloud.CallbackTimeout
	}
	s.baseCtx, s.cancelBase = context.WithCancel(context.Background())
	s.mux.HandleFunc("/", s.serveRoot)
	errLog := log.New(io.Discard, "", 0)
	if s.log != nil {
		errLog = slog.NewLogLogger(s.log.Handler(), slog.LevelDebug)
	}
	s.srv = &http.Server{
		Handler:           s.guard(s.mux),
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       30 * time.Second,
		IdleTimeout:       30 * time.Second,
		MaxHeaderBytes:    64 << 10,
		BaseContext:       func(net.Listener) context.Context { return s.baseCtx },
		ErrorLog:          errLog,
	}
	go func() {
		defer close(s.served)
		_ = s.srv.Serve(ln)
	}()
	go func() {
		select {
		case <-ctx.Done():
			s.Close()
		case <-s.closed:
		}
	}()
	s.debug("callback server listening", "addr", s.Addr())
	return s, nil
}

// Port is the port the server listens on.
func (s *Server) Port() int { return s.port }

// Addr is "127.0.0.1:<port>".
func (s *Server) Addr() string { return net.JoinHostPort(Host, strconv.Itoa(s.port)) }

// BaseURL is "http://127.0.0.1:<port>", for the server's other routes.
func (s *Server) BaseURL() string { return "http://" + s.Addr() }

// RedirectURI is the callback URL, secret included:
// http://127.0.0.1:<port>/callback/<secret>. Show it to no log.
func (s *Server) RedirectURI() string { return s.BaseURL() + CallbackPrefix + s.secret }

// Handle registers an extra route, with the patterns of http.ServeMux
// ("GET /status/{tenant_id}"). The server's guards apply to it.
func (s *Server) Handle(pattern string, h http.Handler) { s.mux.Handle(pattern, h) }

// HandleFunc registers an extra route handled by f.
func (s *Server) HandleFunc(pattern string, f func(http.ResponseWriter, *http.Request)) {
	s.mux.HandleFunc(pattern, f)
}

// Done is closed once the callback has been answered.
func (s *Server) Done() <-chan struct{} { return s.done }

// Wait blocks until the callback has been answered and returns its query.
// It returns ctx.Err() when ctx ends first, an error wrapping ErrTimeout
// after the configured timeout, and ErrClosed (or the Listen context's
// error) when the server is closed first. On timeout or cancellation the
// server is closed; after a callback it keeps serving until Close, so extra
// routes can still answer.
func (s *Server) Wait(ctx context.Context) (url.Values, error) {
	select {
	case <-s.done:
		return s.query, nil
	default:
	}
	timer := time.NewTimer(s.timeout)
	defer timer.Stop()
	select {
	case <-s.done:
		return s.query, nil
	case <-ctx.Done():
		s.Close()
		return nil, ctx.Err()
	case <-timer.C:
		s.Close()
		return nil, fmt.Errorf("%w within %s; run the command again and finish in the browser (the URL is printed above)", ErrTimeout, s.timeout)
	case <-s.closed:
		select {
		case <-s.done:
			return s.query, nil
		default:
		}
		if err := s.listenCtx.Err(); err != nil {
			return nil, err
		}
		return nil, ErrClosed
	}
}

// Close stops the server and frees its port at once; answers being written
// get up to two seconds to finish. Close may be called more than once.
func (s *Server) Close() error {
	s.closeOnce.Do(func() {
		close(s.closed)
		s.cancelBase()
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		if err := s.srv.Shutdown(ctx); err != nil {
			_ = s.srv.Close()
		}
		<-s.served
		s.debug("callback server closed", "addr", s.Addr())
	})
	return nil
}

// guard refuses requests addressed to another host (DNS rebinding) and sets
// the headers every answer carries.
func (s *Server) guard(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("Cache-Control", "no-store")
		h.Set("Referrer-Policy", "no-referrer")
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("X-Frame-Options", "DENY")
		if !s.allowedHost(r.Host) {
			s.debug("request refused: foreign Host header")
			p := NotFoundPage()
			p.Status = http.StatusMisdirectedRequest
			p.Render(w)
			return
		}
		next.ServeHTTP(w, r)
	})
}

func (s *Server) allowedHost(host string) bool {
	port := strconv.Itoa(s.port)
	switch strings.ToLower(host) {
	case Host + ":" + port, "localhost:" + port:
		return true
	case Host, "localhost":
		return s.port == 80
	}
	return false
}

// serveRoot answers every path no extra route claims: the callback when the
// secret matches, a 404 page otherwise.
func (s *Server) serveRoot(w http.ResponseWriter, r *http.Request) {
	rest, ok := strings.CutPrefix(r.URL.Path, CallbackPrefix)
	if !ok || !sameSecret(rest, s.secret) {
		s.debug("not found", "method", r.Method, "path", api.RedactText(r.URL.Path))
		NotFoundPage().Render(w)
		return
	}
	if r.Method != http.MethodGet {
		w.Header().Set("Allow", http.MethodGet)
		ErrorPage(http.StatusMethodNotAllowed, "Method not allowed",
			"This address only answers the browser's return from the sign-in or payment page.", "").Render(w)
		return
	}
	if !s.used.CompareAndSwap(false, true) {
		s.debug("callback replay refused")
		ReplayPage().Render(w)
		return
	}
	q := r.URL.Query()
	s.debug("callback received")
	page := s.onCallback(q)
	page.Render(w)
	s.query = q
	close(s.done)
}

func (s *Server) debug(msg string, args ...any) {
	if s.log != nil {
		s.log.Debug(msg, args...)
	}
}
