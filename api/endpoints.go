package api

import (
	"context"
	"net/http"
	"net/url"

	"github.com/spcloud/spcloud"
)

func tenantPath(id, rest string) string {
	return "/api/v1/tenants/" + url.PathEscape(id) + rest
}

// OAuthStart asks for the provider's authorize URL; the browser returns to
// redirectURI. It sends no Authorization header.
func (c *Client) OAuthStart(ctx context.Context, provider spcloud.OAuthProvider, redirectURI string) (string, error) {
	var out OAuthStartResponse
	path := "/api/v1/auth/oauth/" + url.PathEscape(string(provider)) + "?redirect_uri=" + url.QueryEscape(redirectURI)
	if err := c.WithToken("").do(ctx, http.MethodGet, path, nil, &out); err != nil {
		return "", err
	}
	return out.AuthorizeURL, nil
}

// Me returns the user behind the token and their tenants.
func (c *Client) Me(ctx context.Context) (*UserMeResponse, error) {
	var out UserMeResponse
	if err := c.do(ctx, http.MethodGet, "/api/v1/auth/me", nil, &out); err != nil {
		return nil, err
	}
	if out.Tenants == nil {
		out.Tenants = []TenantInfo{}
	}
	return &out, nil
}

// ListTenants lists the user's tenants.
func (c *Client) ListTenants(ctx context.Context) ([]Tenant, error) {
	var out Envelope[[]Tenant]
	if err := c.do(ctx, http.MethodGet, "/api/v1/tenants", nil, &out); err != nil {
		return nil, err
	}
	return out.Data, nil
}

// Plans lists the plans a tenant can be bought on.
func (c *Client) Plans(ctx context.Context) ([]Plan, error) {
	var out []Plan
	if err := c.do(ctx, http.MethodGet, "/api/v1/checkout/plans", nil, &out); err != nil {
		return nil, err
	}
	return out, nil
}

