package oci

import (
	"archive/tar"
	"bufio"
	"compress/gzip"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"sort"
	"strings"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/layout"
	"github.com/google/go-containerregistry/pkg/v1/tarball"
)

// Formats Load recognises.
const (
	FormatDockerSave = "docker-save" // manifest.json of `docker save`
	FormatOCIArchive = "oci-archive" // a tar of an OCI image layout
	FormatOCILayout  = "oci-layout"  // an OCI image layout folder
)

// DefaultPlatform is the platform picked from multi-platform images: the
// cloud's machines run linux/amd64.
var DefaultPlatform = v1.Platform{OS: "linux", Architecture: "amd64"}

// Artifact is one image loaded from a file, ready to push. Close it to
// remove any temporary files.
type Artifact struct {
	Image  v1.Image
	Format string
	// Names are the image names recorded in the file (RepoTags of docker
	// save, ref.name annotations of OCI), for messages only.
	Names []string

	tmp string // extracted OCI archive, removed by Close
}

// Close removes the temporary files of the artifact.
func (a *Artifact) Close() error {
	if a == nil || a.tmp == "" {
		return nil
	}
	err := os.RemoveAll(a.tmp)
	a.tmp = ""
	return err
}

// Load reads one image from path: a `docker save` tarball (also gzipped),
// an OCI image archive (a tar of an OCI layout, e.g. `podman save --format
// oci-archive`, `buildah push ... oci-archive:`), or an OCI layout folder.
// From a multi-platform image it picks DefaultPlatform. A file holding
// several different images is refused with their names, since it is not
// clear which one to deploy.
func Load(p string) (*Artifact, error) {
	st, err := os.Stat(p)
	if err != nil {
		return nil, err
	}
	if st.IsDir() {
		if _, err := os.Stat(filepath.Join(p, "index.json")); err != nil {
			return nil, fmt.Errorf("%s is a folder but not an OCI image layout (no index.json)", p)
		}
		img, names, err := fromLayout(p)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", p, err)
		}
		return &Artifact{Image: img, Format: FormatOCILayout, Names: names}, nil
	}
	opener, err := tarOpener(p)
	if err != nil {
		return nil, err
	}
	entries, err := tarEntries(opener)
	if err != nil {
		return nil, fmt.Errorf("%s is not a tar archive of an image: %w", p, err)
	}
	switch {
	case entries["manifest.json"]:
		m, err := tarball.LoadManifest(opener)
		if err != nil {
			return nil, fmt.Errorf("%s: read manifest.json: %w", p, err)
		}
		if len(m) != 1 {
			var names []string
			for _, d := range m {
				names = append(names, d.RepoTags...)
			}
			return nil, fmt.Errorf("%s holds %d images (%s); save only the one to deploy, e.g. docker save IMAGE -o FILE", p, len(m), orNone(names))
		}
		img, err := tarball.Image(opener, nil)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", p, err)
		}
		return &Artifact{Image: img, Format: FormatDockerSave, Names: m[0].RepoTags}, nil
	case entries["index.json"]:
		dir, err := os.MkdirTemp("", "spcloud-oci-")
		if err != nil {
			return nil, err
		}
		if err := extract(opener, dir); err != nil {
			os.RemoveAll(dir)
			return nil, fmt.Errorf("%s: %w", p, err)
		}
		img, names, err := fromLayout(dir)
		if err != nil {
			os.RemoveAll(dir)
			return nil, fmt.Errorf("%s: %w", p, err)
		}
		return &Artifact{Image: img, Format: FormatOCIArchive, Names: names, tmp: dir}, nil
	}
	return nil, fmt.Errorf("%s is a tar archive but not an image (neither manifest.json of docker save nor index.json of an OCI archive)", p)
}

func orNone(names []string) string {
	if len(names) == 0 {
		return "untagged"
	}
	return strings.Join(names, ", ")
}

// tarOpener opens the file, through gzip when it is gzipped.
func tarOpener(p string) (tarball.Opener, error) {
	f, err := os.Open(p)
	if err != nil {
		return nil, err
	}
	magic := make([]byte, 2)
	_, err = io.ReadFull(f, magic)
	f.Close()
	gz := err == nil && magic[0] == 0x1f && magic[1] == 0x8b
	return func() (io.ReadCloser, error) {
		f, err := os.Open(p)
		if err != nil {
			return nil, err
		}
		if !gz {
			return f, nil
		}
		zr, err := gzip.NewReader(bufio.NewReader(f))
		if err != nil {
			f.Close()
			return nil, err
		}
		return readCloser{zr, f}, nil
	}, nil
}

type readCloser struct {
	io.Reader
	f *os.File
}

func (r readCloser) Close() error { return r.f.Close() }

