package emulator_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"time"

	"github.com/spcloud/spcloud/api"
	"github.com/spcloud/spcloud/emulator"
)

// A test serves the emulator on a loopback port and skips the browser login
// with IssueToken.
func Example() {
	emu := emulator.New(emulator.Options{StepDelay: time.Millisecond, AutoApprove: true})
	srv := httptest.NewServer(emu)
	defer srv.Close()
	defer emu.Close() // before srv.Close, so open event streams end

	tok, err := emu.IssueToken(emulator.DemoUserEmail)
	if err != nil {
		panic(err)
	}
	req, _ := http.NewRequest("GET", srv.URL+"/api/v1/auth/me", nil)
	req.Header.Set("Authorization", "Bearer "+tok)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		panic(err)
	}
	defer resp.Body.Close()
	var me api.UserMeResponse
	json.NewDecoder(resp.Body).Decode(&me)
	fmt.Println(resp.StatusCode, me.User.Email, api.Str(me.User.Name), len(me.Tenants))
	// Output: 200 dev@example.com Dana Developer 0
}
