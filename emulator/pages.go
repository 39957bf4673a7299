package emulator

import (
	"bytes"
	"html/template"
	"net/http"
	"sync"
)

// The two web pages a person sees (consent, payment) and a message page.
// They share one layout; every page is rendered into a buffer first so that
// a template error never leaves half a page behind.

const layoutHTML = `{{define "layout"}}<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{{template "title" .}} · systemprompt.io Cloud</title>
<style>
  :root { color-scheme: light dark; --accent: #4f46e5; --accent-dark: #4338ca; --muted: #6b7280; --line: #e5e7eb; }
  * { box-sizing: border-box; }
  body { margin: 0; min-height: 100vh; display: flex; align-items: center; justify-content: center;
         font: 15px/1.5 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif;
         background: linear-gradient(135deg, #eef2ff 0%, #f8fafc 60%); color: #111827; }
  main { width: 100%; max-width: 440px; margin: 24px; background: #fff; border-radius: 14px;
         box-shadow: 0 10px 30px rgba(17, 24, 39, .08), 0 1px 3px rgba(17, 24, 39, .06); padding: 32px; }
  .brand { display: flex; align-items: center; gap: 10px; font-weight: 600; color: var(--muted); font-size: 13px;
           letter-spacing: .02em; text-transform: uppercase; margin-bottom: 20px; }
  .logo { width: 28px; height: 28px; border-radius: 8px; background: var(--accent); color: #fff;
          display: grid; place-items: center; font-weight: 700; font-size: 14px; }
  h1 { font-size: 22px; margin: 0 0 6px; }
  p.lead { color: var(--muted); margin: 0 0 20px; }
  .card { border: 1px solid var(--line); border-radius: 10px; padding: 14px 16px; margin-bottom: 18px; }
  .who { display: flex; align-items: center; gap: 12px; }
  .avatar { width: 40px; height: 40px; border-radius: 50%; background: #e0e7ff; color: var(--accent-dark);
            display: grid; place-items: center; font-weight: 700; }
  .who small { display: block; color: var(--muted); }
  ul.perms { margin: 0; padding-left: 20px; }
  ul.perms li { margin: 4px 0; }
  dl { display: grid; grid-template-columns: auto 1fr; gap: 6px 16px; margin: 0; }
  dt { color: var(--muted); }
  dd { margin: 0; text-align: right; font-weight: 500; }
  .total { border-top: 1px solid var(--line); margin-top: 10px; padding-top: 10px; font-size: 17px; }
  .actions { display: flex; gap: 10px; margin-top: 8px; }
  button { flex: 1; font: inherit; font-weight: 600; padding: 11px 16px; border-radius: 9px; cursor: pointer;
           border: 1px solid var(--line); background: #fff; color: #111827; }
  button.primary { background: var(--accent); border-color: var(--accent); color: #fff; }
  button.primary:hover { background: var(--accent-dark); }
  button:hover { filter: brightness(.97); }
  .note { color: var(--muted); font-size: 12.5px; margin-top: 16px; text-align: center; }
  code { font-size: 13px; background: #f3f4f6; padding: 1px 5px; border-radius: 4px; }
  @media (prefers-color-scheme: dark) {
    body { background: #0b1020; color: #e5e7eb; }
    main { background: #111827; box-shadow: none; border: 1px solid #1f2937; }
    .card, button { border-color: #374151; }
    button { background: #1f2937; color: #e5e7eb; }
    code { background: #1f2937; }
  }
</style>
</head>
<body>
<main>
  <div class="brand"><span class="logo">sp</span> systemprompt.io Cloud</div>
  {{template "body" .}}
</main>
</body>
</html>{{end}}`

