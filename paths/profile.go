package paths

import (
	"fmt"
	"os"
	"path/filepath"

	"gopkg.in/yaml.v3"

	"github.com/spcloud/spcloud"
)

// Validation is how strictly a profile checks the cloud credentials.
type Validation string

// The validation modes.
const (
	ValidationStrict Validation = "strict"
	ValidationWarn   Validation = "warn"
	ValidationSkip   Validation = "skip"
)

// CloudSection is the "cloud:" section of profile.yaml; everything else in
// the profile is ignored.
type CloudSection struct {
	CredentialsPath string     `yaml:"credentials_path"`
	TenantsPath     string     `yaml:"tenants_path"`
	TenantID        string     `yaml:"tenant_id"`
	Validation      Validation `yaml:"validation"`
}

// Profile is a profile.yaml as the client reads it.
type Profile struct {
	// Path is the profile.yaml file; Dir the folder its paths are relative to.
	Path string
	Dir  string
	Name string
	// Cloud is the cloud section with defaults applied; HasCloud tells
	// whether the file had one.
	Cloud    CloudSection
	HasCloud bool
}

// Default paths of a profile's cloud section.
const (
	DefaultCredentialsPath = "./credentials.json"
	DefaultTenantsPath     = "./tenants.json"
)

// LoadProfile reads the profile at path.
func LoadProfile(path string) (*Profile, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, spcloud.E(spcloud.ErrProfileRequired, "cannot read profile "+path, err)
	}
	return ParseProfile(path, b)
}

// ParseProfile decodes profile content read from path.
func ParseProfile(path string, b []byte) (*Profile, error) {
	var doc struct {
		Name  string        `yaml:"name"`
		Cloud *CloudSection `yaml:"cloud"`
	}
	if err := yaml.Unmarshal(b, &doc); err != nil {
		return nil, spcloud.E(spcloud.ErrProfileField, "profile "+path+" is not valid YAML", err)
	}
	abs, err := filepath.Abs(path)
	if err != nil {
		abs = path
	}
	p := &Profile{Path: abs, Dir: filepath.Dir(abs), Name: doc.Name}
	if p.Name == "" {
		p.Name = filepath.Base(p.Dir)
	}
	if doc.Cloud != nil {
		p.Cloud = *doc.Cloud
		p.HasCloud = true
	}
	if p.Cloud.CredentialsPath == "" {
		p.Cloud.CredentialsPath = DefaultCredentialsPath
	}
	if p.Cloud.TenantsPath == "" {
		p.Cloud.TenantsPath = DefaultTenantsPath
	}
	switch p.Cloud.Validation {
	case "":
		p.Cloud.Validation = ValidationStrict
	case ValidationStrict, ValidationWarn, ValidationSkip:
	default:
		return nil, spcloud.E(spcloud.ErrProfileField, fmt.Sprintf("profile %s: cloud.validation is %q (want strict, warn or skip)", path, p.Cloud.Validation), nil)
	}
	return p, nil
}

// CredentialsPath is the resolved path of the profile's credentials file.
func (p *Profile) CredentialsPath() (string, error) { return Resolve(p.Dir, p.Cloud.CredentialsPath) }

// TenantsPath is the resolved path of the profile's tenants file.
func (p *Profile) TenantsPath() (string, error) { return Resolve(p.Dir, p.Cloud.TenantsPath) }
