package api

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/spcloud/spcloud"
)

// Client calls the API at BaseURL with a bearer token. The zero value is not
// usable; build one with New. A Client is safe for concurrent use.
type Client struct {
	baseURL string
	token   string
	http    *http.Client
	retry   RetryPolicy
	// RequestTimeout bounds each attempt of a non-stream call.
	requestTimeout time.Duration
	log            *slog.Logger
	// The values of the headers every request carries, built once: the
	// same slices go into every request (net/http only reads them).
	userAgent, authorization []string
}

// Option configures a Client.
type Option func(*Client)

// WithHTTPClient sets the underlying HTTP client (its Timeout should be 0:
// the Client sets per-request deadlines itself, and streams are long-lived).
func WithHTTPClient(h *http.Client) Option { return func(c *Client) { c.http = h } }

// WithRetry sets the retry policy of idempotent calls.
func WithRetry(p RetryPolicy) Option { return func(c *Client) { c.retry = p } }

// WithRequestTimeout bounds each attempt of a non-stream call (default 30 s).
func WithRequestTimeout(d time.Duration) Option { return func(c *Client) { c.requestTimeout = d } }

// WithLogger logs each request and answer at debug level, with secrets
// redacted. Nil (the default) logs nothing.
func WithLogger(l *slog.Logger) Option { return func(c *Client) { c.log = l } }

// defaultTransport keeps connections alive between calls and fails fast when
// the server cannot be reached.
var defaultTransport = &http.Transport{
	Proxy:                 http.ProxyFromEnvironment,
	DialContext:           (&net.Dialer{Timeout: 10 * time.Second, KeepAlive: 30 * time.Second}).DialContext,
	ForceAttemptHTTP2:     true,
	MaxIdleConns:          100,
	MaxIdleConnsPerHost:   16,
	IdleConnTimeout:       90 * time.Second,
	TLSHandshakeTimeout:   10 * time.Second,
	ResponseHeaderTimeout: 60 * time.Second,
	ExpectContinueTimeout: time.Second,
}

// New returns a client for the API at baseURL (no trailing "/") using token
// for bearer authentication ("" for the calls that need none).
func New(baseURL, token string, opts ...Option) *Client {
	c := &Client{
		baseURL:        strings.TrimRight(baseURL, "/"),
		token:          token,
		http:           &http.Client{Transport: defaultTransport},
		retry:          DefaultRetry,
		requestTimeout: 30 * time.Second,
		userAgent:      []string{"spcloud/" + spcloud.Version},
	}
	for _, o := range opts {
		o(c)
	}
	c.setToken(token)
	return c
}

func (c *Client) setToken(token string) {
	c.token = token
	c.authorization = nil
	if token != "" {
		c.authorization = []string{"Bearer " + token}
	}
}

// BaseURL returns the API base URL.
func (c *Client) BaseURL() string { return c.baseURL }

// WithToken returns a copy of c that authenticates with token.
func (c *Client) WithToken(token string) *Client {
	cp := *c
	cp.setToken(token)
	return &cp
}

// url joins a path to the base URL; an absolute URL is used as it is.
func (c *Client) url(path string) string {
	if strings.HasPrefix(path, "http://") || strings.HasPrefix(path, "https://") {
		return path
	}
	if !strings.HasPrefix(path, "/") {
		path = "/" + path
	}
	return c.baseURL + path
}

// do sends one call and decodes a 2xx JSON answer into out (nil: body ignored).
// Idempotent methods are retried by the client's policy.
func (c *Client) do(ctx context.Context, method, path string, body, out any) error {
	var payload []byte
	if body != nil {
		var err error
		if payload, err = json.Marshal(body); err != nil {
			return fmt.Errorf("encode %s %s: %w", method, path, err)
		}
	}
	idempotent := method == http.MethodGet || method == http.MethodPut || method == http.MethodDelete || method == http.MethodHead
	attempts := 1
	if idempotent {
		attempts = c.retry.MaxAttempts
	}
	start := time.Now()
	for attempt := 1; ; attempt++ {
		status, hdr, respBody, err := c.once(ctx, method, path, payload)
		if err == nil && status >= 200 && status < 300 {
			if out == nil || status == http.StatusNoContent || len(bytes.TrimSpace(respBody)) == 0 {
				if out != nil && status != http.StatusNoContent {
					return fmt.Errorf("%s %s: empty answer", method, path)
				}
				return nil
			}
			if derr := json.Unmarshal(respBody, out); derr != nil {
				return spcloud.E(spcloud.ErrAPI, fmt.Sprintf("%s %s: answer is not the expected JSON", method, redactURL(path)), derr)
			}
			return nil
		}
		var callErr error
		if err != nil {
			if ctx.Err() != nil {
				return ctx.Err()
			}
			callErr = spcloud.E(spcloud.ErrNetwork, fmt.Sprintf("%s %s", method, redactURL(c.url(path))), netCause(err))
		} else {
			callErr = parseAPIError(method, path, status, respBody)
		}
		retryable := err != nil || status == http.StatusTooManyRequests || status >= 500
		if !retryable || attempt >= attempts {
			return callErr
		}
		wait := c.retry.backoff(attempt, hdr)
		if time.Since(start)+wait > c.retry.MaxElapsed {
			return callErr
		}
		if c.log != nil {
			c.debug("retrying", "method", method, "path", redactURL(path), "attempt", attempt, "wait", wait)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(wait):
		}
	}
}

