// Package person is a scripted person with a very small browser: it opens a
// URL, follows redirects, and on a page with a form clicks the button it was
// told to prefer (by the button's id), exactly as a person would submit it.
// The demo and the command tests use it to approve the consent page and pay
// on the payment page of the emulator over real HTTP.
package person

import (
	"context"
	"fmt"
	"html"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"time"
)

// Person clicks through pages.
type Person struct {
	// Clicks are button ids to press, in order of preference (e.g. "approve", "pay").
	Clicks []string
	// Log, when set, is told what the person sees and does.
	Log io.Writer
	// HTTP is the browser's client; a fresh one with a timeout when nil.
	HTTP *http.Client

	wg   sync.WaitGroup
	mu   sync.Mutex
	errs []error
}

// Open visits url in the background, as a browser launched by a command
// would, and returns at once.
func (p *Person) Open(ctx context.Context, u string) error {
	p.wg.Add(1)
	go func() {
		defer p.wg.Done()
		if err := p.Visit(ctx, u); err != nil {
			p.mu.Lock()
			p.errs = append(p.errs, err)
			p.mu.Unlock()
			p.say("the browser shows an error: %v", err)
		}
	}()
	return nil
}

// Wait waits for the pages opened so far and returns their first error.
func (p *Person) Wait() error {
	p.wg.Wait()
	p.mu.Lock()
	defer p.mu.Unlock()
	if len(p.errs) > 0 {
		return p.errs[0]
	}
	return nil
}

func (p *Person) say(format string, args ...any) {
	if p.Log != nil {
		fmt.Fprintf(p.Log, "  [person] "+format+"\n", args...)
	}
}

func (p *Person) client() *http.Client {
	if p.HTTP != nil {
		return p.HTTP
	}
	return &http.Client{Timeout: 30 * time.Second}
}

// Visit loads u, following redirects, and submits forms by the preferred
// buttons until a page has none. It returns the last page's body.
func (p *Person) Visit(ctx context.Context, u string) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return err
	}
	for step := 0; step < 10; step++ {
		resp, err := p.client().Do(req)
		if err != nil {
			return err
		}
		body, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
		resp.Body.Close()
		page := string(body)
		title := pageTitle(page)
		p.say("sees %q (HTTP %d)", title, resp.StatusCode)
		form, ok := findForm(page, p.Clicks)
		if !ok {
			if resp.StatusCode >= 400 {
				return fmt.Errorf("page %q answered HTTP %d", title, resp.StatusCode)
			}
			return nil
		}
		action, err := resp.Request.URL.Parse(form.action)
		if err != nil {
			return err
		}
		p.say("clicks %q", form.label)
		req, err = http.NewRequestWithContext(ctx, http.MethodPost, action.String(), strings.NewReader(form.values.Encode()))
		if err != nil {
			return err
		}
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	return fmt.Errorf("too many forms in a row")
}

type form struct {
	action string
	values url.Values
	label  string
}

var (
	titleRe  = lazyRegexp(`(?is)<title>(.*?)</title>`)
	formRe   = lazyRegexp(`(?is)<form\b([^>]*)>(.*?)</form>`)
	inputRe  = lazyRegexp(`(?is)<input\b([^>]*)>`)
	buttonRe = lazyRegexp(`(?is)<button\b([^>]*)>(.*?)</button>`)
	attrRe   = lazyRegexp(`(?is)([a-z-]+)\s*=\s*"([^"]*)"`)
	tagRe    = lazyRegexp(`(?s)<[^>]*>`)
)

func pageTitle(page string) string {
	if m := titleRe().FindStringSubmatch(page); m != nil {
		return strings.TrimSpace(html.UnescapeString(m[1]))
	}
	return ""
}

func attrs(s string) map[string]string {
	out := map[string]string{}
	for _, m := range attrRe().FindAllStringSubmatch(s, -1) {
		out[strings.ToLower(m[1])] = html.UnescapeString(m[2])
	}
	return out
}

// findForm finds a POST form holding one of the wanted buttons, preferring
// earlier ids, and the values its submission by that button sends.
func findForm(page string, want []string) (form, bool) {
	for _, id := range want {
		for _, fm := range formRe().FindAllStringSubmatch(page, -1) {
			fa := attrs(fm[1])
			for _, b := range buttonRe().FindAllStringSubmatch(fm[2], -1) {
				ba := attrs(b[1])
				if ba["id"] != id {
					continue
				}
				vals := url.Values{}
				for _, in := range inputRe().FindAllStringSubmatch(fm[2], -1) {
					ia := attrs(in[1])
					if ia["name"] != "" {
						vals.Set(ia["name"], ia["value"])
					}
				}
				if ba["name"] != "" {
					vals.Set(ba["name"], ba["value"])
				}
				label := strings.TrimSpace(html.UnescapeString(tagRe().ReplaceAllString(b[2], "")))
				return form{action: fa["action"], values: vals, label: label}, true
			}
		}
	}
	return form{}, false
}

// lazyRegexp compiles expr on first use: the spcloud command links this
// package for its demo, and start-up should not pay for it.
func lazyRegexp(expr string) func() *regexp.Regexp {
	return sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(expr) })
}
