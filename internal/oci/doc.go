// Package oci moves container images without a Docker daemon: it loads an
// image from a `docker save` tarball, an OCI image archive or an OCI layout
// folder (Load), pushes it to a registry with the credentials of the
// registry-token endpoint (Push), and serves an in-memory OCI registry that
// accepts only those credentials (NewRegistry), which the emulator mounts
// under /v2/.
//
// It is built on github.com/google/go-containerregistry, which implements
// the image formats (docker save, OCI layouts, gzip and zstd layers) and the
// distribution protocol (chunked uploads, blob existence checks, auth
// challenges) that a push without Docker needs, and its in-memory registry.
package oci