// netCause drops the method and URL that net/http wraps a transport error
// in: the message names them already ("GET URL: connection refused").
func netCause(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		return ue.Err
	}
	return err
}

// once makes a single attempt and reads the whole answer.
func (c *Client) once(ctx context.Context, method, path string, payload []byte) (int, http.Header, []byte, error) {
	ctx, cancel := context.WithTimeout(ctx, c.requestTimeout)
	defer cancel()
	var rd io.Reader
	if payload != nil {
		rd = bytes.NewReader(payload)
	}
	req, err := http.NewRequestWithContext(ctx, method, c.url(path), rd)
	if err != nil {
		return 0, nil, nil, err
	}
	c.prepare(req, acceptJSON)
	if payload != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	t0 := time.Now()
	// The log's arguments (redaction parses the URL and the JSON bodies) are
	// only computed when there is a log: a quiet client pays nothing for it.
	logging := c.log != nil
	if logging {
		c.debug("request", "method", method, "url", redactURL(req.URL.String()), "authorization", c.authForLog(), "body", RedactBody(payload))
	}
	resp, err := c.http.Do(req)
	if err != nil {
		if logging {
			c.debug("request failed", "method", method, "url", redactURL(req.URL.String()), "error", RedactText(err.Error()))
		}
		return 0, nil, nil, err
	}
	defer resp.Body.Close()
	body, err := readBody(method, resp)
	if logging {
		c.debug("answer", "method", method, "url", redactURL(req.URL.String()), "status", resp.StatusCode,
			"duration", time.Since(t0).Round(time.Microsecond), "body", RedactBody(body))
	}
	if err != nil {
		return 0, nil, nil, err
	}
	return resp.StatusCode, resp.Header, body, nil
}

// maxBody bounds an answer: answers are small; 8 MiB is far beyond any of
// them and stops a runaway body.
const maxBody = 8 << 20

// readBody reads a whole answer. One of known length is read into a buffer
// of that size (net/http hands the last bytes over with io.EOF, so the
// connection is still reused); others grow as they come, up to maxBody.
func readBody(method string, resp *http.Response) ([]byte, error) {
	if n := resp.ContentLength; n >= 0 && n <= maxBody && method != http.MethodHead {
		body := make([]byte, n)
		if _, err := io.ReadFull(resp.Body, body); err != nil {
			return nil, err
		}
		return body, nil
	}
	return io.ReadAll(io.LimitReader(resp.Body, maxBody))
}

// The Accept header values of JSON calls and event streams.
var (
	acceptJSON   = []string{"application/json"}
	acceptStream = []string{"text/event-stream"}
)

// prepare sets the headers every request carries. The keys are in
// canonical form already, so the map is written directly.
func (c *Client) prepare(req *http.Request, accept []string) {
	req.Header["Accept"] = accept
	req.Header["User-Agent"] = c.userAgent
	if c.authorization != nil {
		req.Header["Authorization"] = c.authorization
	}
}

// authForLog shows whether a token was sent, never the token.
func (c *Client) authForLog() string {
	if c.token == "" {
		return "none"
	}
	return "Bearer " + Redacted
}

func (c *Client) debug(msg string, args ...any) {
	if c.log != nil {
		c.log.Debug(msg, args...)
	}
}

// parseAPIError reads a non-2xx answer: the envelope when it is one, else the
// status and at most the first 500 characters of the body.
func parseAPIError(method, path string, status int, body []byte) *spcloud.APIError {
	e := &spcloud.APIError{Status: status, Method: method, Path: redactURL(path)}
	var env ErrorEnvelope
	if json.Unmarshal(body, &env) == nil && (env.Error.Code != "" || env.Error.Message != "") {
		e.Code, e.Message = env.Error.Code, env.Error.Message
		return e
	}
	text := strings.TrimSpace(string(body))
	if r := []rune(text); len(r) > spcloud.MaxErrorBody {
		text = string(r[:spcloud.MaxErrorBody])
	}
	e.Body = RedactText(text)
	return e
}

// ParseError reads a non-2xx answer into an *spcloud.APIError. It is exported
// for callers that make their own requests (and for fuzzing).
func ParseError(status int, body []byte) *spcloud.APIError {
	return parseAPIError("", "", status, body)
}

// IsNotFound reports whether err is a 404 from the API.
func IsNotFound(err error) bool {
	var ae *spcloud.APIError
	return errors.As(err, &ae) && ae.Status == http.StatusNotFound
}
