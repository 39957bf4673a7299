// Package api is the HTTP client of the systemprompt.io Cloud API: one method
// per endpoint of the contract, context first, typed requests and answers,
// the error envelope as *spcloud.APIError, and the two event streams.
//
// Calls that are safe to repeat (GET, PUT, DELETE) are retried with
// exponential backoff and jitter on connection errors, 429 and 5xx, honouring
// Retry-After; POST calls are never retried, since they may create or bill.
// Every attempt has its own timeout; event streams are long-lived, end with
// their context, and count a silent connection as dropped.
//
// # From the Rust crate
//
// Each call of the reference client (the Rust crate systemprompt-cloud) and
// its Go method, for people moving from the crate:
//
//	get_user                      Client.Me
//	list_tenants                  Client.ListTenants
//	get_plans                     Client.Plans
//	create_checkout               Client.CreateCheckout
//	get_tenant_status             Client.TenantStatus
//	get_registry_token            Client.RegistryToken
//	deploy                        Client.Deploy
//	fetch_secrets                 Client.FetchSecrets
//	delete_tenant                 Client.DeleteTenant
//	restart_tenant                Client.RestartTenant
//	retry_provision               Client.RetryProvision
//	set_secrets                   Client.SetSecrets
//	unset_secret                  Client.UnsetSecret
//	set_external_db_access        Client.SetExternalDBAccess
//	rotate_credentials            Client.RotateCredentials
//	rotate_sync_token             Client.RotateSyncToken
//	list_secrets                  Client.ListSecrets
//	set_custom_domain             Client.SetCustomDomain
//	get_custom_domain             Client.CustomDomain
//	delete_custom_domain          Client.DeleteCustomDomain
//	cancel_subscription           Client.CancelSubscription
//	subscribe_provisioning_events Client.TenantEvents (Client.FollowTenantEvents reconnects)
//	subscribe_checkout_events     Client.CheckoutEvents (Client.FollowCheckoutEvents reconnects)
//
// OAuthStart has no method in the crate's client; its OAuth flow calls the
// endpoint directly.
package api
