package emulator

import (
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/spcloud/spcloud"
	"github.com/spcloud/spcloud/api"
)

// planDef is a plan of the catalog with its displayed price.
type planDef struct {
	api.Plan
	Price string
}

// MaxStarterTenants is how many tenants one user may run on the Starter plan:
// enough for a team's CI to buy many at once, few enough to meet the limit.
const MaxStarterTenants = 20

// catalog is what GET /api/v1/checkout/plans lists.
var catalog = []planDef{
	{Plan: api.Plan{ID: "plan_starter", Name: "Starter", PaddlePriceID: "pri_01starter",
		MemoryMBDefault: 1024, VolumeGB: 5, MaxTenants: api.Ptr(MaxStarterTenants)}, Price: "$19.00"},
	{Plan: api.Plan{ID: "plan_pro", Name: "Pro", PaddlePriceID: "pri_01pro",
		MemoryMBDefault: 2048, VolumeGB: 10}, Price: "$49.00"},
}

func planByPrice(priceID string) (planDef, bool) {
	for _, p := range catalog {
		if p.PaddlePriceID == priceID {
			return p, true
		}
	}
	return planDef{}, false
}

// Checkout session states.
const (
	checkoutOpen      = "open"
	checkoutPaid      = "paid"
	checkoutCancelled = "cancelled"
)

// checkoutSession is a checkout between its creation and its payment. Its
// event log becomes the tenant's when the person pays.
type checkoutSession struct {
	id, txn     string
	owner       string // user id
	plan        planDef
	region      spcloud.Region
	redirectURI string // "" when the client gave none
	state       string
	tenantID    string
	log         *eventLog
}

func (s *Server) handlePlans(w http.ResponseWriter, r *http.Request, c *call) {
	out := make([]api.Plan, len(catalog))
	for i, p := range catalog {
		out[i] = p.Plan
	}
	writeJSON(w, http.StatusOK, out)
}

func (s *Server) handleCreateCheckout(w http.ResponseWriter, r *http.Request, c *call) {
	var req api.CheckoutRequest
	if !decodeBody(w, r, &req) {
		return
	}
	plan, ok := planByPrice(req.PriceID)
	if !ok {
		writeError(w, http.StatusBadRequest, "invalid_request", fmt.Sprintf("Unknown price_id '%s'", req.PriceID))
		return
	}
	region, ok := spcloud.LookupRegion(req.Region)
	if !ok {
		writeError(w, http.StatusBadRequest, "invalid_request", fmt.Sprintf("Unknown region '%s'", req.Region))
		return
	}
	if req.RedirectURI != "" {
		if _, err := checkLoopbackURI(req.RedirectURI); err != nil {
			writeError(w, http.StatusBadRequest, "invalid_redirect_uri", err.Error())
			return
		}
	}
	cs := &checkoutSession{
		id: "cs_" + randomHex(12), txn: "txn_" + randomHex(12), owner: c.user.id,
		plan: plan, region: region, redirectURI: req.RedirectURI, state: checkoutOpen, log: newEventLog(),
	}
	s.mu.Lock()
	if msg := s.planLimit(c.user.id, plan); msg != "" {
		s.mu.Unlock()
		writeError(w, http.StatusConflict, "plan_limit_reached", msg)
		return
	}
	s.checkouts[cs.id] = cs
	s.payments[cs.txn] = cs
	s.mu.Unlock()
	writeJSON(w, http.StatusOK, api.CheckoutResponse{
		CheckoutURL:       baseURL(r) + "/checkout/" + cs.txn,
		TransactionID:     cs.txn,
		CheckoutSessionID: cs.id,
	})
}

// openPayment finds an open checkout by transaction id, or renders why not.
func (s *Server) openPayment(w http.ResponseWriter, txn string) *checkoutSession {
	s.mu.Lock()
	cs := s.payments[txn]
	state := ""
	if cs != nil {
		state = cs.state
	}
	s.mu.Unlock()
	switch {
	case cs == nil:
		renderMessage(w, http.StatusNotFound, "Checkout not found", "There is no checkout with this address.",
			"Start again with 'spcloud tenant create'.")
		return nil
	case state != checkoutOpen:
		renderMessage(w, http.StatusGone, "Checkout already completed",
			"This checkout was already "+state+".", "You can close this window.")
		return nil
	}
	return cs
}

func (s *Server) handlePaymentPage(w http.ResponseWriter, r *http.Request, c *call) {
	cs := s.openPayment(w, c.param("txn"))
	if cs == nil {
		return
	}
	if s.opts.AutoApprove {
		s.finishPayment(w, r, cs, true)
		return
	}
	s.mu.Lock()
	email := ""
	if u := s.users[cs.owner]; u != nil {
		email = u.email
	}
	s.mu.Unlock()
	renderPage(w, http.StatusOK, paymentTmpl(), paymentView{
		Action: "/checkout/" + url.PathEscape(cs.txn), TransactionID: cs.txn, Email: email,
		PlanName: cs.plan.Name, Price: cs.plan.Price,
		MemoryMB: cs.plan.MemoryMBDefault, VolumeGB: cs.plan.VolumeGB,
		RegionCode: cs.region.Code, RegionName: cs.region.Name,
	})
}

