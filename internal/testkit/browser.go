package testkit

import (
	"context"
	"html"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"testing"
)

// Follow is the fake browser's GET: it opens u, follows redirects and
// returns the last answer (its body already read and closed) and its body.
func Follow(ctx context.Context, u string) (*http.Response, string, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return nil, "", err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return nil, "", err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	return resp, string(b), err
}

// Page is what the fake browser ended on.
type Page struct {
	Status int
	Body   string
	URL    string // after redirects
}

// Visit opens rawURL like Follow and returns the page it ended on.
func Visit(ctx context.Context, rawURL string) (Page, error) {
	resp, body, err := Follow(ctx, rawURL)
	if resp == nil {
		return Page{}, err
	}
	return Page{resp.StatusCode, body, resp.Request.URL.String()}, nil
}

// Browser is an Open function for the login and checkout flows: it visits
// each URL it is given and keeps the URLs and the pages.
type Browser struct {
	mu    sync.Mutex
	pages []Page
	urls  []string
}

// Open visits u and keeps the page, or returns why it could not.
func (b *Browser) Open(ctx context.Context, u string) error {
	p, err := Visit(ctx, u)
	b.mu.Lock()
	defer b.mu.Unlock()
	b.urls = append(b.urls, u)
	if err == nil {
		b.pages = append(b.pages, p)
	}
	return err
}

// URLs returns the URLs it was asked to open, in order.
func (b *Browser) URLs() []string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return append([]string(nil), b.urls...)
}

// Last returns the last page seen, failing the test when there is none.
func (b *Browser) Last(t testing.TB) Page {
	t.Helper()
	b.mu.Lock()
	defer b.mu.Unlock()
	if len(b.pages) == 0 {
		t.Fatal("the browser saw no page")
	}
	return b.pages[len(b.pages)-1]
}

var (
	formRE   = regexp.MustCompile(`<form method="post" action="([^"]*)">`)
	hiddenRE = regexp.MustCompile(`<input type="hidden" name="([^"]+)" value="([^"]*)">`)
)

// Clicker is a person who opens the page and presses the button with the
// given value (approve, deny, pay, cancel) on the emulator's pages. A page
// without that button fails the test.
func Clicker(t testing.TB, button string) func(context.Context, string) error {
	return func(ctx context.Context, u string) error {
		resp, body, err := Follow(ctx, u)
		if err != nil {
			return err
		}
		m := formRE.FindStringSubmatch(body)
		if m == nil || !strings.Contains(body, `id="`+button+`"`) {
			t.Errorf("no form with button %q on %s:\n%.500s", button, resp.Request.URL, body)
			return nil
		}
		action, err := resp.Request.URL.Parse(html.UnescapeString(m[1]))
		if err != nil {
			return err
		}
		form := url.Values{"action": {button}}
		for _, h := range hiddenRE.FindAllStringSubmatch(body, -1) {
			form.Set(html.UnescapeString(h[1]), html.UnescapeString(h[2]))
		}
		req, _ := http.NewRequestWithContext(ctx, http.MethodPost, action.String(), strings.NewReader(form.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		r, err := http.DefaultClient.Do(req)
		if err != nil {
			return err
		}
		r.Body.Close()
		return nil
	}
}