// tarEntries lists the cleaned names of the archive's entries.
func tarEntries(opener tarball.Opener) (map[string]bool, error) {
	rc, err := opener()
	if err != nil {
		return nil, err
	}
	defer rc.Close()
	tr := tar.NewReader(rc)
	names := map[string]bool{}
	for {
		hdr, err := tr.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, err
		}
		names[path.Clean(hdr.Name)] = true
	}
	if len(names) == 0 {
		return nil, errors.New("the archive is empty")
	}
	return names, nil
}

// extract writes the regular files and folders of the archive under dir,
// refusing names that would leave it.
func extract(opener tarball.Opener, dir string) error {
	rc, err := opener()
	if err != nil {
		return err
	}
	defer rc.Close()
	tr := tar.NewReader(rc)
	for {
		hdr, err := tr.Next()
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return err
		}
		name := path.Clean(hdr.Name)
		if name == "." {
			continue
		}
		if path.IsAbs(name) || name == ".." || strings.HasPrefix(name, "../") {
			return fmt.Errorf("the archive holds an unsafe path %q", hdr.Name)
		}
		target := filepath.Join(dir, filepath.FromSlash(name))
		switch hdr.Typeflag {
		case tar.TypeDir:
			if err := os.MkdirAll(target, 0o700); err != nil {
				return err
			}
		case tar.TypeReg:
			if err := os.MkdirAll(filepath.Dir(target), 0o700); err != nil {
				return err
			}
			f, err := os.OpenFile(target, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o600)
			if err != nil {
				return err
			}
			_, cerr := io.Copy(f, tr)
			if err := errors.Join(cerr, f.Close()); err != nil {
				return err
			}
		default:
			// Links and devices have no place in an image layout.
		}
	}
}

// candidate is one image manifest found in a layout.
type candidate struct {
	desc  v1.Descriptor
	index v1.ImageIndex
	names []string
}

// refNames reads the image names recorded in a descriptor's annotations.
func refNames(d v1.Descriptor) []string {
	var out []string
	for _, k := range []string{"io.containerd.image.name", "org.opencontainers.image.ref.name"} {
		if v := d.Annotations[k]; v != "" {
			out = append(out, v)
		}
	}
	return out
}

func isAttestation(d v1.Descriptor) bool {
	return d.Annotations["vnd.docker.reference.type"] == "attestation-manifest" ||
		(d.Platform != nil && d.Platform.OS == "unknown")
}

// fromLayout picks the image to deploy from an OCI layout folder.
func fromLayout(dir string) (v1.Image, []string, error) {
	idx, err := layout.ImageIndexFromPath(dir)
	if err != nil {
		return nil, nil, err
	}
	im, err := idx.IndexManifest()
	if err != nil {
		return nil, nil, fmt.Errorf("read index.json: %w", err)
	}
	var cands []candidate
	groups := 0 // distinct images (a multi-platform index is one)
	for _, d := range im.Manifests {
		switch {
		case d.MediaType.IsImage():
			if isAttestation(d) {
				continue
			}
			groups++
			cands = append(cands, candidate{desc: d, index: idx, names: refNames(d)})
		case d.MediaType.IsIndex():
			child, err := idx.ImageIndex(d.Digest)
			if err != nil {
				return nil, nil, fmt.Errorf("read index %s: %w", d.Digest, err)
			}
			cm, err := child.IndexManifest()
			if err != nil {
				return nil, nil, fmt.Errorf("read index %s: %w", d.Digest, err)
			}
			groups++
			for _, cd := range cm.Manifests {
				if cd.MediaType.IsImage() && !isAttestation(cd) {
					cands = append(cands, candidate{desc: cd, index: child, names: refNames(d)})
				}
			}
		}
	}
	if len(cands) == 0 {
		return nil, nil, errors.New("the OCI layout holds no image")
	}
	pick := -1
	if len(cands) == 1 {
		pick = 0
	} else {
		var matches []int
		for i, c := range cands {
			if c.desc.Platform != nil && c.desc.Platform.Satisfies(DefaultPlatform) {
				matches = append(matches, i)
			}
		}
		if len(matches) == 1 {
			pick = matches[0]
		} else if groups > 1 || len(matches) > 1 {
			names := map[string]bool{}
			for _, c := range cands {
				for _, n := range c.names {
					names[n] = true
				}
			}
			var list []string
			for n := range names {
				list = append(list, n)
			}
			sort.Strings(list)
			return nil, nil, fmt.Errorf("the OCI layout holds %d images (%s); save only the one to deploy", groups, orNone(list))
		} else {
			return nil, nil, fmt.Errorf("the image has no %s variant, which the cloud runs", DefaultPlatform)
		}
	}
	c := cands[pick]
	img, err := c.index.Image(c.desc.Digest)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return nil, nil, fmt.Errorf("image %s is named in the index but its manifest is missing", c.desc.Digest)
		}
		return nil, nil, err
	}
	return img, c.names, nil
}
