package token

import (
	"encoding/base64"
	"testing"
	"time"
)

func jwtWith(payload string) string {
	return "eyJhbGciOiJIUzI1NiJ9." + base64.RawURLEncoding.EncodeToString([]byte(payload)) + ".sig"
}

func TestStateOf(t *testing.T) {
	now := time.Unix(2_000_000_000, 0)
	cases := []struct {
		name string
		tok  string
		want State
	}{
		{"valid", jwtWith(`{"exp":2000100000}`), Valid},
		{"soon", jwtWith(`{"exp":2000000600}`), ExpiresSoon},
		{"exactly now is expired", jwtWith(`{"exp":2000000000}`), Expired},
		{"past", jwtWith(`{"exp":1700000000}`), Expired},
		{"float exp", jwtWith(`{"exp":2000100000.5}`), Valid},
		{"no exp", jwtWith(`{"sub":"x"}`), Expired},
		{"exp string", jwtWith(`{"exp":"soon"}`), Expired},
		{"two parts", "a.b", Expired},
		{"bad base64", "a.!!!.c", Expired},
		{"not json", jwtWith(`nope`), Expired},
		{"empty", "", Expired},
	}
	for _, c := range cases {
		if got := StateOf(c.tok, time.Hour, now); got != c.want {
			t.Errorf("%s: StateOf = %s, want %s", c.name, got, c.want)
		}
	}
}

func TestDecodeFixtureToken(t *testing.T) {
	// The token of the reference project's credentials.json.
	tok := "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiJ1c3JfN2YzYTljIiwiZW1haWwiOiJkZXZAZXhhbXBsZS5jb20iLCJleHAiOjQxMDI0NDQ4MDAsImlhdCI6MTc2OTAwMDAwMH0.bm90LWEtcmVhbC1zaWduYXR1cmUtZm9yLWZpeHR1cmVz"
	c, err := Decode(tok)
	if err != nil {
		t.Fatal(err)
	}
	if c.Expiry != 4102444800 || c.Email != "dev@example.com" || c.Subject != "usr_7f3a9c" {
		t.Fatalf("claims = %+v", c)
	}
}

func FuzzDecode(f *testing.F) {
	f.Add(jwtWith(`{"exp":2000100000}`))
	f.Add("a.b.c")
	f.Add("")
	f.Add(jwtWith(`{"exp":1e300}`))
	f.Fuzz(func(t *testing.T, s string) {
		c, err := Decode(s)
		if err == nil && IsExpired(s, time.Unix(c.Expiry, 0).Add(-time.Second)) {
			t.Fatalf("decoded token %q reported expired before its exp", s)
		}
	})
}
