package loopback

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

func TestPagesLookFinished(t *testing.T) {
	tests := []struct {
		name   string
		page   Page
		status int
		want   []string
	}{
		{"success", SuccessPage("You are logged in", "Return to the terminal."), 200,
			[]string{"<title>You are logged in · spcloud</title>", `<body class="success">`, "<h1 id=\"heading\">You are logged in</h1>", "✓"}},
		{"error", ErrorPage(400, "Login failed", "The provider refused.", "access_denied"), 400,
			[]string{"<title>Login failed · spcloud</title>", `<body class="error">`, `<div class="detail" id="detail">access_denied</div>`}},
		{"waiting", WaitingPage("Setting up", "Hold on.", "/progress"), 200,
			[]string{`<body class="waiting">`, `var url = "/progress";`, `<ul class="steps" id="steps">`, "fetch(url"}},
		{"not found", NotFoundPage(), 404, []string{"<title>Not found · spcloud</title>"}},
		{"replay", ReplayPage(), 410, []string{"already used"}},
		{"clear url", Page{Kind: KindSuccess, Heading: "x", ClearURL: true}, 200, []string{"history.replaceState"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rec := httptest.NewRecorder()
			tt.page.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/", nil))
			if rec.Code != tt.status {
				t.Errorf("status %d, want %d", rec.Code, tt.status)
			}
			body := rec.Body.String()
			for _, w := range append(tt.want, "<!DOCTYPE html>", "<style nonce=", `<meta charset="utf-8">`) {
				if !strings.Contains(body, w) {
					t.Errorf("page lacks %q:\n%s", w, body)
				}
			}
			// Every script and style carries the nonce the CSP allows.
			csp := rec.Header().Get("Content-Security-Policy")
			nonce := csp[strings.Index(csp, "'nonce-")+7:]
			nonce = nonce[:strings.Index(nonce, "'")]
			if strings.Count(body, "<script") != strings.Count(body, `<script nonce="`+nonce+`"`) ||
				strings.Count(body, "<style") != strings.Count(body, `<style nonce="`+nonce+`"`) {
				t.Errorf("script or style without the CSP nonce %q", nonce)
			}
		})
	}
}

func TestPageClipsLongText(t *testing.T) {
	rec := httptest.NewRecorder()
	ErrorPage(0, "x", "y", strings.Repeat("A", 100000)).Render(rec)
	if rec.Body.Len() > 20000 {
		t.Errorf("page is %d bytes", rec.Body.Len())
	}
}
