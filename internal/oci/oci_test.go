package oci

import (
	"archive/tar"
	"compress/gzip"
	"context"
	"io"
	"io/fs"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/layout"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/random"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/tarball"
)

const (
	goodToken = "good-token"
	repo      = "sp-acme-prod"
)

func testRegistry(t *testing.T) (host string) {
	t.Helper()
	h := NewRegistry(RegistryOptions{Username: "x", Verify: func(tok string) (string, bool) {
		switch tok {
		case goodToken:
			return repo, true
		case "other-token":
			return "sp-other", true
		}
		return "", false
	}})
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	return strings.TrimPrefix(srv.URL, "http://")
}

func randomImage(t *testing.T) v1.Image {
	t.Helper()
	img, err := random.Image(2048, 2)
	if err != nil {
		t.Fatal(err)
	}
	return img
}

func writeDockerSave(t *testing.T, img v1.Image) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "image.tar")
	tag, _ := name.NewTag("example.com/app:v1")
	if err := tarball.WriteToFile(p, tag, img); err != nil {
		t.Fatal(err)
	}
	return p
}

// tarDir writes the folder dir as a tar file.
func tarDir(t *testing.T, dir string, gz bool) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "oci.tar")
	f, err := os.Create(p)
	if err != nil {
		t.Fatal(err)
	}
	var w io.Writer = f
	var zw *gzip.Writer
	if gz {
		zw = gzip.NewWriter(f)
		w = zw
	}
	tw := tar.NewWriter(w)
	err = filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil || path == dir {
			return err
		}
		rel, _ := filepath.Rel(dir, path)
		info, _ := d.Info()
		hdr, _ := tar.FileInfoHeader(info, "")
		hdr.Name = filepath.ToSlash(rel)
		if d.IsDir() {
			hdr.Name += "/"
		}
		if err := tw.WriteHeader(hdr); err != nil {
			return err
		}
		if d.IsDir() {
			return nil
		}
		b, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		_, err = tw.Write(b)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	tw.Close()
	if zw != nil {
		zw.Close()
	}
	f.Close()
	return p
}

func ociLayout(t *testing.T, adds ...mutate.IndexAddendum) string {
	t.Helper()
	dir := t.TempDir()
	lp, err := layout.Write(dir, empty.Index)
	if err != nil {
		t.Fatal(err)
	}
	for _, a := range adds {
		if a.Add.(v1.Image) != nil {
			var opts []layout.Option
			if a.Platform != nil {
				opts = append(opts, layout.WithPlatform(*a.Platform))
			}
			if len(a.Annotations) > 0 {
				opts = append(opts, layout.WithAnnotations(a.Annotations))
			}
			if err := lp.AppendImage(a.Add.(v1.Image), opts...); err != nil {
				t.Fatal(err)
			}
		}
	}
	return dir
}

func digestOf(t *testing.T, img v1.Image) v1.Hash {
	t.Helper()
	d, err := img.Digest()
	if err != nil {
		t.Fatal(err)
	}
	return d
}

