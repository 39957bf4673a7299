package checkout

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/url"
	"time"

	"github.com/spcloud/spcloud"
	"github.com/spcloud/spcloud/api"
	"github.com/spcloud/spcloud/internal/browser"
	"github.com/spcloud/spcloud/internal/loopback"
)

// Options configure Run.
type Options struct {
	// Client calls the API with the user's token.
	Client *api.Client
	// PriceID is the chosen plan's paddle_price_id.
	PriceID string
	// Region is a region code; spcloud.DefaultRegion when empty.
	Region string
	// Port is the callback port; 0 tries spcloud.CheckoutCallbackPort, then
	// any free port.
	Port int
	// PinPort makes the port mandatory (--callback-port): when it is taken,
	// Run fails instead of choosing another.
	PinPort bool
	// NoBrowser only prints the URL to visit.
	NoBrowser bool
	// Stderr receives the URL and progress lines; nil discards them.
	Stderr io.Writer
	// Timeout bounds the wait for the browser; spcloud.CallbackTimeout when 0.
	Timeout time.Duration
	// WaitTimeout bounds the provisioning wait after a pending callback;
	// DefaultWaitTimeout when 0.
	WaitTimeout time.Duration
	// Open opens a URL in the browser; the default launcher of package
	// internal/browser when nil. An error it returns is reported and the
	// wait goes on. Tests use it to play the browser.
	Open func(ctx context.Context, url string) error
	// OnEvent is told each checkout event, once, in order.
	OnEvent func(api.CheckoutEvent)
	// OnStatus is told each new tenant status seen while polling (when the
	// event stream could not be had).
	OnStatus func(api.TenantStatus)
	// Follow tunes the event stream's reconnections.
	Follow api.FollowOptions
	// PollInterval is the longest delay between status polls;
	// spcloud.ProvisioningPollInterval when 0.
	PollInterval time.Duration
	// SuccessMessage is the text of the success page of a completed
	// checkout; TenantIDMarker in it is replaced by the tenant id.
	// DefaultSuccessMessage when empty.
	SuccessMessage string
	// Logger receives debug lines of the callback server; nil logs nothing.
	Logger *slog.Logger
}

// Result is a finished checkout.
type Result struct {
	// TransactionID is the payment's transaction id (the checkout session
	// id when the callback gave none).
	TransactionID string
	// TenantID is the new tenant.
	TenantID string
	// FlyAppName is the tenant's app, when an event named it.
	FlyAppName string
	// NeedsDeploy is true when the infrastructure is ready but no app runs
	// yet (infrastructure_ready), false when the tenant is ready.
	NeedsDeploy bool
	// AppURL is the tenant's URL, when an event or the status gave it.
	AppURL string
}

// lingerMax is how long a waiting page that polls gets to see the end.
const lingerMax = 3 * time.Second

// Run buys a tenant through the browser (see the package documentation).
// It returns ctx.Err() when ctx ends (Ctrl-C), a *CheckoutError when the
// checkout did not succeed, a *ProvisioningError when provisioning failed,
// an error wrapping loopback.ErrTimeout when the browser does not come back
// in time, and one wrapping ErrWaitTimeout when provisioning runs past
// WaitTimeout. The callback server is shut down before Run returns.
func Run(ctx context.Context, opts Options) (*Result, error) {
	if opts.Client == nil {
		return nil, errors.New("checkout: Options.Client is required")
	}
	if opts.PriceID == "" {
		return nil, errors.New("checkout: Options.PriceID is required")
	}
	region := opts.Region
	if region == "" {
		region = spcloud.DefaultRegion
	}
	stderr := opts.Stderr
	if stderr == nil {
		stderr = io.Discard
	}
	opts.Stderr = stderr
	port := opts.Port
	if port == 0 {
		port = spcloud.CheckoutCallbackPort
	}

	tr := newTracker()
	var cb callback
	srv, err := loopback.Listen(ctx, loopback.Config{
		Port:    port,
		Pin:     opts.PinPort,
		Timeout: opts.Timeout,
		Logger:  opts.Logger,
		OnCallback: func(q url.Values) loopback.Page {
			c, page := decide(q, opts.SuccessMessage)
			tr.setTenant(c.tenantID)
			cb = c // read after Wait, which the callback's completion orders
			// The one-use secret path and the transaction leave the
			// address bar and history; the waiting page polls by path.
			page.ClearURL = true
			return page
		},
	})
	if err != nil {
		return nil, fmt.Errorf("start the checkout callback server: %w", err)
	}
	defer func() {
		tr.linger(ctx, lingerMax)
		srv.Close()
	}()
	srv.Handle("GET /status/{tenant_id}", statusHandler(opts.Client, tr))
	srv.Handle("GET "+ProgressPath, tr)

	co, err := opts.Client.CreateCheckout(ctx, api.CheckoutRequest{PriceID: opts.PriceID, Region: region, RedirectURI: srv.RedirectURI()})
	if err != nil {
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		return nil, fmt.Errorf("create the checkout: %w", err)
	}
	if !browser.IsWebURL(co.CheckoutURL) {
		return nil, errors.New("create the checkout: the API answered a checkout URL that is not an http(s) URL")
	}
	if err := browser.Present(ctx, stderr, co.CheckoutURL, opts.NoBrowser, opts.Open); err != nil {
		return nil, err
	}
	fmt.Fprintln(stderr, "Waiting for the payment to complete in the browser (Ctrl-C to cancel)...")
	if _, err := srv.Wait(ctx); err != nil {
		return nil, err
	}

	switch cb.kind {
	case callbackFailed:
		return nil, cb.err
	case callbackCompleted:
		txn := cb.transactionID
		if txn == "" {
			txn = co.TransactionID
		}
		return &Result{TransactionID: txn, TenantID: cb.tenantID}, nil
	}
	// Pending: the payment went through and the tenant is being set up.
	sessionID := cb.sessionID
	if sessionID == "" {
		sessionID = co.CheckoutSessionID
	}
	res := &Result{TransactionID: cb.transactionID, TenantID: cb.tenantID}
	if res.TransactionID == "" {
		res.TransactionID = sessionID
	}
	fmt.Fprintln(stderr, "Payment received; setting up the tenant...")
	err = follow(ctx, opts, sessionID, res, tr)
	switch {
	case err == nil:
		if res.NeedsDeploy {
			tr.end(loopback.StateDone, "Your tenant is ready for your app", "The infrastructure is ready. Return to the terminal to deploy your app.")
		} else {
			tr.end(loopback.StateDone, "Your tenant is ready", "Everything is set up. You can close this tab and return to the terminal.")
		}
		return res, nil
	default:
		tr.end(loopback.StateFailed, "Setup failed", failureText(err))
		return nil, err
	}
}

