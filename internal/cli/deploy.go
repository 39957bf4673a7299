package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"sync"
	"time"

	"github.com/google/go-containerregistry/pkg/name"
	"github.com/spf13/cobra"

	"github.com/spcloud/spcloud"
	"github.com/spcloud/spcloud/api"
	"github.com/spcloud/spcloud/checkout"
	"github.com/spcloud/spcloud/internal/oci"
)

type deployOptions struct {
	tenant   string
	image    string
	imageTar string
	asJSON   bool
	noWait   bool
	timeout  time.Duration
}

// deployResult is the --json shape of deploy.
type deployResult struct {
	TenantID string `json:"tenant_id"`
	Image    string `json:"image"`
	Digest   string `json:"digest,omitempty"`
	Status   string `json:"status"`
	AppURL   string `json:"app_url,omitempty"`
}

func newDeployCmd(f *Factory) *cobra.Command {
	o := &deployOptions{}
	cmd := &cobra.Command{
		Use:   "deploy (--image REF | --image-tar FILE)",
		Short: "Deploy a container image to a tenant",
		Long: `Deploy a container image to the tenant and follow its events until the new
version is ready (or failed), with progress on stderr.

--image REF deploys an image already in a registry the cloud can pull from.

--image-tar FILE needs no Docker daemon: it loads the image from a
'docker save' tarball (gzipped or not), an OCI image archive or an OCI
layout folder, asks the API for a registry token, pushes the image to the
tenant's repository in the cloud's registry with progress, and deploys it.
From a multi-platform image, linux/amd64 is pushed.

The app URL is printed on stdout when the tenant is ready.`,
		Example: `  spcloud deploy --image registry.fly.io/sp-acme-prod:v42
  docker save my-app:latest -o app.tar && spcloud deploy --image-tar app.tar
  spcloud deploy --image-tar app.oci.tar --tenant f800de73-2bdf-4c44-8b65-7b2f2bbad456 --json`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error { return runDeploy(cmd.Context(), f, o) },
	}
	fl := cmd.Flags()
	fl.StringVar(&o.tenant, "tenant", "", tenantFlagUsage)
	fl.StringVar(&o.image, "image", "", "image reference to deploy (registry/repository:tag or @digest)")
	fl.StringVar(&o.imageTar, "image-tar", "", "push and deploy the image in this docker save / OCI archive file (no Docker needed)")
	fl.BoolVar(&o.asJSON, "json", false, "print the result as JSON")
	fl.BoolVar(&o.noWait, "no-wait", false, "return once the deploy has started, without following it")
	fl.DurationVar(&o.timeout, "timeout", checkout.DefaultWaitTimeout, "how long to wait for the tenant to be ready")
	return cmd
}