func TestPushDockerSaveAndPullBack(t *testing.T) {
	host := testRegistry(t)
	img := randomImage(t)
	a, err := Load(writeDockerSave(t, img))
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	if a.Format != FormatDockerSave || len(a.Names) != 1 || a.Names[0] != "example.com/app:v1" {
		t.Errorf("artifact = %+v", a)
	}
	var mu sync.Mutex
	var last, total int64
	calls := 0
	tgt := Target{Registry: host, Repository: repo, Tag: "deployment-1", Username: "x", Token: goodToken}
	dig, err := Push(context.Background(), a.Image, tgt, PushOptions{Progress: func(c, tot int64) {
		mu.Lock()
		defer mu.Unlock()
		if c < last {
			t.Errorf("progress went back: %d after %d", c, last)
		}
		last, total = c, tot
		calls++
	}})
	if err != nil {
		t.Fatal(err)
	}
	if calls == 0 || last != total || total == 0 {
		t.Errorf("progress: %d calls, %d of %d", calls, last, total)
	}
	// Pull it back with the same credentials: same manifest digest.
	ref, _ := name.NewTag(tgt.Reference(), name.Insecure)
	auth := remote.WithAuth(&authn.Basic{Username: "x", Password: goodToken})
	desc, err := remote.Get(ref, auth)
	if err != nil {
		t.Fatal(err)
	}
	if desc.Digest != dig {
		t.Errorf("pulled %s, pushed %s", desc.Digest, dig)
	}
	pulled, err := desc.Image()
	if err != nil {
		t.Fatal(err)
	}
	ls, _ := pulled.Layers()
	if len(ls) != 2 {
		t.Fatalf("pulled %d layers", len(ls))
	}
	if _, err := io.Copy(io.Discard, mustCompressed(t, ls[1])); err != nil {
		t.Fatal(err)
	}
	// Pushing again uploads nothing new and gives the same digest.
	if d2, err := Push(context.Background(), a.Image, tgt, PushOptions{}); err != nil || d2 != dig {
		t.Fatalf("second push: %s %v", d2, err)
	}
}

func mustCompressed(t *testing.T, l v1.Layer) io.Reader {
	rc, err := l.Compressed()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { rc.Close() })
	return rc
}

func TestRegistryRefusesOtherCredentials(t *testing.T) {
	host := testRegistry(t)
	img := randomImage(t)
	ctx := context.Background()
	for name, tgt := range map[string]Target{
		"wrong token":    {Registry: host, Repository: repo, Tag: "t", Username: "x", Token: "nope"},
		"wrong username": {Registry: host, Repository: repo, Tag: "t", Username: "admin", Token: goodToken},
		"other repo":     {Registry: host, Repository: repo, Tag: "t", Username: "x", Token: "other-token"},
	} {
		_, err := Push(ctx, img, tgt, PushOptions{})
		if err == nil {
			t.Errorf("%s: push accepted", name)
			continue
		}
		if strings.Contains(err.Error(), tgt.Token) {
			t.Errorf("%s: the error shows the token: %v", name, err)
		}
	}
	// Without credentials: 401 with a Basic challenge.
	resp, err := http.Get("http://" + host + "/v2/")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 401 || !strings.HasPrefix(resp.Header.Get("WWW-Authenticate"), "Basic ") {
		t.Errorf("anonymous /v2/: %d %q", resp.StatusCode, resp.Header.Get("WWW-Authenticate"))
	}
	// Bearer works; the catalog is refused even with a good token.
	for path, want := range map[string]int{"/v2/": 200, "/v2/_catalog": 403, "/v2/sp-other/tags/list": 403, "/v2/" + repo + "/tags/list": 404} {
		req, _ := http.NewRequest("GET", "http://"+host+path, nil)
		req.Header.Set("Authorization", "Bearer "+goodToken)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != want {
			t.Errorf("GET %s with bearer: %d, want %d", path, resp.StatusCode, want)
		}
	}
}

func TestLoadOCIArchive(t *testing.T) {
	img := randomImage(t)
	want := digestOf(t, img)
	dir := ociLayout(t, mutate.IndexAddendum{Add: img, Descriptor: v1.Descriptor{Annotations: map[string]string{"org.opencontainers.image.ref.name": "app:v1"}}})
	for name, p := range map[string]string{"layout folder": dir, "tar": tarDir(t, dir, false), "tar.gz": tarDir(t, dir, true)} {
		a, err := Load(p)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if got := digestOf(t, a.Image); got != want {
			t.Errorf("%s: digest %s, want %s", name, got, want)
		}
		tmp := a.tmp
		a.Close()
		if tmp != "" {
			if _, err := os.Stat(tmp); err == nil {
				t.Errorf("%s: Close left %s", name, tmp)
			}
		}
	}
}

