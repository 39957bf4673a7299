package cli

import (
	"context"
	"encoding/json"
	"net/http"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/random"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/tarball"

	"github.com/spcloud/spcloud/api"
)

func TestDeployImage(t *testing.T) {
	te, id := withTenant(t)
	out, stderr := te.mustRun("deploy", "--image", "registry.example/acme:v1")
	st := te.state(id)
	if len(st.Images) != 1 || st.Images[0] != "registry.example/acme:v1" || st.Status != "ready" {
		t.Fatalf("emulator after deploy: %+v", st)
	}
	if strings.TrimSpace(out) != st.AppURL {
		t.Errorf("stdout = %q, want the app URL %s", out, st.AppURL)
	}
	for _, want := range []string{"Deploying registry.example/acme:v1", "Machine running", "Tenant ready", "is ready after"} {
		if !strings.Contains(stderr, want) {
			t.Errorf("progress lacks %q:\n%s", want, stderr)
		}
	}

	// A failing deploy: exit 1 with the event's message.
	code, _, stderr := te.run("deploy", "--image", "registry.example/acme:fail")
	if code != ExitError || !strings.Contains(stderr, "health check did not pass") || !strings.Contains(stderr, "Provisioning failed") {
		t.Errorf("failed deploy: exit %d: %s", code, stderr)
	}
	if st := te.state(id); st.Status != "failed" {
		t.Errorf("status after a failed deploy = %s", st.Status)
	}

	for args, want := range map[string]string{
		"deploy":                         "say what to deploy: --image REF",
		"deploy --image a --image-tar b": "not both",
		"deploy --image-tar " + filepath.Join(te.dir, "missing.tar"): "missing.tar",
		"deploy --image Not-A-Reference:x:y":                         "is not an image reference",
	} {
		if code, _, stderr := te.run(strings.Fields(args)...); code != ExitError || !strings.Contains(stderr, want) {
			t.Errorf("%s: exit %d: %s", args, code, stderr)
		}
	}
	if code, _, stderr := te.run("deploy", "--image", "x:v1", "--tenant", "nope"); code != ExitError || !strings.Contains(stderr, "nope") {
		t.Errorf("deploy to an unknown tenant: exit %d: %s", code, stderr)
	}
}

// TestDeployImageTar pushes an image from a docker save tarball into the
// emulator's registry, deploys it, and pulls the manifest back.
func TestDeployImageTar(t *testing.T) {
	te, id := withTenant(t)
	img, err := random.Image(64<<10, 3)
	if err != nil {
		t.Fatal(err)
	}
	tarPath := filepath.Join(t.TempDir(), "app.tar")
	tag, _ := name.NewTag("my-app:latest")
	if err := tarball.WriteToFile(tarPath, tag, img); err != nil {
		t.Fatal(err)
	}
	wantDigest, _ := img.Digest()

	out, stderr := te.mustRun("deploy", "--image-tar", tarPath, "--json")
	var res deployResult
	if err := json.Unmarshal([]byte(out), &res); err != nil {
		t.Fatalf("deploy --json: %v %s", err, out)
	}
	st := te.state(id)
	registry := strings.TrimPrefix(te.url, "http://")
	if !strings.HasPrefix(res.Image, registry+"/"+st.AppID+":deployment-") || res.Digest != wantDigest.String() || res.Status != "ready" || res.AppURL != st.AppURL {
		t.Errorf("result = %+v (registry %s, repository %s)", res, registry, st.AppID)
	}
	if len(st.Images) != 1 || st.Images[0] != res.Image {
		t.Errorf("emulator images = %v, want %s", st.Images, res.Image)
	}
	for _, want := range []string{"Loaded the image", "docker-save", "Pushing to " + res.Image, "(100%)", "Pushed ", "Tenant ready"} {
		if !strings.Contains(stderr, want) {
			t.Errorf("progress lacks %q:\n%s", want, stderr)
		}
	}

	// Pull it back with a fresh registry token: the same manifest.
	tok, err := te.emu.IssueToken("dev@example.com")
	if err != nil {
		t.Fatal(err)
	}
	rt, err := api.New(te.url, tok).RegistryToken(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	noSecrets(t, out+stderr, rt.Token)
	ref, err := name.ParseReference(res.Image, name.Insecure)
	if err != nil {
		t.Fatal(err)
	}
	auth := remote.WithAuth(&authn.Basic{Username: rt.Username, Password: rt.Token})
	desc, err := remote.Get(ref, auth)
	if err != nil {
		t.Fatal(err)
	}
	if desc.Digest != wantDigest {
		t.Errorf("pulled %s, pushed %s", desc.Digest, wantDigest)
	}
	pulled, err := desc.Image()
	if err != nil {
		t.Fatal(err)
	}
	if cfg, err := pulled.ConfigName(); err != nil || cfg != mustConfigName(t, img) {
		t.Errorf("config %s, %v", cfg, err)
	}

	// The registry accepts that username and token and nothing else.
	if _, err := remote.Get(ref); err == nil {
		t.Error("an anonymous pull worked")
	}
	for _, a := range []authn.Authenticator{
		&authn.Basic{Username: "someone", Password: rt.Token},
		&authn.Basic{Username: rt.Username, Password: tok}, // an API token is not a registry token
		&authn.Basic{Username: rt.Username, Password: rt.Token + "x"},
	} {
		if _, err := remote.Get(ref, remote.WithAuth(a)); err == nil {
			t.Errorf("pull with %T worked", a)
		}
	}
	resp, err := http.Get(te.url + "/v2/")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 401 || resp.Header.Get("WWW-Authenticate") == "" {
		t.Errorf("anonymous /v2/: %d %q", resp.StatusCode, resp.Header.Get("WWW-Authenticate"))
	}
}

func mustConfigName(t *testing.T, img v1.Image) v1.Hash {
	t.Helper()
	h, err := img.ConfigName()
	if err != nil {
		t.Fatal(err)
	}
	return h
}