func runDeploy(ctx context.Context, f *Factory, o *deployOptions) error {
	image := strings.TrimSpace(o.image)
	switch {
	case o.image != "" && o.imageTar != "":
		return usageError("give --image or --image-tar, not both")
	case o.image == "" && o.imageTar == "":
		return usageError("say what to deploy: --image REF (an image in a registry) or --image-tar FILE (a docker save or OCI archive)")
	}
	var art *oci.Artifact
	if o.imageTar != "" {
		var err error
		if art, err = oci.Load(o.imageTar); err != nil {
			return fmt.Errorf("load the image: %w", err)
		}
		defer art.Close()
	} else if image == "" {
		return usageError("--image needs an image reference")
	} else if _, err := name.ParseReference(image); err != nil {
		return usageError("--image %q is not an image reference (like registry.example.com/app:v1): %v", image, err)
	}
	t, err := resolveTarget(f, o.tenant)
	if err != nil {
		return err
	}
	res := deployResult{TenantID: t.id}
	if art != nil {
		what := art.Format
		if len(art.Names) > 0 {
			what += ", " + strings.Join(art.Names, ", ")
		}
		fmt.Fprintf(f.IO.Err, "Loaded the image from %s (%s).\n", o.imageTar, what)
		rt, err := t.client.RegistryToken(ctx, t.id)
		if err != nil {
			return fmt.Errorf("get a registry token for tenant %s: %w", t.id, err)
		}
		tgt := oci.Target{Registry: rt.Registry, Repository: rt.Repository, Tag: rt.Tag, Username: rt.Username, Token: rt.Token}
		image = tgt.Reference()
		fmt.Fprintf(f.IO.Err, "Pushing to %s\n", image)
		pp := newPushProgress(f.IO.Err, f.IO.Interactive, f.now)
		digest, err := oci.Push(ctx, art.Image, tgt, oci.PushOptions{Progress: pp.update, UserAgent: "spcloud/" + spcloud.Version})
		pp.done(err == nil)
		if err != nil {
			return err
		}
		res.Digest = digest.String()
		fmt.Fprintf(f.IO.Err, "Pushed %s@%s\n", image, digest)
	}
	res.Image = image
	dep, err := t.client.Deploy(ctx, t.id, image)
	if err != nil {
		return fmt.Errorf("deploy %s to tenant %s: %w", image, t.id, err)
	}
	res.Status, res.AppURL = dep.Status, api.Str(dep.AppURL)
	fmt.Fprintf(f.IO.Err, "Deploying %s to tenant %s (status: %s).\n", image, t.label(), dep.Status)
	if !o.noWait {
		st, err := waitReady(ctx, f, t, o.timeout)
		if err != nil {
			var pe *checkout.ProvisioningError
			if errors.As(err, &pe) {
				return fmt.Errorf("the deploy to tenant %s failed: %s", t.id, pe.Message)
			}
			return err
		}
		res.Status = st.Status
		if u := api.Str(st.AppURL); u != "" {
			res.AppURL = u
		}
		if res.AppURL != "" {
			fmt.Fprintf(f.IO.Err, "Your app runs at %s\n", res.AppURL)
		}
	}
	if o.asJSON {
		return printJSON(f, res)
	}
	if res.AppURL != "" {
		fmt.Fprintln(f.IO.Out, res.AppURL)
	} else {
		fmt.Fprintln(f.IO.Out, res.Status)
	}
	return nil
}

// pushProgress shows an image upload on stderr: one line rewritten in place
// on a terminal, else a line at each quarter.
type pushProgress struct {
	mu          sync.Mutex
	w           io.Writer
	tty         bool
	now         func() time.Time
	start, last time.Time
	complete    int64
	total       int64
	quarter     int64
	drawn       bool
}

func newPushProgress(w io.Writer, tty bool, now func() time.Time) *pushProgress {
	t := now()
	return &pushProgress{w: w, tty: tty, now: now, start: t}
}

func (p *pushProgress) update(complete, total int64) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.complete, p.total = complete, total
	if total <= 0 {
		return
	}
	if p.tty {
		t := p.now()
		if complete < total && t.Sub(p.last) < 100*time.Millisecond {
			return
		}
		p.last = t
		fmt.Fprintf(p.w, "\r  %s", p.lineLocked())
		p.drawn = true
		return
	}
	if q := complete * 4 / total; q > p.quarter {
		p.quarter = q
		fmt.Fprintf(p.w, "  %s\n", p.lineLocked())
	}
}

func (p *pushProgress) lineLocked() string {
	pct := int64(100)
	if p.total > 0 {
		pct = p.complete * 100 / p.total
	}
	return fmt.Sprintf("Uploaded %s of %s (%d%%)  [%s]", humanBytes(p.complete), humanBytes(p.total), pct,
		p.now().Sub(p.start).Round(100*time.Millisecond))
}

// done ends the progress display.
func (p *pushProgress) done(ok bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	switch {
	case p.tty && p.drawn:
		fmt.Fprintln(p.w)
	case ok && p.total == 0:
		fmt.Fprintln(p.w, "  The registry already has every layer; nothing to upload.")
	}
}

func humanBytes(n int64) string {
	const unit = 1024
	if n < unit {
		return fmt.Sprintf("%d B", n)
	}
	div, exp := int64(unit), 0
	for m := n / unit; m >= unit; m /= unit {
		div *= unit
		exp++
	}
	return fmt.Sprintf("%.1f %ciB", float64(n)/float64(div), "KMGTPE"[exp])
}
