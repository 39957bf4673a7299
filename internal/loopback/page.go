package loopback

import (
	"bytes"
	"crypto/rand"
	_ "embed"
	"encoding/base64"
	"fmt"
	"html/template"
	"net/http"
	"sync"
)

// Kind sets a page's look.
type Kind string

// The kinds of pages.
const (
	KindSuccess Kind = "success"
	KindError   Kind = "error"
	KindInfo    Kind = "info"
	KindWaiting Kind = "waiting"
)

// Page is an HTML page the server answers with. Every text field is escaped
// when rendered, so it may hold values taken from a query.
type Page struct {
	// Status is the HTTP status; 200 when 0.
	Status int
	// Kind sets the badge and colours.
	Kind Kind
	// Title is the browser tab's title; Heading when empty.
	Title string
	// Heading is the large line.
	Heading string
	// Message is the paragraph below the heading.
	Message string
	// Detail, when set, is shown in a monospace box (an error's details).
	Detail string
	// Progress, when set, is a path on this server answering Progress JSON;
	// the page polls it every second and shows the steps and final state.
	Progress string
	// ClearURL removes the query (which may hold a token) from the address
	// bar and history once the page has loaded.
	ClearURL bool
}

// Progress is the JSON a waiting page polls (see Page.Progress).
type Progress struct {
	// State is "waiting", "done" or "failed".
	State string `json:"state"`
	// Heading and Message replace the page's when not empty.
	Heading string `json:"heading,omitempty"`
	Message string `json:"message,omitempty"`
	// Steps are the steps done so far, oldest first.
	Steps []string `json:"steps,omitempty"`
}

// The states of Progress.
const (
	StateWaiting = "waiting"
	StateDone    = "done"
	StateFailed  = "failed"
)

//go:embed page.html
var pageHTML string

// pageTemplate is parsed on first use, not at start-up.
var pageTemplate = sync.OnceValue(func() *template.Template { return template.Must(template.New("page").Parse(pageHTML)) })

// maxText bounds each text field of a page, so a hostile query cannot make
// a huge page.
const maxText = 2000

type pageData struct {
	Page
	Icon  string
	Nonce string
}

// Render writes the page with its status and headers, including a
// Content-Security-Policy that allows only the page's own style and scripts.
func (p Page) Render(w http.ResponseWriter) {
	nonce := newNonce()
	d := pageData{Page: p, Nonce: nonce}
	if d.Title == "" {
		d.Title = d.Heading
	}
	d.Title, d.Heading, d.Message, d.Detail = clip(d.Title), clip(d.Heading), clip(d.Message), clip(d.Detail)
	switch p.Kind {
	case KindSuccess:
		d.Icon = "✓"
	case KindError:
		d.Icon = "✕"
	case KindWaiting:
		d.Icon = ""
	default:
		d.Kind, d.Icon = KindInfo, "i"
	}
	var buf bytes.Buffer
	if err := pageTemplate().Execute(&buf, d); err != nil {
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	h := w.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("Content-Security-Policy", fmt.Sprintf(
		"default-src 'none'; style-src 'nonce-%[1]s'; script-src 'nonce-%[1]s'; connect-src 'self'; "+
			"base-uri 'none'; form-action 'none'; frame-ancestors 'none'", nonce))
	status := p.Status
	if status == 0 {
		status = http.StatusOK
	}
	w.WriteHeader(status)
	_, _ = w.Write(buf.Bytes())
}

// ServeHTTP renders the page, so a Page can be registered as a route.
func (p Page) ServeHTTP(w http.ResponseWriter, _ *http.Request) { p.Render(w) }

func clip(s string) string {
	r := []rune(s)
	if len(r) <= maxText {
		return s
	}
	return string(r[:maxText]) + "…"
}

func newNonce() string {
	b := make([]byte, 16)
	_, _ = rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}

// SuccessPage is a 200 page telling the person it worked.
func SuccessPage(heading, message string) Page {
	return Page{Kind: KindSuccess, Heading: heading, Message: message}
}

// ErrorPage is a page telling the person what went wrong; status 0 is 200.
// detail, when not empty, is shown as is (escaped) in a monospace box.
func ErrorPage(status int, heading, message, detail string) Page {
	return Page{Status: status, Kind: KindError, Heading: heading, Message: message, Detail: detail}
}

// WaitingPage is a page that polls progressPath (Progress JSON) until the
// work is done or failed.
func WaitingPage(heading, message, progressPath string) Page {
	return Page{Kind: KindWaiting, Heading: heading, Message: message, Progress: progressPath}
}

// NotFoundPage answers paths that are not the callback, and wrong secrets.
func NotFoundPage() Page {
	return Page{Status: http.StatusNotFound, Kind: KindError, Title: "Not found", Heading: "Nothing here",
		Message: "This address is not the one spcloud is waiting on. Use the link spcloud printed in your terminal."}
}

// ReplayPage answers the callback once it has been used.
func ReplayPage() Page {
	return Page{Status: http.StatusGone, Kind: KindInfo, Title: "Already used", Heading: "This link was already used",
		Message: "spcloud has already received this answer. Check your terminal; you can close this tab."}
}
