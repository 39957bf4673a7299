package api

import (
	"math/rand/v2"
	"net/http"
	"strconv"
	"time"
)

// RetryPolicy bounds the retries of idempotent calls.
type RetryPolicy struct {
	// MaxAttempts counts the first try; 1 means no retry.
	MaxAttempts int
	// BaseDelay is the first backoff; each retry doubles it, up to MaxDelay.
	BaseDelay time.Duration
	MaxDelay  time.Duration
	// MaxElapsed bounds the whole call, retries included.
	MaxElapsed time.Duration
}

// DefaultRetry tries four times over at most 30 s.
var DefaultRetry = RetryPolicy{MaxAttempts: 4, BaseDelay: 200 * time.Millisecond, MaxDelay: 5 * time.Second, MaxElapsed: 30 * time.Second}

// NoRetry makes every call a single attempt.
var NoRetry = RetryPolicy{MaxAttempts: 1}

// backoff is the wait before attempt+1: exponential with jitter, or the
// server's Retry-After when that is longer (a Retry-After of 0 or in the
// past does not make a client hammer). The caller bounds the total by
// MaxElapsed.
func (p RetryPolicy) backoff(attempt int, hdr http.Header) time.Duration {
	d := p.jittered(attempt)
	if ra, ok := RetryAfter(hdr, time.Now()); ok && ra > d {
		return ra
	}
	return d
}

// jittered is exponential backoff from BaseDelay, capped at MaxDelay.
func (p RetryPolicy) jittered(attempt int) time.Duration {
	d := p.BaseDelay << (attempt - 1)
	if d > p.MaxDelay || d <= 0 {
		d = p.MaxDelay
	}
	// Full jitter, never below half the step so retries do not bunch at zero.
	return d/2 + rand.N(d/2+1)
}

// RetryAfter reads a Retry-After header, in seconds or as an HTTP date.
func RetryAfter(hdr http.Header, now time.Time) (time.Duration, bool) {
	v := hdr.Get("Retry-After")
	if v == "" {
		return 0, false
	}
	if s, err := strconv.Atoi(v); err == nil && s >= 0 {
		return time.Duration(s) * time.Second, true
	}
	if t, err := http.ParseTime(v); err == nil {
		if d := t.Sub(now); d > 0 {
			return d, true
		}
		return 0, true
	}
	return 0, false
}
