// Package paths finds the project and the files of the client: the
// ".systemprompt/" folder found by walking up from the working directory,
// its layout, profiles and their "cloud:" section, "~/" expansion, and the
// resolution of the credentials and tenants paths (a profile's paths win,
// then the discovered project, then the working directory).
package paths

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
)

// DirName is the project's folder of client files.
const DirName = ".systemprompt"

// Layout is where a project keeps its files.
type Layout struct {
	// Root is the project folder, which holds Dir.
	Root string
	// Dir is Root/.systemprompt.
	Dir string
}

// NewLayout returns the layout of the project at root.
func NewLayout(root string) Layout { return Layout{Root: root, Dir: filepath.Join(root, DirName)} }

// Credentials is .systemprompt/credentials.json.
func (l Layout) Credentials() string { return filepath.Join(l.Dir, "credentials.json") }

// Tenants is .systemprompt/tenants.json.
func (l Layout) Tenants() string { return filepath.Join(l.Dir, "tenants.json") }

// LegacySession is .systemprompt/session.json, read once and migrated.
func (l Layout) LegacySession() string { return filepath.Join(l.Dir, "session.json") }

// SessionsDir is .systemprompt/sessions.
func (l Layout) SessionsDir() string { return filepath.Join(l.Dir, "sessions") }

// SessionsIndex is .systemprompt/sessions/index.json.
func (l Layout) SessionsIndex() string { return filepath.Join(l.SessionsDir(), "index.json") }

// Profiles is .systemprompt/profiles.
func (l Layout) Profiles() string { return filepath.Join(l.Dir, "profiles") }

// Profile is .systemprompt/profiles/<name>.
func (l Layout) Profile(name string) ProfileLayout {
	return ProfileLayout{Dir: filepath.Join(l.Profiles(), name)}
}

// Docker is .systemprompt/docker.
func (l Layout) Docker() string { return filepath.Join(l.Dir, "docker") }

// Storage is .systemprompt/storage.
func (l Layout) Storage() string { return filepath.Join(l.Dir, "storage") }

// ProfileLayout is where a profile keeps its files.
type ProfileLayout struct{ Dir string }

// Config is profile.yaml.
func (p ProfileLayout) Config() string { return filepath.Join(p.Dir, "profile.yaml") }

// Secrets is secrets.json.
func (p ProfileLayout) Secrets() string { return filepath.Join(p.Dir, "secrets.json") }

// DockerDir is the profile's docker folder.
func (p ProfileLayout) DockerDir() string { return filepath.Join(p.Dir, "docker") }

// Dockerfile is docker/Dockerfile.
func (p ProfileLayout) Dockerfile() string { return filepath.Join(p.DockerDir(), "Dockerfile") }

// Entrypoint is docker/entrypoint.sh.
func (p ProfileLayout) Entrypoint() string { return filepath.Join(p.DockerDir(), "entrypoint.sh") }

// Dockerignore is docker/Dockerfile.dockerignore.
func (p ProfileLayout) Dockerignore() string {
	return filepath.Join(p.DockerDir(), "Dockerfile.dockerignore")
}

// Compose is docker/compose.yaml.
func (p ProfileLayout) Compose() string { return filepath.Join(p.DockerDir(), "compose.yaml") }

// Discover walks up from dir to the first folder that holds ".systemprompt/"
// and reports whether it found one. Without one it returns dir itself.
func Discover(dir string) (root string, found bool) {
	abs, err := filepath.Abs(dir)
	if err != nil {
		return dir, false
	}
	for d := abs; ; {
		if st, err := os.Stat(filepath.Join(d, DirName)); err == nil && st.IsDir() {
			return d, true
		}
		parent := filepath.Dir(d)
		if parent == d {
			return abs, false
		}
		d = parent
	}
}

// ExpandHome replaces a leading "~" or "~/" with the home folder.
func ExpandHome(p string) (string, error) {
	if p != "~" && !strings.HasPrefix(p, "~/") {
		return p, nil
	}
	home, err := os.UserHomeDir()
	if err != nil {
		return "", errors.New("cannot expand ~: no home folder")
	}
	return filepath.Join(home, strings.TrimPrefix(p, "~")), nil
}

// Resolve expands "~/" in p and makes a relative p relative to base.
func Resolve(base, p string) (string, error) {
	p, err := ExpandHome(p)
	if err != nil {
		return "", err
	}
	if filepath.IsAbs(p) {
		return filepath.Clean(p), nil
	}
	return filepath.Join(base, p), nil
}