const consentHTML = `{{define "title"}}Authorize spcloud{{end}}
{{define "body"}}
  <h1>Authorize spcloud</h1>
  <p class="lead">spcloud wants to sign in to systemprompt.io Cloud with your {{.Provider}} account.</p>
  <div class="card who">
    <div class="avatar">{{.Initials}}</div>
    <div><strong id="user-name">{{.UserName}}</strong><small id="user-email">{{.UserEmail}}</small>
      <small>Signed in with {{.Provider}}</small></div>
  </div>
  <div class="card">
    <strong>spcloud will be able to</strong>
    <ul class="perms">
      <li>read your name and e-mail address</li>
      <li>create, manage and deploy your tenants</li>
      <li>manage your tenants' secrets and custom domains</li>
    </ul>
  </div>
  <form method="post" action="/oauth/consent">
    <input type="hidden" name="id" value="{{.ID}}">
    <div class="actions">
      <button type="submit" id="deny" name="action" value="deny">Deny</button>
      <button type="submit" id="approve" name="action" value="approve" class="primary">Approve</button>
    </div>
  </form>
  <p class="note">After you decide, you return to <code>{{.RedirectHost}}</code> on this computer.</p>
{{end}}`

const paymentHTML = `{{define "title"}}Checkout: {{.PlanName}}{{end}}
{{define "body"}}
  <h1>Complete your purchase</h1>
  <p class="lead">A new tenant on systemprompt.io Cloud for {{.Email}}.</p>
  <div class="card">
    <dl>
      <dt>Plan</dt><dd id="plan">{{.PlanName}}</dd>
      <dt>Resources</dt><dd>{{.MemoryMB}} MB memory · {{.VolumeGB}} GB volume</dd>
      <dt>Region</dt><dd id="region">{{.RegionName}} ({{.RegionCode}})</dd>
      <dt>Billing</dt><dd>monthly</dd>
      <dt class="total">Total today</dt><dd class="total" id="price">{{.Price}}</dd>
    </dl>
  </div>
  <form method="post" action="{{.Action}}">
    <div class="actions">
      <button type="submit" id="cancel" name="action" value="cancel">Cancel</button>
      <button type="submit" id="pay" name="action" value="pay" class="primary">Pay {{.Price}}</button>
    </div>
  </form>
  <p class="note">Emulated checkout: no card is charged. Transaction <code>{{.TransactionID}}</code></p>
{{end}}`

const messageHTML = `{{define "title"}}{{.Title}}{{end}}
{{define "body"}}
  <h1>{{.Title}}</h1>
  <p class="lead">{{.Text}}</p>
  {{if .Hint}}<p class="note">{{.Hint}}</p>{{end}}
{{end}}`

// The pages are parsed on first use, not at start-up: the spcloud command
// links the emulator, and most of its commands never serve a page.
var (
	layoutTmpl  = sync.OnceValue(func() *template.Template { return template.Must(template.New("layout").Parse(layoutHTML)) })
	consentTmpl = page(consentHTML)
	paymentTmpl = page(paymentHTML)
	messageTmpl = page(messageHTML)
)

func page(body string) func() *template.Template {
	return sync.OnceValue(func() *template.Template {
		return template.Must(template.Must(layoutTmpl().Clone()).Parse(body))
	})
}

type consentView struct {
	ID, Provider, UserName, UserEmail, Initials, RedirectHost string
}

type paymentView struct {
	Action, TransactionID, Email, PlanName, Price string
	MemoryMB, VolumeGB                            int
	RegionCode, RegionName                        string
}

type messageView struct {
	Title, Text, Hint string
}

// renderPage writes a full HTML page.
func renderPage(w http.ResponseWriter, status int, t *template.Template, data any) {
	var buf bytes.Buffer
	if err := t.ExecuteTemplate(&buf, "layout", data); err != nil {
		http.Error(w, "page error", http.StatusInternalServerError)
		return
	}
	h := w.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("Cache-Control", "no-store")
	h.Set("X-Frame-Options", "DENY")
	h.Set("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline';")
	h.Set("Referrer-Policy", "no-referrer")
	w.WriteHeader(status)
	w.Write(buf.Bytes())
}

// renderMessage writes a page with a title, a sentence and an optional hint.
func renderMessage(w http.ResponseWriter, status int, title, text, hint string) {
	renderPage(w, status, messageTmpl(), messageView{Title: title, Text: text, Hint: hint})
}
