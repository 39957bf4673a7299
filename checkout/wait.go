package checkout

import (
	"context"
	"errors"
	"net/http"
	"time"

	"github.com/spcloud/spcloud"
	"github.com/spcloud/spcloud/api"
)

// DefaultWaitTimeout bounds a provisioning wait when no limit is given.
const DefaultWaitTimeout = 15 * time.Minute

// DefaultPollStart is the first delay between two status polls; it doubles
// up to the poll interval (spcloud.ProvisioningPollInterval by default).
const DefaultPollStart = 100 * time.Millisecond

// WaitOptions tune WaitForTenant.
type WaitOptions struct {
	// Timeout bounds the whole wait; DefaultWaitTimeout when 0.
	Timeout time.Duration
	// OnEvent is told each provisioning event, once, in order.
	OnEvent func(api.ProvisioningEvent)
	// OnStatus is told each new status (or message) seen while polling.
	OnStatus func(api.TenantStatus)
	// OnFallback is told when the event stream is given up for polling.
	OnFallback func(err error)
	// Follow tunes the event stream's reconnections.
	Follow api.FollowOptions
	// PollStart is the first delay between polls; DefaultPollStart when 0.
	PollStart time.Duration
	// PollInterval is the longest delay between polls;
	// spcloud.ProvisioningPollInterval when 0.
	PollInterval time.Duration
}

// WaitForTenant waits until the tenant is provisioned (CONTRACT §5). It
// follows the tenant's event stream, reconnecting with Last-Event-ID, until
// tenant_ready (success) or provisioning_failed (a *ProvisioningError with
// the event's message). When the stream cannot be had, it polls the tenant
// status instead: ready is success, failed a *ProvisioningError. It returns
// the final status, read after tenant_ready so that secrets_url is known.
//
// It returns ctx.Err() when ctx ends, and an error wrapping ErrWaitTimeout
// when the wait runs past opts.Timeout.
func WaitForTenant(ctx context.Context, client *api.Client, tenantID string, opts WaitOptions) (*api.TenantStatus, error) {
	if client == nil || tenantID == "" {
		return nil, errors.New("checkout.WaitForTenant: a client and a tenant id are required")
	}
	timeout := opts.Timeout
	if timeout <= 0 {
		timeout = DefaultWaitTimeout
	}
	wctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()

	ready := false
	err := client.FollowTenantEvents(wctx, tenantID, opts.Follow, nil, func(ev api.ProvisioningEvent) (bool, error) {
		if opts.OnEvent != nil {
			opts.OnEvent(ev)
		}
		switch ev.EventType {
		case api.EventTenantReady:
			ready = true
			return true, nil
		case api.EventProvisioningFailed:
			return true, &ProvisioningError{TenantID: tenantID, Message: messageOr(ev.Message)}
		}
		return false, nil
	})
	if err != nil && !ready {
		if werr := waitError(ctx, wctx, err, tenantID, timeout); werr != nil {
			return nil, werr
		}
		if opts.OnFallback != nil {
			opts.OnFallback(err)
		}
	}
	// After tenant_ready the status answers ready at once; after a stream
	// failure this is the polling fallback.
	st, err := pollTenant(wctx, client, tenantID, opts.PollStart, opts.PollInterval, opts.OnStatus)
	if err != nil {
		if werr := waitError(ctx, wctx, err, tenantID, timeout); werr != nil {
			return nil, werr
		}
		return nil, err
	}
	return st, nil
}

// waitError maps the error that ended a stage of a wait: nil when the wait
// should go on by polling, else the error to return.
func waitError(ctx, wctx context.Context, err error, tenantID string, timeout time.Duration) error {
	var pe *ProvisioningError
	switch {
	case errors.As(err, &pe):
		return err
	case ctx.Err() != nil:
		return ctx.Err()
	case wctx.Err() != nil:
		return waitTimeout(tenantID, timeout)
	case !pollable(err):
		return err
	}
	return nil
}

// pollable reports whether a stream error leaves polling worth a try: not
// when the token is refused.
func pollable(err error) bool {
	var ae *spcloud.APIError
	if errors.As(err, &ae) {
		return ae.Status != http.StatusUnauthorized && ae.Status != http.StatusForbidden
	}
	return true
}

// transient reports whether a failed status call is worth repeating.
func transient(err error) bool {
	if errors.Is(err, spcloud.ErrNetwork) {
		return true
	}
	var ae *spcloud.APIError
	return errors.As(err, &ae) && (ae.Status == http.StatusTooManyRequests || ae.Status >= 500)
}

// pollTenant asks for the tenant's status until it is ready or failed,
// waiting start, then twice as long each time, up to max, between calls.
func pollTenant(ctx context.Context, client *api.Client, tenantID string, start, max time.Duration, onStatus func(api.TenantStatus)) (*api.TenantStatus, error) {
	if start <= 0 {
		start = DefaultPollStart
	}
	if max <= 0 {
		max = spcloud.ProvisioningPollInterval
	}
	delay := min(start, max)
	var last *api.TenantStatus
	for {
		st, err := client.TenantStatus(ctx, tenantID)
		switch {
		case err == nil:
			if onStatus != nil && (last == nil || last.Status != st.Status || api.Str(last.Message) != api.Str(st.Message)) {
				onStatus(*st)
			}
			last = st
			switch st.Status {
			case api.StatusReady:
				return st, nil
			case api.StatusFailed:
				return st, &ProvisioningError{TenantID: tenantID, Message: messageOr(st.Message)}
			}
		case ctx.Err() != nil:
			return nil, ctx.Err()
		case !transient(err):
			return nil, err
		}
		timer := time.NewTimer(delay)
		select {
		case <-ctx.Done():
			timer.Stop()
			return nil, ctx.Err()
		case <-timer.C:
		}
		delay = min(delay*2, max)
	}
}
