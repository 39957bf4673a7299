package cli

import (
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

func TestParseDotenv(t *testing.T) {
	tests := []struct {
		name, in string
		want     map[string]string
		err      string
	}{
		{"plain", "A=1\nB=two\n", map[string]string{"A": "1", "B": "two"}, ""},
		{"comments and blanks", "# top\n\n  # indented\nA=1\n\n", map[string]string{"A": "1"}, ""},
		{"export", "export A=1\nexport\tB=2\nexporter=3", map[string]string{"A": "1", "B": "2", "exporter": "3"}, ""},
		{"spaces", "  A = spaced value  \n", map[string]string{"A": "spaced value"}, ""},
		{"inline comment", "A=value # note\nB=# not a comment\nC= # empty", map[string]string{"A": "value", "B": "# not a comment", "C": ""}, ""},
		{"equals in value", "URL=postgres://u:p@h/db?a=b", map[string]string{"URL": "postgres://u:p@h/db?a=b"}, ""},
		{"single quotes", `A='lit $x \n # kept'`, map[string]string{"A": `lit $x \n # kept`}, ""},
		{"double quotes", `A="line1\nline2 \"q\" \\ \$HOME" # c`, map[string]string{"A": "line1\nline2 \"q\" \\ $HOME"}, ""},
		{"multi-line", "KEY=\"-----BEGIN-----\nabc\n-----END-----\"\nB=2", map[string]string{"KEY": "-----BEGIN-----\nabc\n-----END-----", "B": "2"}, ""},
		{"crlf and bom", "\ufeffA=1\r\nB=\"x\"\r\n", map[string]string{"A": "1", "B": "x"}, ""},
		{"last wins", "A=1\nA=2", map[string]string{"A": "2"}, ""},
		{"empty", "A=", map[string]string{"A": ""}, ""},
		{"no equals", "A=1\nJUSTAKEY\n", nil, "line 2: expected KEY=VALUE"},
		{"bad name", "1A=x", nil, `line 1: "1A" is not a valid name`},
		{"unclosed double", "A=\"abc\nB=1", nil, "line 1: the value of A has no closing \""},
		{"unclosed single", "A='abc", nil, "line 1: the value of A has no closing '"},
		{"text after quote", `A="x" y`, nil, "line 1: unexpected text after the quoted value of A"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			pairs, err := parseDotenv(tt.in)
			if tt.err != "" {
				if err == nil || !strings.Contains(err.Error(), tt.err) {
					t.Fatalf("err = %v, want %q", err, tt.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			got := map[string]string{}
			for _, p := range pairs {
				got[p.Key] = p.Value
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("got %q, want %q", got, tt.want)
			}
		})
	}
	// Errors never show a value.
	if _, err := parseDotenv("A=\"supersecret"); err == nil || strings.Contains(err.Error(), "supersecret") {
		t.Errorf("err = %v", err)
	}
}

func FuzzParseDotenv(f *testing.F) {
	for _, s := range []string{"A=1", "export B='x'", "C=\"a\\nb\"", "# c\n\nD=e # f", "E=\"\n\"", "=", "\"=\""} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		pairs, err := parseDotenv(s)
		if err != nil {
			return
		}
		for _, p := range pairs {
			if !validSecretName(p.Key) {
				t.Fatalf("invalid key %q accepted", p.Key)
			}
		}
	})
}

func TestSecrets(t *testing.T) {
	te, id := withTenant(t)
	env := filepath.Join(te.dir, ".env.production")
	os.WriteFile(env, []byte("# production\nexport ANTHROPIC_API_KEY=sk-ant-secret-1\nQUOTED=\"two\\nlines\" # note\nSINGLE='$literal'\n"), 0o600)

	// From a file, from the command line, and one from standard input.
	te.stdin = "piped-secret-value\n"
	out, stderr := te.mustRun("secrets", "set", "--from-file", env, "INLINE=inline-secret", "FROM_STDIN")
	st := te.state(id)
	want := map[string]string{"ANTHROPIC_API_KEY": "sk-ant-secret-1", "QUOTED": "two\nlines", "SINGLE": "$literal", "INLINE": "inline-secret", "FROM_STDIN": "piped-secret-value"}
	if !reflect.DeepEqual(st.Secrets, want) {
		t.Errorf("emulator secrets = %q", st.Secrets)
	}
	noSecrets(t, out+stderr, "sk-ant-secret-1", "two\nlines", "$literal", "inline-secret", "piped-secret-value")
	if !strings.Contains(stderr, "Set 5 secrets") || !strings.Contains(stderr, "FROM_STDIN") {
		t.Errorf("set: %s", stderr)
	}

	// A multi-line value piped in keeps its inner newlines.
	te.stdin = "-----BEGIN KEY-----\nabc\n-----END KEY-----\n"
	te.mustRun("secrets", "set", "PEM")
	if v := te.state(id).Secrets["PEM"]; v != "-----BEGIN KEY-----\nabc\n-----END KEY-----" {
		t.Errorf("PEM = %q", v)
	}
	// --from-file - reads the file from standard input.
	te.stdin = "FROM_DASH=1\n"
	te.mustRun("secrets", "set", "--from-file", "-")
	te.stdin = ""

	out, stderr = te.mustRun("secrets", "list")
	keys := strings.Fields(out)
	if !reflect.DeepEqual(keys, te.state(id).SecretKeys) || len(keys) != 7 {
		t.Errorf("list = %q, emulator %q", keys, te.state(id).SecretKeys)
	}
	noSecrets(t, out+stderr, "sk-ant-secret-1", "piped-secret-value")
	out, _ = te.mustRun("secrets", "list", "--json")
	var res secretKeysResult
	if err := json.Unmarshal([]byte(out), &res); err != nil || res.TenantID != id || len(res.Keys) != 7 {
		t.Errorf("list --json: %v %s", err, out)
	}

	// The platform's variables are refused before anything is sent.
	before := te.state(id).Secrets
	for _, args := range [][]string{
		{"secrets", "set", "DATABASE_URL=postgres://x"},
		{"secrets", "set", "OK=1", "jwt_secret=x"},
		{"secrets", "unset", "APP_URL"},
	} {
		code, _, stderr := te.run(args...)
		if code != ExitError || !strings.Contains(stderr, "managed by the platform") {
			t.Errorf("%v: exit %d: %s", args, code, stderr)
		}
	}
	os.WriteFile(env, []byte("OK=1\nFLY_APP_NAME=evil\n"), 0o600)
	if code, _, stderr := te.run("secrets", "set", "--from-file", env); code != ExitError || !strings.Contains(stderr, "line 2") || !strings.Contains(stderr, "FLY_APP_NAME is managed") {
		t.Errorf("managed name in a file: exit %d: %s", code, stderr)
	}
	for _, bad := range [][]string{
		{"secrets", "set"},
		{"secrets", "set", "9LIVES=1"},
		{"secrets", "set", "A", "B"},
		{"secrets", "set", "EMPTY_FROM_STDIN"},
	} {
		if code, _, _ := te.run(bad...); code != ExitError {
			t.Errorf("%v: exit %d", bad, code)
		}
	}
	if !reflect.DeepEqual(te.state(id).Secrets, before) {
		t.Error("a refused set changed the secrets")
	}

	// Unset: gone from the emulator; an unknown name is named.
	_, stderr = te.mustRun("secrets", "unset", "INLINE", "SINGLE")
	if keys := te.state(id).SecretKeys; strings.Contains(strings.Join(keys, ","), "INLINE") || strings.Contains(strings.Join(keys, ","), "SINGLE") {
		t.Errorf("after unset: %v", keys)
	}
	// A typo among the names removes nothing.
	code, _, stderr := te.run("secrets", "unset", "PEM", "NOT_THERE")
	if code != ExitError || !strings.Contains(stderr, "no secret named NOT_THERE") || !strings.Contains(stderr, "nothing was removed") {
		t.Errorf("unset unknown: exit %d: %s", code, stderr)
	}
	if _, ok := te.state(id).Secrets["PEM"]; !ok {
		t.Error("PEM was removed although another name was unknown")
	}
}