func (s *Server) handlePaymentPost(w http.ResponseWriter, r *http.Request, c *call) {
	r.Body = http.MaxBytesReader(w, r.Body, 64<<10)
	if err := r.ParseForm(); err != nil {
		renderMessage(w, http.StatusBadRequest, "Bad request", "The form could not be read.", "")
		return
	}
	action := r.PostForm.Get("action")
	if action != "pay" && action != "cancel" {
		renderMessage(w, http.StatusBadRequest, "Bad request", "Choose Pay or Cancel.", "")
		return
	}
	cs := s.openPayment(w, c.param("txn"))
	if cs == nil {
		return
	}
	s.finishPayment(w, r, cs, action == "pay")
}

// finishPayment pays (creating the tenant and starting its provisioning) or
// cancels, then sends the browser back to the client, if it gave an address.
func (s *Server) finishPayment(w http.ResponseWriter, r *http.Request, cs *checkoutSession, pay bool) {
	s.mu.Lock()
	if cs.state != checkoutOpen { // lost a race with another click
		state := cs.state
		s.mu.Unlock()
		renderMessage(w, http.StatusGone, "Checkout already completed", "This checkout was already "+state+".", "You can close this window.")
		return
	}
	// The limit is checked again at payment: checkouts opened at the same
	// time all passed the first check.
	limit := ""
	if pay {
		limit = s.planLimit(cs.owner, cs.plan)
	}
	if pay && limit == "" {
		cs.state = checkoutPaid
		s.createTenant(cs)
	} else {
		cs.state = checkoutCancelled
		cs.log.end()
	}
	s.mu.Unlock()

	if limit != "" {
		if cs.redirectURI == "" {
			renderMessage(w, http.StatusConflict, "Plan limit reached", limit+". Nothing was charged.", "")
			return
		}
		ru, _ := url.Parse(cs.redirectURI)
		http.Redirect(w, r, withQuery(ru, "error", "plan_limit_reached", "error_description", limit+". Nothing was charged."), http.StatusSeeOther)
		return
	}
	if cs.redirectURI == "" {
		if pay {
			renderMessage(w, http.StatusOK, "Payment complete",
				"Thank you! Your tenant is being set up. You can close this window.", "")
		} else {
			renderMessage(w, http.StatusOK, "Payment cancelled", "Nothing was charged. You can close this window.", "")
		}
		return
	}
	ru, _ := url.Parse(cs.redirectURI)
	if pay {
		http.Redirect(w, r, withQuery(ru, "status", "pending", "checkout_session_id", cs.id, "transaction_id", cs.txn), http.StatusSeeOther)
	} else {
		http.Redirect(w, r, withQuery(ru, "error", "Payment cancelled"), http.StatusSeeOther)
	}
}

// createTenant makes the paid checkout's tenant and starts provisioning it.
// s.mu must be held.
func (s *Server) createTenant(cs *checkoutSession) *tenant {
	var short, name string
	for {
		short = randomHex(3)
		name = "tenant-" + short
		if !s.nameTaken(name) {
			break
		}
	}
	s.order++
	t := &tenant{
		id: newUUID(), name: name, owner: cs.owner, order: s.order,
		region: cs.region.Code, plan: cs.plan,
		subscriptionID: "sub_" + randomHex(6), checkoutID: cs.id,
		appID: "sp-" + name, hostname: name + ".systemprompt.io",
		dbUser: "u_" + short, dbPass: randomHex(12), dbName: strings.ReplaceAll(name, "-", "_"),
		jwtSecret: "jws_" + randomHex(16), syncToken: "syt_" + randomHex(10), ticket: "tkt_" + randomToken(),
		secrets: map[string]string{}, log: cs.log, stop: make(chan struct{}),
		phase: runProvision.phase(), created: time.Now().UTC(),
	}
	cs.tenantID = t.id
	s.tenants[t.id] = t
	s.startRun(t, &run{kind: runProvision, steps: provisionSteps(s.opts.FailProvisioning), checkout: true})
	return t
}

// planLimit says why the user may not have another tenant on plan, or ""
// when they may. s.mu must be held.
func (s *Server) planLimit(userID string, plan planDef) string {
	max := plan.MaxTenants
	if max == nil {
		return ""
	}
	n := 0
	for _, t := range s.tenants {
		if t.owner == userID && !t.gone && t.plan.ID == plan.ID {
			n++
		}
	}
	if n < *max {
		return ""
	}
	return fmt.Sprintf("The %s plan allows %d tenants; delete one or choose another plan", plan.Name, *max)
}

func (s *Server) nameTaken(name string) bool {
	for _, t := range s.tenants {
		if t.name == name {
			return true
		}
	}
	return false
}
