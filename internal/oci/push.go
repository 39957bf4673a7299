package oci

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"strings"

	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/remote/transport"
)

// Target is where an image goes and the credentials to put it there: the
// fields of the registry-token answer.
type Target struct {
	Registry   string // host[:port]
	Repository string
	Tag        string
	Username   string
	Token      string
}

// Reference is registry/repository:tag.
func (t Target) Reference() string {
	return strings.TrimRight(t.Registry, "/") + "/" + strings.Trim(t.Repository, "/") + ":" + t.Tag
}

// PushOptions tune Push.
type PushOptions struct {
	// Progress is told the bytes uploaded so far and the total to upload
	// (the total grows as layers are found to be missing in the registry).
	Progress func(complete, total int64)
	// Transport is the HTTP transport; remote.DefaultTransport when nil.
	Transport http.RoundTripper
	// UserAgent is sent with each request.
	UserAgent string
}

// IsLoopback reports whether a registry host (with or without a port) is
// this machine, which is reached over plain HTTP.
func IsLoopback(registry string) bool {
	host := registry
	if h, _, err := net.SplitHostPort(registry); err == nil {
		host = h
	}
	host = strings.Trim(host, "[]")
	if host == "localhost" || strings.HasSuffix(host, ".localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// Push uploads img to t.Reference() with t's credentials and returns the
// pushed manifest's digest. Layers the registry already has are skipped.
// A loopback registry is spoken to over plain HTTP; any other over HTTPS.
func Push(ctx context.Context, img v1.Image, t Target, o PushOptions) (v1.Hash, error) {
	var nopts []name.Option
	if IsLoopback(t.Registry) {
		nopts = append(nopts, name.Insecure)
	}
	ref, err := name.NewTag(t.Reference(), nopts...)
	if err != nil {
		return v1.Hash{}, fmt.Errorf("the registry token names an invalid image reference %q: %w", t.Reference(), err)
	}
	digest, err := img.Digest()
	if err != nil {
		return v1.Hash{}, fmt.Errorf("read the image: %w", err)
	}
	ropts := []remote.Option{
		remote.WithContext(ctx),
		remote.WithAuth(&authn.Basic{Username: t.Username, Password: t.Token}),
	}
	if o.Transport != nil {
		ropts = append(ropts, remote.WithTransport(o.Transport))
	}
	if o.UserAgent != "" {
		ropts = append(ropts, remote.WithUserAgent(o.UserAgent))
	}
	done := make(chan struct{})
	finished := make(chan struct{})
	var total int64 // last total seen; read after finished is closed
	if o.Progress != nil {
		updates := make(chan v1.Update, 16)
		ropts = append(ropts, remote.WithProgress(updates))
		go func() {
			defer close(finished)
			for {
				select {
				case u, ok := <-updates:
					if !ok {
						return
					}
					if u.Error == nil {
						total = u.Total
						o.Progress(min(u.Complete, u.Total), u.Total)
					}
				case <-done:
					return
				}
			}
		}()
	} else {
		close(finished)
	}
	err = remote.Write(ref, img, ropts...)
	close(done)
	<-finished
	if err != nil {
		if ctx.Err() != nil {
			return v1.Hash{}, ctx.Err()
		}
		return v1.Hash{}, pushError(t, err)
	}
	if o.Progress != nil && total > 0 {
		// The library does not count a read that also ends a blob, so its
		// last update can fall short of the total; the push is complete.
		o.Progress(total, total)
	}
	return digest, nil
}

// pushError explains a failed push; the token never appears in it.
func pushError(t Target, err error) error {
	var te *transport.Error
	if errors.As(err, &te) {
		switch te.StatusCode {
		case http.StatusUnauthorized:
			return fmt.Errorf("the registry %s refused the registry token (401); ask for a new one by running the command again: %w", t.Registry, err)
		case http.StatusForbidden:
			return fmt.Errorf("the registry %s denied pushing to %s (403): %w", t.Registry, t.Repository, err)
		}
	}
	return fmt.Errorf("push to %s: %w", t.Reference(), err)
}