// CreateCheckout starts buying a tenant. It is never retried.
func (c *Client) CreateCheckout(ctx context.Context, req CheckoutRequest) (*CheckoutResponse, error) {
	var out CheckoutResponse
	if err := c.do(ctx, http.MethodPost, "/api/v1/checkout", req, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// TenantStatus returns a tenant's provisioning status.
func (c *Client) TenantStatus(ctx context.Context, tenantID string) (*TenantStatus, error) {
	var out Envelope[TenantStatus]
	if err := c.do(ctx, http.MethodGet, tenantPath(tenantID, "/status"), nil, &out); err != nil {
		return nil, err
	}
	return &out.Data, nil
}

// FetchSecrets reads a tenant's secrets from the secrets_url of its status:
// an absolute URL or a path on the base URL.
func (c *Client) FetchSecrets(ctx context.Context, secretsURL string) (*TenantSecrets, error) {
	var out TenantSecrets
	if err := c.do(ctx, http.MethodGet, secretsURL, nil, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// RegistryToken returns credentials to push an image for the tenant.
func (c *Client) RegistryToken(ctx context.Context, tenantID string) (*RegistryToken, error) {
	var out Envelope[RegistryToken]
	if err := c.do(ctx, http.MethodGet, tenantPath(tenantID, "/registry-token"), nil, &out); err != nil {
		return nil, err
	}
	return &out.Data, nil
}

// Deploy runs image on the tenant. It is never retried.
func (c *Client) Deploy(ctx context.Context, tenantID, image string) (*DeployResponse, error) {
	var out Envelope[DeployResponse]
	if err := c.do(ctx, http.MethodPost, tenantPath(tenantID, "/deploy"), DeployRequest{Image: image}, &out); err != nil {
		return nil, err
	}
	return &out.Data, nil
}

// DeleteTenant deletes the tenant.
func (c *Client) DeleteTenant(ctx context.Context, tenantID string) error {
	return c.do(ctx, http.MethodDelete, tenantPath(tenantID, ""), nil, nil)
}

// RestartTenant restarts the tenant's machine.
func (c *Client) RestartTenant(ctx context.Context, tenantID string) (*StatusResponse, error) {
	var out StatusResponse
	if err := c.do(ctx, http.MethodPost, tenantPath(tenantID, "/restart"), nil, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// RetryProvision starts a failed provisioning again.
func (c *Client) RetryProvision(ctx context.Context, tenantID string) (*StatusResponse, error) {
	var out StatusResponse
	if err := c.do(ctx, http.MethodPost, tenantPath(tenantID, "/retry-provision"), nil, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// ListSecrets returns the names of the tenant's secrets (never their values).
func (c *Client) ListSecrets(ctx context.Context, tenantID string) ([]string, error) {
	var out SecretKeys
	if err := c.do(ctx, http.MethodGet, tenantPath(tenantID, "/secrets"), nil, &out); err != nil {
		return nil, err
	}
	if out.Keys == nil {
		out.Keys = []string{}
	}
	return out.Keys, nil
}

// SetSecrets sets (adds or replaces) secrets of the tenant.
func (c *Client) SetSecrets(ctx context.Context, tenantID string, secrets map[string]string) error {
	return c.do(ctx, http.MethodPut, tenantPath(tenantID, "/secrets"), SetSecretsRequest{Secrets: secrets}, nil)
}

// UnsetSecret removes one secret of the tenant.
func (c *Client) UnsetSecret(ctx context.Context, tenantID, key string) error {
	return c.do(ctx, http.MethodDelete, tenantPath(tenantID, "/secrets/"+url.PathEscape(key)), nil, nil)
}

// SetExternalDBAccess opens or closes the tenant's database to the internet.
func (c *Client) SetExternalDBAccess(ctx context.Context, tenantID string, enabled bool) (*ExternalDBAccessResponse, error) {
	var out Envelope[ExternalDBAccessResponse]
	if err := c.do(ctx, http.MethodPut, tenantPath(tenantID, "/external-db-access"), ExternalDBAccessRequest{Enabled: enabled}, &out); err != nil {
		return nil, err
	}
	return &out.Data, nil
}

// RotateCredentials gives the tenant's database a new password. Never retried.
func (c *Client) RotateCredentials(ctx context.Context, tenantID string) (*RotateCredentialsResponse, error) {
	var out RotateCredentialsResponse
	if err := c.do(ctx, http.MethodPost, tenantPath(tenantID, "/rotate-credentials"), nil, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// RotateSyncToken gives the tenant a new sync token. Never retried.
func (c *Client) RotateSyncToken(ctx context.Context, tenantID string) (*RotateSyncTokenResponse, error) {
	var out RotateSyncTokenResponse
	if err := c.do(ctx, http.MethodPost, tenantPath(tenantID, "/rotate-sync-token"), nil, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// SetCustomDomain points a domain of the user's at the tenant.
func (c *Client) SetCustomDomain(ctx context.Context, tenantID, domain string) (*CustomDomainResponse, error) {
	var out Envelope[CustomDomainResponse]
	if err := c.do(ctx, http.MethodPost, tenantPath(tenantID, "/custom-domain"), CustomDomainRequest{Domain: domain}, &out); err != nil {
		return nil, err
	}
	return &out.Data, nil
}

// CustomDomain returns the tenant's custom domain.
func (c *Client) CustomDomain(ctx context.Context, tenantID string) (*CustomDomainResponse, error) {
	var out Envelope[CustomDomainResponse]
	if err := c.do(ctx, http.MethodGet, tenantPath(tenantID, "/custom-domain"), nil, &out); err != nil {
		return nil, err
	}
	return &out.Data, nil
}

// DeleteCustomDomain removes the tenant's custom domain.
func (c *Client) DeleteCustomDomain(ctx context.Context, tenantID string) error {
	return c.do(ctx, http.MethodDelete, tenantPath(tenantID, "/custom-domain"), nil, nil)
}

// CancelSubscription cancels the tenant's subscription. Never retried.
func (c *Client) CancelSubscription(ctx context.Context, tenantID string) error {
	return c.do(ctx, http.MethodPost, tenantPath(tenantID, "/subscription/cancel"), nil, nil)
}