func TestLoadPicksLinuxAmd64(t *testing.T) {
	amd, arm := randomImage(t), randomImage(t)
	dir := ociLayout(t,
		mutate.IndexAddendum{Add: arm, Descriptor: v1.Descriptor{Platform: &v1.Platform{OS: "linux", Architecture: "arm64"}}},
		mutate.IndexAddendum{Add: amd, Descriptor: v1.Descriptor{Platform: &v1.Platform{OS: "linux", Architecture: "amd64"}}},
	)
	a, err := Load(tarDir(t, dir, false))
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	if digestOf(t, a.Image) != digestOf(t, amd) {
		t.Error("did not pick linux/amd64")
	}
}

func TestLoadRefuses(t *testing.T) {
	dir := t.TempDir()
	notTar := filepath.Join(dir, "x.tar")
	os.WriteFile(notTar, []byte("hello"), 0o600)
	plainTar := tarDir(t, func() string { d := t.TempDir(); os.WriteFile(filepath.Join(d, "a.txt"), []byte("a"), 0o600); return d }(), false)

	two := filepath.Join(dir, "two.tar")
	t1, _ := name.NewTag("example.com/a:1")
	t2, _ := name.NewTag("example.com/b:1")
	if err := tarball.MultiWriteToFile(two, map[name.Tag]v1.Image{t1: randomImage(t), t2: randomImage(t)}); err != nil {
		t.Fatal(err)
	}
	twoOCI := ociLayout(t,
		mutate.IndexAddendum{Add: randomImage(t), Descriptor: v1.Descriptor{Annotations: map[string]string{"org.opencontainers.image.ref.name": "a"}}},
		mutate.IndexAddendum{Add: randomImage(t), Descriptor: v1.Descriptor{Annotations: map[string]string{"org.opencontainers.image.ref.name": "b"}}},
	)
	for p, want := range map[string]string{
		filepath.Join(dir, "missing.tar"): "no such file",
		notTar:                            "not a tar archive",
		plainTar:                          "not an image",
		two:                               "holds 2 images (example.com/a:1, example.com/b:1)",
		twoOCI:                            "holds 2 images (a, b)",
		dir:                               "not an OCI image layout",
	} {
		_, err := Load(p)
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("Load(%s) = %v, want %q", filepath.Base(p), err, want)
		}
	}
}

func TestRepositoryOfPath(t *testing.T) {
	for p, want := range map[string]string{
		"/v2/a/b/blobs/sha256:00":   "a/b",
		"/v2/a/blobs/uploads/":      "a",
		"/v2/a/blobs/uploads":       "a",
		"/v2/a/blobs/uploads/123":   "a",
		"/v2/a/manifests/latest":    "a",
		"/v2/a/tags/list":           "a",
		"/v2/a/referrers/sha256:00": "a",
		"/v2/../a/manifests/latest": "",
		"/v2/a/unknown":             "",
	} {
		got, kind := repository(p)
		if got != want || (want != "") != (kind == pathRepo) {
			t.Errorf("repository(%s) = %q, %v", p, got, kind)
		}
	}
}

func TestIsLoopback(t *testing.T) {
	for h, want := range map[string]bool{"127.0.0.1:5000": true, "localhost:1": true, "[::1]:80": true, "registry.fly.io": false, "10.0.0.1:5000": false, "a.localhost": true} {
		if IsLoopback(h) != want {
			t.Errorf("IsLoopback(%s) != %v", h, want)
		}
	}
}

func FuzzRepository(f *testing.F) {
	for _, s := range []string{"/v2/", "/v2/a/blobs/uploads/", "/v2/a/b/manifests/x", "/v2/_catalog", "/v2//blobs/x", "/v2/../../x/tags/list"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, p string) {
		repo, kind := repository(p)
		if kind == pathRepo {
			if repo == "" || strings.HasPrefix(repo, "/") || strings.HasSuffix(repo, "/") || strings.Contains(repo, "//") {
				t.Fatalf("repository(%q) = %q", p, repo)
			}
			for _, seg := range strings.Split(repo, "/") {
				if seg == "." || seg == ".." {
					t.Fatalf("repository(%q) = %q", p, repo)
				}
			}
		}
	})
}
