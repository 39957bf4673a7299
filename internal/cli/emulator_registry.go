package cli

import (
	"github.com/spcloud/spcloud/emulator"
	"github.com/spcloud/spcloud/internal/oci"
)

// newEmulator builds an emulator that serves, under /v2/, an in-memory OCI
// registry accepting the registry tokens it issues (and nothing else), so
// that 'spcloud deploy --image-tar' can push to it.
func newEmulator(o emulator.Options) *emulator.Server {
	var emu *emulator.Server
	o.Registry = oci.NewRegistry(oci.RegistryOptions{
		Username: emulator.RegistryUsername,
		Realm:    "systemprompt.io Cloud emulator",
		Verify:   func(token string) (string, bool) { return emu.VerifyRegistryToken(token) },
		Logf:     o.Logf,
	})
	emu = emulator.New(o)
	return emu
}