// follow follows the checkout's event stream into res until the tenant is
// ready, falling back to polling the tenant status when the stream cannot
// be had and the tenant is known; until it is known, it keeps trying the
// stream within the wait limit.
func follow(ctx context.Context, opts Options, sessionID string, res *Result, tr *tracker) error {
	timeout := opts.WaitTimeout
	if timeout <= 0 {
		timeout = DefaultWaitTimeout
	}
	wctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()

	handle := func(ev api.CheckoutEvent) (bool, error) {
		if ev.TenantID != "" && res.TenantID == "" {
			res.TenantID = ev.TenantID
			tr.setTenant(ev.TenantID)
		}
		if v := api.Str(ev.FlyAppName); v != "" {
			res.FlyAppName = v
		}
		if v := api.Str(ev.AppURL); v != "" {
			res.AppURL = v
		}
		tr.step(describe(ev.EventType, ev.Message))
		if opts.OnEvent != nil {
			opts.OnEvent(ev)
		}
		switch ev.EventType {
		case api.EventInfrastructureReady:
			res.NeedsDeploy = true
			return true, nil
		case api.EventTenantReady:
			res.NeedsDeploy = false
			return true, nil
		case api.EventProvisioningFailed:
			return true, &ProvisioningError{TenantID: res.TenantID, Message: messageOr(ev.Message)}
		}
		return false, nil
	}
	var err error
	for round := 0; ; round++ {
		err = opts.Client.FollowCheckoutEvents(wctx, sessionID, opts.Follow, nil, handle)
		// The payment went through, but until an event names the tenant
		// there is no status to poll: keep at the stream, within the limit.
		if !errors.Is(err, api.ErrStreamUnavailable) || res.TenantID != "" || wctx.Err() != nil {
			break
		}
		if round == 0 {
			fmt.Fprintln(opts.Stderr, "The checkout event stream is unavailable; trying again until it answers...")
		}
	}
	if err == nil {
		return nil
	}
	if werr := waitError(ctx, wctx, err, res.TenantID, timeout); werr != nil {
		return werr
	}
	if res.TenantID == "" {
		return fmt.Errorf("follow the checkout: %w; the tenant is not known yet, so its status cannot be checked", err)
	}
	fmt.Fprintln(opts.Stderr, "The checkout event stream is unavailable; checking the tenant status instead...")
	st, err := pollTenant(wctx, opts.Client, res.TenantID, 0, opts.PollInterval, func(st api.TenantStatus) {
		tr.step(describe(st.Status, st.Message))
		if opts.OnStatus != nil {
			opts.OnStatus(st)
		}
	})
	if err != nil {
		if werr := waitError(ctx, wctx, err, res.TenantID, timeout); werr != nil {
			return werr
		}
		return err
	}
	// Polling cannot tell infrastructure_ready from tenant_ready.
	res.NeedsDeploy = true
	if v := api.Str(st.AppURL); v != "" {
		res.AppURL = v
	}
	return nil
}

// failureText is the waiting page's message for a failed setup.
func failureText(err error) string {
	var pe *ProvisioningError
	if errors.As(err, &pe) {
		return pe.Message
	}
	return "spcloud stopped waiting: " + api.RedactText(err.Error())
}
