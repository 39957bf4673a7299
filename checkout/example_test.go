package checkout_test

import (
	"context"
	"fmt"
	"os"
	"os/signal"

	"github.com/spcloud/spcloud"
	"github.com/spcloud/spcloud/api"
	"github.com/spcloud/spcloud/checkout"
)

func ExampleRun() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	client := api.New(spcloud.ResolveAPIURL("", spcloud.Production), os.Getenv(spcloud.EnvAPIToken))
	res, err := checkout.Run(ctx, checkout.Options{
		Client:  client,
		PriceID: "pri_starter",
		Region:  "fra",
		Stderr:  os.Stderr,
		OnEvent: func(ev api.CheckoutEvent) {
			fmt.Fprintln(os.Stderr, "  ", checkout.EventLabel(ev.EventType))
		},
	})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return
	}
	fmt.Println("tenant", res.TenantID, "needs deploy:", res.NeedsDeploy)
}

func ExampleWaitForTenant() {
	ctx := context.Background()
	client := api.New(spcloud.ResolveAPIURL("", spcloud.Production), os.Getenv(spcloud.EnvAPIToken))
	st, err := checkout.WaitForTenant(ctx, client, "f800de73-2bdf-4c44-8b65-7b2f2bbad456", checkout.WaitOptions{
		OnEvent: func(ev api.ProvisioningEvent) { fmt.Fprintln(os.Stderr, "  ", checkout.EventLabel(ev.EventType)) },
	})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return
	}
	secrets, err := client.FetchSecrets(ctx, api.Str(st.SecretsURL))
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return
	}
	fmt.Println("app at", secrets.AppURL)
}
