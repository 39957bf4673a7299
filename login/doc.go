// Package login runs the OAuth login of the systemprompt.io Cloud in the
// user's browser (CONTRACT §6):
//
//  1. start a callback server on 127.0.0.1 (the reference port 8765 when it
//     is free, else any free port) whose redirect URI holds a fresh secret;
//  2. ask the API for the provider's authorize URL with that redirect URI;
//  3. print the URL and open the browser;
//  4. wait for the browser to come back with access_token=<JWT>, or with
//     error=<code>&error_description=<text>, and answer it with a page.
//
// Run returns the token. Checking it with /auth/me and saving the files is
// the caller's job.
//
//	token, err := login.Run(ctx, login.Options{
//		Client:   api.New(baseURL, ""),
//		Provider: spcloud.GitHub,
//		Stderr:   os.Stderr,
//	})
package login
