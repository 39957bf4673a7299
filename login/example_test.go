package login_test

import (
	"context"
	"fmt"
	"os"
	"os/signal"

	"github.com/spcloud/spcloud"
	"github.com/spcloud/spcloud/api"
	"github.com/spcloud/spcloud/login"
)

func ExampleRun() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	client := api.New(spcloud.ResolveAPIURL("", spcloud.Production), "")
	token, err := login.Run(ctx, login.Options{Client: client, Provider: spcloud.GitHub, Stderr: os.Stderr})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return
	}
	me, err := client.WithToken(token).Me(ctx)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return
	}
	fmt.Println("Logged in as", me.User.Email)
}
